/* `saddle study DIR` and `saddle compare RUN...`: train every run x seed of a
 * study (skipping finished ones), probe each through the probe commands
 * themselves, and write the report. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../datasets/fileio.h"
#include "probe.h"
#include "study.h"

static const char STUDY_USAGE[] =
    "usage: saddle study DIR [--out OUT]\n"
    "\n"
    "Trains every run x seed that DIR/study.ini names into OUT/RUN-sSEED (a run\n"
    "whose final.safetensors exists with the same config is kept, so a study\n"
    "resumes), probes each (Hessian, sharpness, surfaces, slices) and writes\n"
    "OUT/report.md and OUT/report.html with their PNGs. study.ini:\n"
    "\n"
    "  [study]   name, seeds = 1,2,3, out (default runs/study-NAME),\n"
    "            data_limit (examples the probes use, default 2000), threads\n"
    "  [run.ID]  config = FILE (relative to DIR), label = TEXT   (one per run)\n"
    "  [probes]  slice, surface, hessian, density, sharpness, monitor, rescale = yes|no;\n"
    "            slice_grid (41), slice_range (-1:1), surface_grid (21x21),\n"
    "            surface_range (-1:1), hessian_probes (30), density_runs (5),\n"
    "            density_steps (60), eps (1e-3,5e-4,1e-4), rescale_layer (0),\n"
    "            rescale_factor (10); plateau = yes|no (`saddle plot` on every run\n"
    "            and a table of the plateaus in the training loss), plateau_tol\n"
    "            (0.25), plateau_window (0.1), plateau_min (5): see `saddle plot --help`\n";

static const char COMPARE_USAGE[] =
    "usage: saddle compare RUN_DIR... [--out OUT] [--limit N]\n"
    "\n"
    "The study report for runs that exist: run directories whose names differ only\n"
    "by a -sN suffix are seeds of one run (runs/study-x/sb-s1 and runs/study-x/sb-s2\n"
    "are seeds 1 and 2 of sb). Probes missing from a run are computed with the\n"
    "study defaults (see `saddle study --help`).\n"
    "\n"
    "options:\n"
    "  --out OUT     where the report goes (default runs/compare)\n"
    "  --limit N     training examples the probes use, seeded subset (default 2000;\n"
    "                0 = all)\n"
    "  --pca         instead of the report: every run's trajectory on one shared PCA\n"
    "                plane, exactly `saddle pca RUN...` (its options; see its --help)\n";

/* Runs a saddle subcommand in this process, echoing its command line. */
static int call(int (*fn)(int, char **), int argc, char **argv)
{
    fprintf(stderr, "== saddle");
    for (int i = 0; i < argc; i++) fprintf(stderr, " %s", argv[i]);
    fputc('\n', stderr);
    fflush(stdout);
    int rc = fn(argc, argv);
    fflush(stdout);
    return rc;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* A probe result that can be kept: it exists and was measured on the
 * examples the study asks for now (its sidecar's data.limit), so changing
 * data_limit re-probes instead of mixing old and new subsets in one table. */
static int probed(const char *sidecar, long long limit)
{
    cJSON *j;
    if (!file_exists(sidecar) || probe_json_read(sidecar, &j)) return 0;
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "limit");
    int same = cJSON_IsNumber(l) && l->valuedouble == (double)limit;
    cJSON_Delete(j);
    return same;
}

/* The config the study would train RUN with at SEED, resolved as cmd_train does. */
static int resolved_config(const char *path, long seed, int threads, char **text)
{
    config c;
    config_defaults(&c);
    char set[64];
    int rc = config_load(&c, path);
    snprintf(set, sizeof set, "train.seed=%ld", seed);
    if (!rc) rc = config_set(&c, set);
    snprintf(set, sizeof set, "train.threads=%d", threads);
    if (!rc && threads > 0) rc = config_set(&c, set);
    if (rc) return rc;
    cli_config_resolve(&c);
    *text = config_format(&c);
    return *text ? NN_OK : nn_err(NN_ENOMEM, "out of memory");
}

static int same_config(const char *run_dir, const char *want)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/config.ini", run_dir);
    config c;
    config_defaults(&c);
    if (config_load(&c, p)) return 0;
    char *have = config_format(&c);
    int same = have && !strcmp(have, want);
    free(have);
    return same;
}

static int train_all(study *s)
{
    for (int i = 0; i < s->nruns; i++) {
        study_run *r = &s->runs[i];
        r->ndirs = s->nseeds;
        for (int k = 0; k < s->nseeds; k++) {
            char *dir = r->dirs[k], name[4096];
            /* Through a local buffer: dir and s->out live in the same struct. */
            snprintf(name, sizeof name, "%.3900s/%s-s%ld", s->out, r->id, s->seeds[k]);
            memcpy(dir, name, sizeof name);
            char *want = NULL, fin[4200];
            int rc = resolved_config(r->config, s->seeds[k], s->threads, &want);
            if (rc) return cli_fail("study", rc);
            snprintf(fin, sizeof fin, "%s/final.safetensors", dir);
            int done = file_exists(fin) && same_config(dir, want);
            if (done) {
                free(want);
                fprintf(stderr, "%s: trained already with this config; kept\n", dir);
                continue;
            }
            char seed[64], thr[64];
            snprintf(seed, sizeof seed, "train.seed=%ld", s->seeds[k]);
            snprintf(thr, sizeof thr, "train.threads=%d", s->threads);
            char *av[9] = {"train", r->config, "--out", dir, "--set", seed, "--set", thr};
            int ac = s->threads > 0 ? 8 : 6;
            /* A run of this config that was stopped is continued; one of
             * another config is the study's to replace. */
            snprintf(fin, sizeof fin, "%s/config.ini", dir);
            if (file_exists(fin) && same_config(dir, want)) {
                char *avr[] = {"train", "--resume", dir};
                av[0] = avr[0], av[1] = avr[1], av[2] = avr[2];
                ac = 3;
            } else if (file_exists(fin)) {
                fprintf(stderr, "%s: trained with another config; retrained\n", dir);
                av[ac++] = "--force";
            }
            free(want);
            if ((rc = call(cmd_train, ac, av))) return rc;
            /* A retrained run's old probes describe other weights. */
            r->fresh[k] = 1;
        }
    }
    return EXIT_OK;
}

/* 1 when a sidecar's examples are a seeded subset rather than the whole split. */
static int on_subset(const char *sidecar)
{
    cJSON *j;
    if (probe_json_read(sidecar, &j)) return 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "subset");
    int sub = cJSON_IsString(v) && strcmp(v->valuestring, "all") != 0;
    cJSON_Delete(j);
    return sub;
}

/* Probes on a subset measure the subset as well as the model: λmax and the
 * first ε-sharpness of seed 1 again on a second seeded subset of the same
 * size, so the report can set differences between runs against it. */
static int probe_subset2(const study *s, const study_run *r, char *dir, char *lim, char *thr)
{
    const study_probes *p = &s->probes;
    char f[4200], name[96];
    snprintf(f, sizeof f, "%s/probes/hessian.json", dir);
    if (s->data_limit <= 0 || !on_subset(f)) return EXIT_OK;
    int rc;
    snprintf(f, sizeof f, "%s/probes/hessian-subset2.json", dir);
    if (p->hessian && (r->fresh[0] || !probed(f, s->data_limit))) {
        char *av[] = {"hessian", dir, "--top", "1", "--limit", lim, "--seed", "2", "--name",
                      "hessian-subset2", "--threads", thr};
        if ((rc = call(cmd_hessian, 12, av))) return rc;
    }
    snprintf(name, sizeof name, "sharpness-eps%g-subset2", p->eps[0]);
    snprintf(f, sizeof f, "%s/probes/%s.json", dir, name);
    if (p->sharpness && p->neps > 0 && (r->fresh[0] || !probed(f, s->data_limit))) {
        char eps[32];
        snprintf(eps, sizeof eps, "%g", p->eps[0]);
        char *av[] = {"sharpness", dir, "--eps", eps, "--name", name, "--limit", lim, "--seed", "2",
                      "--threads", thr};
        if ((rc = call(cmd_sharpness, 12, av))) return rc;
    }
    return EXIT_OK;
}

static int probe_all(study *s, char *notes, size_t notes_len)
{
    const study_probes *p = &s->probes;
    char lim[32], thr[32], tmp[64];
    snprintf(lim, sizeof lim, "%lld", s->data_limit);
    snprintf(thr, sizeof thr, "%d", s->threads);
    int rc;
    for (int i = 0; i < s->nruns; i++) {
        study_run *r = &s->runs[i];
        for (int k = 0; k < r->ndirs; k++) {
            char *dir = r->dirs[k], f[4200];
            /* Probe outputs are keyed to the checkpoint they measured; a
             * rerun study reuses them when the run was kept. */
            snprintf(f, sizeof f, "%s/probes/hessian.json", dir);
            if (p->hessian && (r->fresh[k] || !probed(f, s->data_limit))) {
                char pr[32], runs[32], steps[32];
                snprintf(pr, sizeof pr, "%d", p->hessian_probes);
                snprintf(runs, sizeof runs, "%d", p->density_runs);
                snprintf(steps, sizeof steps, "%d", p->density_steps);
                /* --overwrite: a fresh run's old results measured a model that is gone. */
                char *av[] = {"hessian", dir, "--overwrite", "--top", "1", "--trace", "--probes", pr,
                              "--limit", lim, "--threads", thr, "--density", "--runs", runs,
                              "--slq-steps", steps};
                /* The density is drawn for seed 1 of each run only. */
                int ac = p->density && k == 0 ? 17 : 12;
                if ((rc = call(cmd_hessian, ac, av))) return rc;
            }
            for (int e = 0; p->sharpness && e < p->neps; e++) {
                char name[64];
                snprintf(name, sizeof name, "sharpness-eps%g", p->eps[e]);
                snprintf(f, sizeof f, "%s/probes/%s.json", dir, name);
                if (!r->fresh[k] && probed(f, s->data_limit)) continue;
                snprintf(tmp, sizeof tmp, "%g", p->eps[e]);
                char *av[] = {"sharpness", dir, "--eps", tmp, "--name", name, "--limit", lim, "--threads", thr,
                              "--overwrite"};
                if ((rc = call(cmd_sharpness, 11, av))) return rc;
            }
            if (k == 0 && (rc = probe_subset2(s, r, dir, lim, thr))) return rc;
            snprintf(f, sizeof f, "%s/probes/surface.json", dir);
            if (p->surface && k == 0 && (r->fresh[k] || !probed(f, s->data_limit))) {
                char *av[] = {"surface", dir, "--grid", (char *)p->surface_grid, "--range",
                              (char *)p->surface_range, "--limit", lim, "--threads", thr, "--overwrite"};
                if ((rc = call(cmd_surface, 11, av))) return rc;
            }
        }
    }
    for (int i = 0; p->plateau && i < s->nruns; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            /* Cheap (log.csv only), so always redrawn: the options may have changed. */
            char tol[32], win[32], mn[32];
            snprintf(tol, sizeof tol, "%g", p->plateau_tol);
            snprintf(win, sizeof win, "%g", p->plateau_window);
            snprintf(mn, sizeof mn, "%d", p->plateau_min);
            char *av[] = {"plot", s->runs[i].dirs[k], "--plateau-tol", tol, "--plateau-window", win,
                          "--plateau-min", mn};
            if ((rc = call(cmd_plot, 8, av))) return rc;
        }
    if (p->slice) {
        /* Seed 1 of every run along the same seeded directions. */
        char *av[32];
        int ac = 0;
        char grid[32];
        snprintf(grid, sizeof grid, "%d", p->slice_grid);
        av[ac++] = "surface";
        for (int i = 0; i < s->nruns && i < 8; i++) av[ac++] = s->runs[i].dirs[0];
        if (s->nruns == 1) av[ac++] = s->runs[0].dirs[0]; /* cmd_surface overlays from two targets */
        char *rest[] = {"--grid", grid, "--range", (char *)p->slice_range, "--limit", lim,
                        "--threads", thr, "--out", s->out, "--name", "slices", "--overwrite"};
        for (size_t j = 0; j < sizeof rest / sizeof *rest; j++) av[ac++] = rest[j];
        if ((rc = call(cmd_surface, ac, av))) return rc;
    }
    if (p->rescale) {
        char rdir[4200], ck[4200], outck[4400], lay[32], fac[32], eps[32];
        snprintf(rdir, sizeof rdir, "%s/rescale", s->out);
        snprintf(ck, sizeof ck, "%s/final.safetensors", s->runs[0].dirs[0]);
        snprintf(outck, sizeof outck, "%s/rescaled.safetensors", rdir);
        snprintf(lay, sizeof lay, "%d", p->rescale_layer);
        snprintf(fac, sizeof fac, "%g", p->rescale_factor);
        snprintf(eps, sizeof eps, "%g", p->neps ? p->eps[0] : 1e-3);
        if ((rc = file_mkdirs(rdir))) return cli_fail("study", rc);
        char *av[] = {"rescale", ck, "--layer", lay, "--factor", fac, "--out", outck, "--no-sharpness",
                      "--threads", thr};
        rc = call(cmd_rescale, 11, av);
        if (rc) {
            /* Not every net can be rescaled (tanh): the report says so. */
            snprintf(notes, notes_len, "The rescaling demonstration was skipped: `saddle rescale` failed "
                     "on %.700s (see the study's output; it needs a ReLU after layer %d).", ck, p->rescale_layer);
        } else {
            const char *which[2] = {ck, outck}, *names[2] = {"before", "after"};
            for (int w = 0; w < 2; w++) {
                char *sv[] = {"sharpness", (char *)which[w], "--eps", eps, "--out", rdir, "--name",
                              (char *)names[w], "--limit", lim, "--threads", thr, "--overwrite"};
                if ((rc = call(cmd_sharpness, 13, sv))) return rc;
            }
        }
    }
    return EXIT_OK;
}

int cmd_study(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(STUDY_USAGE, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc) return cli_usage_error("study", "--out needs a value");
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("study", "unknown option '%s'", argv[i]);
        } else if (!dir) {
            dir = argv[i];
        } else {
            return cli_usage_error("study", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!dir) return cli_usage_error("study", "a study directory (or its study.ini) is required");
    study *s = malloc(sizeof *s);
    if (!s) return cli_fail("study", nn_err(NN_ENOMEM, "out of memory"));
    int rc = study_load(s, dir);
    if (rc) {
        free(s);
        return cli_fail("study", rc);
    }
    if (out) snprintf(s->out, sizeof s->out, "%s", out);
    s->argc = argc, s->argv = argv;
    char notes[1024] = "";
    if ((rc = file_mkdirs(s->out))) rc = cli_fail("study", rc);
    if (!rc) rc = train_all(s);
    if (!rc) rc = probe_all(s, notes, sizeof notes);
    if (!rc && (rc = report_write(s, notes))) rc = cli_fail("study", rc);
    if (!rc) printf("report: %s/report.md, %s/report.html\n", s->out, s->out);
    free(s);
    return rc;
}

/* "runs/sb-s2" -> group "sb", seed 2; names without -sN are their own group. */
static void split_seed(const char *path, char *group, size_t len, long *seed)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    size_t l = strlen(tmp);
    while (l > 1 && tmp[l - 1] == '/') tmp[--l] = 0;
    const char *base = basename(tmp);
    snprintf(group, len, "%s", base);
    *seed = 1;
    char *d = strrchr(group, '-');
    if (d && d[1] == 's' && d[2]) {
        char *end;
        long x = strtol(d + 2, &end, 10);
        if (!*end && x >= 0) {
            *d = 0;
            *seed = x;
        }
    }
}

int cmd_compare(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--pca")) {
            /* `compare --pca RUN...` is `pca RUN...`, the same result. */
            char **av = malloc((size_t)argc * sizeof *av);
            if (!av) return cli_fail("compare", nn_err(NN_ENOMEM, "out of memory"));
            int n = 0;
            av[n++] = "pca";
            for (int k = 1; k < argc; k++)
                if (k != i) av[n++] = argv[k];
            int rc = cmd_pca(n, av);
            free(av);
            return rc;
        }
    study *s = malloc(sizeof *s);
    if (!s) return cli_fail("compare", nn_err(NN_ENOMEM, "out of memory"));
    study_defaults(s);
    snprintf(s->name, sizeof s->name, "compare");
    snprintf(s->out, sizeof s->out, "runs/compare");
    s->nseeds = 0;
    s->argc = argc, s->argv = argv;
    int rc = EXIT_OK;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(COMPARE_USAGE, stdout);
            free(s);
            return EXIT_OK;
        } else if (!strcmp(a, "--out") || !strcmp(a, "--limit")) {
            if (i + 1 >= argc) rc = cli_usage_error("compare", "%s needs a value", a);
            else if (!strcmp(a, "--out")) snprintf(s->out, sizeof s->out, "%s", argv[++i]);
            else {
                char *end;
                const char *v = argv[++i];
                long long x = strtoll(v, &end, 10);
                if (end == v || *end || x < 0 || x > (1LL << 40))
                    rc = cli_usage_error("compare", "--limit wants a count of examples, not '%s'", v);
                s->data_limit = x;
            }
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("compare", "unknown option '%s'", a);
        } else {
            char fin[4200], group[128];
            long seed;
            snprintf(fin, sizeof fin, "%s/final.safetensors", a);
            if (!file_exists(fin)) {
                rc = cli_fail("compare", nn_err(NN_EIO, "%s: not a run directory (no final.safetensors)", a));
                break;
            }
            split_seed(a, group, sizeof group, &seed);
            study_run *r = NULL;
            for (int k = 0; k < s->nruns; k++)
                if (!strcmp(s->runs[k].id, group)) r = &s->runs[k];
            if (!r && s->nruns >= STUDY_MAX_RUNS) {
                rc = cli_usage_error("compare", "at most %d runs", STUDY_MAX_RUNS);
                break;
            }
            if (!r) {
                r = &s->runs[s->nruns++];
                snprintf(r->id, sizeof r->id, "%.63s", group);
                snprintf(r->label, sizeof r->label, "%.127s", group);
            }
            if (r->ndirs >= STUDY_MAX_SEEDS) {
                rc = cli_usage_error("compare", "at most %d seeds per run", STUDY_MAX_SEEDS);
                break;
            }
            /* Seed 1 (the smallest) first: it is the one drawn. */
            int at = r->ndirs++;
            while (at > 0) {
                long other;
                char g2[128];
                split_seed(r->dirs[at - 1], g2, sizeof g2, &other);
                if (other <= seed) break;
                memcpy(r->dirs[at], r->dirs[at - 1], sizeof r->dirs[at]);
                at--;
            }
            snprintf(r->dirs[at], sizeof r->dirs[at], "%s", a);
            if (r->ndirs > s->nseeds) s->nseeds = r->ndirs;
        }
    }
    if (!rc && s->nruns == 0) rc = cli_usage_error("compare", "run directories are required");
    char notes[1024] = "";
    if (!rc && (rc = file_mkdirs(s->out))) rc = cli_fail("compare", rc);
    if (!rc) rc = probe_all(s, notes, sizeof notes);
    if (!rc && (rc = report_write(s, notes))) rc = cli_fail("compare", rc);
    if (!rc) printf("report: %s/report.md, %s/report.html\n", s->out, s->out);
    free(s);
    return rc;
}
