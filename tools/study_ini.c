/* study.ini: [study], one [run.ID] per run and [probes], read with inih.
 * Every key is known here; anything else, a missing config or a config that
 * does not load is an error naming study.ini:line before anything trains. */
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../datasets/fileio.h"
#include "study.h"

typedef struct sparse_state {
    study *s;
    const char *text;
    size_t len, pos;
    int lineno;
    int err;
    char dir[2048];       /* the study directory: configs are relative to it */
    study_run *run;       /* the current [run.ID], or NULL */
    int section;          /* 0 none, 1 study, 2 run, 3 probes */
    int cfg_line[STUDY_MAX_RUNS];
} sparse_state;

void study_defaults(study *s)
{
    memset(s, 0, sizeof *s);
    s->nseeds = 1;
    s->seeds[0] = 1;
    s->data_limit = 2000;
    study_probes *p = &s->probes;
    p->slice = p->surface = p->hessian = p->density = p->sharpness = p->monitor = p->rescale = 1;
    p->slice_grid = 41;
    snprintf(p->slice_range, sizeof p->slice_range, "-1:1");
    snprintf(p->surface_grid, sizeof p->surface_grid, "21x21");
    snprintf(p->surface_range, sizeof p->surface_range, "-1:1");
    p->hessian_probes = 30;
    p->density_runs = 5;
    p->density_steps = 60;
    p->neps = 3;
    p->eps[0] = 1e-3;
    p->eps[1] = 5e-4;
    p->eps[2] = 1e-4;
    p->rescale_layer = 0;
    p->rescale_factor = 10;
    p->plateau = 1;
    p->plateau_tol = 0.25;
    p->plateau_window = 0.1;
    p->plateau_min = 5;
}

/* Counts lines for messages; inih does the splitting. */
static char *st_reader(char *str, int num, void *stream)
{
    sparse_state *st = stream;
    if (st->err || st->pos >= st->len) return NULL;
    const char *p = st->text + st->pos;
    const char *nl = memchr(p, '\n', st->len - st->pos);
    size_t n = nl ? (size_t)(nl - p) : st->len - st->pos;
    st->pos += n + (nl != NULL);
    st->lineno++;
    if (n + 2 > (size_t)num) {
        st->err = nn_err(NN_ECONFIG, "%s:%d: line too long", st->s->path, st->lineno);
        return NULL;
    }
    memcpy(str, p, n);
    memcpy(str + n, "\n", 2);
    return str;
}

static int yesno(const char *v, int *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on")) *out = 1;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off")) *out = 0;
    else return -1;
    return 0;
}

static int int_in(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static int num_in(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x > lo && x <= hi)) return -1;
    *out = x;
    return 0;
}

/* "1,2,3" or "1e-3, 5e-4": comma-separated values. */
static int list_parse(const char *v, int cap, int ints, long *iv, double *dv, int *n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t') t++;
        char *e = t + strlen(t);
        while (e > t && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
        if (*n >= cap) return -1;
        if (ints ? int_in(t, 0, 1L << 40, &iv[*n]) : num_in(t, 0, 10, &dv[*n])) return -1;
        (*n)++;
    }
    return *n > 0 ? 0 : -1;
}

static const char STUDY_KEYS[] = "name, seeds, out, data_limit, threads";
static const char RUN_KEYS[] = "config, label";
static const char PROBE_KEYS[] =
    "slice, slice_grid, slice_range, surface, surface_grid, surface_range, hessian, "
    "hessian_probes, density, density_runs, density_steps, sharpness, eps, monitor, rescale, "
    "rescale_layer, rescale_factor, plateau, plateau_tol, plateau_window, plateau_min";

static int bad_value(sparse_state *st, const char *sec, const char *key, const char *v, const char *want)
{
    return nn_err(NN_ECONFIG, "%s:%d: [%s] %s = '%s': expected %s", st->s->path, st->lineno, sec,
                  key, v, want);
}

static int probe_key(sparse_state *st, const char *key, const char *v)
{
    study_probes *p = &st->s->probes;
    struct { const char *k; int *flag; } flags[] = {
        {"slice", &p->slice},     {"surface", &p->surface},     {"hessian", &p->hessian},
        {"density", &p->density}, {"sharpness", &p->sharpness}, {"monitor", &p->monitor},
        {"rescale", &p->rescale}, {"plateau", &p->plateau}};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if (!strcmp(key, flags[i].k))
            return yesno(v, flags[i].flag) ? bad_value(st, "probes", key, v, "yes or no") : NN_OK;
    long x;
    double d;
    if (!strcmp(key, "slice_grid")) {
        if (int_in(v, 3, 1001, &x)) return bad_value(st, "probes", key, v, "an integer 3..1001");
        p->slice_grid = (int)x;
    } else if (!strcmp(key, "surface_grid")) {
        int nx, ny;
        char c;
        if (sscanf(v, "%dx%d%c", &nx, &ny, &c) != 2 || nx < 2 || ny < 2 || nx > 501 || ny > 501)
            return bad_value(st, "probes", key, v, "NxM, e.g. 21x21");
        snprintf(p->surface_grid, sizeof p->surface_grid, "%dx%d", nx, ny);
    } else if (!strcmp(key, "slice_range") || !strcmp(key, "surface_range")) {
        double a, b;
        char c;
        if (sscanf(v, "%lf:%lf%c", &a, &b, &c) != 2 || !(a < b))
            return bad_value(st, "probes", key, v, "A:B with A < B, e.g. -1:1");
        snprintf(key[1] == 'l' ? p->slice_range : p->surface_range, sizeof p->slice_range, "%s", v);
    } else if (!strcmp(key, "hessian_probes")) {
        if (int_in(v, 2, 100000, &x)) return bad_value(st, "probes", key, v, "an integer 2..100000");
        p->hessian_probes = (int)x;
    } else if (!strcmp(key, "density_runs")) {
        if (int_in(v, 1, 10000, &x)) return bad_value(st, "probes", key, v, "an integer 1..10000");
        p->density_runs = (int)x;
    } else if (!strcmp(key, "density_steps")) {
        if (int_in(v, 2, 10000, &x)) return bad_value(st, "probes", key, v, "an integer 2..10000");
        p->density_steps = (int)x;
    } else if (!strcmp(key, "eps")) {
        if (list_parse(v, STUDY_MAX_EPS, 0, NULL, p->eps, &p->neps))
            return bad_value(st, "probes", key, v, "a comma list of up to 8 values in (0, 10]");
    } else if (!strcmp(key, "rescale_layer")) {
        if (int_in(v, 0, NN_MAX_LAYERS - 2, &x)) return bad_value(st, "probes", key, v, "a layer index");
        p->rescale_layer = (int)x;
    } else if (!strcmp(key, "rescale_factor")) {
        if (num_in(v, 0, 1e6, &d)) return bad_value(st, "probes", key, v, "a number > 0");
        p->rescale_factor = d;
    } else if (!strcmp(key, "plateau_tol")) {
        if (num_in(v, 0, 1e6, &d)) return bad_value(st, "probes", key, v, "a number > 0");
        p->plateau_tol = d;
    } else if (!strcmp(key, "plateau_window")) {
        if (num_in(v, 0, 1, &d)) return bad_value(st, "probes", key, v, "a fraction in (0, 1]");
        p->plateau_window = d;
    } else if (!strcmp(key, "plateau_min")) {
        if (int_in(v, 2, 1000000, &x)) return bad_value(st, "probes", key, v, "an integer >= 2");
        p->plateau_min = (int)x;
    } else {
        return nn_err(NN_ECONFIG, "%s:%d: unknown key '%s' in [probes]; keys are %s", st->s->path,
                      st->lineno, key, PROBE_KEYS);
    }
    return NN_OK;
}

static int st_handler(void *user, const char *section, const char *key, const char *value)
{
    sparse_state *st = user;
    study *s = st->s;
    if (st->err) return 0;
    const char *v = value ? value : "";
    if (!key) return 1; /* a bare section header (inih with INI_CALL_HANDLER_ON_NEW_SECTION) */
    long x;
    int rc = NN_OK;
    if (!strcmp(section, "study")) {
        if (!strcmp(key, "name")) {
            if (!*v || strchr(v, '/')) rc = bad_value(st, section, key, v, "a name without '/'");
            else snprintf(s->name, sizeof s->name, "%s", v);
        } else if (!strcmp(key, "out")) {
            snprintf(s->out, sizeof s->out, "%s", v);
        } else if (!strcmp(key, "seeds")) {
            if (list_parse(v, STUDY_MAX_SEEDS, 1, s->seeds, NULL, &s->nseeds))
                rc = bad_value(st, section, key, v, "a comma list of up to 16 seeds, e.g. 1,2,3");
        } else if (!strcmp(key, "data_limit")) {
            if (int_in(v, 0, 1L << 40, &x)) rc = bad_value(st, section, key, v, "an integer >= 0");
            else s->data_limit = x;
        } else if (!strcmp(key, "threads")) {
            if (int_in(v, 0, 256, &x)) rc = bad_value(st, section, key, v, "an integer 0..256");
            else s->threads = (int)x;
        } else {
            rc = nn_err(NN_ECONFIG, "%s:%d: unknown key '%s' in [study]; keys are %s", s->path,
                        st->lineno, key, STUDY_KEYS);
        }
    } else if (!strncmp(section, "run.", 4)) {
        study_run *r = NULL;
        for (int i = 0; i < s->nruns; i++)
            if (!strcmp(s->runs[i].id, section + 4)) r = &s->runs[i];
        if (!r) {
            const char *id = section + 4;
            if (!*id || strlen(id) >= sizeof r->id || strpbrk(id, "/ \t"))
                rc = nn_err(NN_ECONFIG, "%s:%d: [%s]: a run id is a short name without '/' or spaces",
                            s->path, st->lineno, section);
            else if (s->nruns >= STUDY_MAX_RUNS)
                rc = nn_err(NN_ECONFIG, "%s:%d: at most %d runs", s->path, st->lineno, STUDY_MAX_RUNS);
            else {
                r = &s->runs[s->nruns++];
                snprintf(r->id, sizeof r->id, "%s", id);
                snprintf(r->label, sizeof r->label, "%s", id);
                r->line = st->lineno;
            }
        }
        if (!rc && !strcmp(key, "config")) {
            if (v[0] == '/') snprintf(r->config, sizeof r->config, "%s", v);
            else snprintf(r->config, sizeof r->config, "%s/%s", st->dir, v);
            st->cfg_line[r - s->runs] = st->lineno;
        } else if (!rc && !strcmp(key, "label")) {
            snprintf(r->label, sizeof r->label, "%s", v);
        } else if (!rc) {
            rc = nn_err(NN_ECONFIG, "%s:%d: unknown key '%s' in [%s]; keys are %s", s->path,
                        st->lineno, key, section, RUN_KEYS);
        }
    } else if (!strcmp(section, "probes")) {
        rc = probe_key(st, key, v);
    } else if (!*section) {
        rc = nn_err(NN_ECONFIG, "%s:%d: key '%s' comes before any [section]", s->path, st->lineno, key);
    } else {
        rc = nn_err(NN_ECONFIG, "%s:%d: unknown section [%s]; sections are [study], [run.ID], [probes]",
                    s->path, st->lineno, section);
    }
    st->err = rc;
    return rc == NN_OK;
}

int study_load(study *s, const char *path)
{
    study_defaults(s);
    struct stat stt;
    if (stat(path, &stt) == 0 && S_ISDIR(stt.st_mode)) snprintf(s->path, sizeof s->path, "%s/study.ini", path);
    else snprintf(s->path, sizeof s->path, "%s", path);
    sparse_state st = {.s = s};
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", s->path);
    snprintf(st.dir, sizeof st.dir, "%s", dirname(tmp));
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = file_read_all(s->path, 1 << 20, &buf, &len);
    if (rc) return rc;
    st.text = (const char *)buf;
    st.len = len;
    /* Unknown sections must fail even when empty; catch headers here too. */
    {
        int line = 0;
        const char *p = st.text, *end = st.text + len;
        while (p < end && !rc) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            line++;
            while (n && (*p == ' ' || *p == '\t')) p++, n--;
            if (n && *p == '[') {
                const char *close = memchr(p, ']', n);
                char sec[128];
                snprintf(sec, sizeof sec, "%.*s", close ? (int)(close - p - 1) : (int)n - 1, p + 1);
                if (!close)
                    rc = nn_err(NN_ECONFIG, "%s:%d: section header lacks ']'", s->path, line);
                else if (strcmp(sec, "study") && strcmp(sec, "probes") && strncmp(sec, "run.", 4))
                    rc = nn_err(NN_ECONFIG, "%s:%d: unknown section [%s]; sections are [study], "
                                "[run.ID], [probes]", s->path, line, sec);
            }
            p = nl ? nl + 1 : end;
        }
    }
    if (!rc) {
        int r = ini_parse_stream(st_reader, &st, st_handler, &st);
        rc = st.err ? st.err : r == -2 ? nn_err(NN_ENOMEM, "%s: out of memory", s->path)
             : r ? nn_err(NN_ECONFIG, "%s:%d: syntax error", s->path, r) : NN_OK;
    }
    free(buf);
    if (rc) return rc;
    if (s->nruns == 0) return nn_err(NN_ECONFIG, "%s: no [run.ID] sections: nothing to study", s->path);
    if (!s->name[0]) {
        /* Default name: the study directory's base name. */
        snprintf(tmp, sizeof tmp, "%s", st.dir);
        snprintf(s->name, sizeof s->name, "%s", basename(tmp));
    }
    if (!s->out[0]) snprintf(s->out, sizeof s->out, "runs/study-%s", s->name);
    for (int i = 0; i < s->nruns; i++) {
        study_run *r = &s->runs[i];
        if (!r->config[0])
            return nn_err(NN_ECONFIG, "%s:%d: [run.%s] has no 'config = FILE'", s->path, r->line, r->id);
        if (stat(r->config, &stt) != 0)
            return nn_err(NN_ECONFIG, "%s:%d: [run.%s] config %s: %s", s->path, st.cfg_line[i], r->id,
                          r->config, strerror(errno));
        config c;
        config_defaults(&c);
        if ((rc = config_load(&c, r->config))) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", nn_errmsg());
            return nn_err(rc, "%s:%d: [run.%s]: %s", s->path, st.cfg_line[i], r->id, msg);
        }
    }
    return NN_OK;
}
