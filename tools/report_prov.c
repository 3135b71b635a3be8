/* The head of the study report: when and by which saddle it was made, the
 * command that made it, the machine it ran on, and a hash of every run's
 * config.ini and checkpoint, so a report sent away still says what it
 * describes. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "report_priv.h"

/* One argument as a shell would need it: quoted when it holds anything but
 * plain path characters. */
static void shell_arg(FILE *f, const char *a)
{
    if (*a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./=:,+@%") ==
                  strlen(a)) {
        fputs(a, f);
        return;
    }
    fputc('\'', f);
    for (; *a; a++) {
        if (*a == '\'') fputs("'\\''", f);
        else fputc(*a, f);
    }
    fputc('\'', f);
}

static void command_line(const study *s, char *buf, size_t len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (!f) {
        snprintf(buf, len, "(unknown)");
        return;
    }
    fputs("saddle", f);
    for (int i = 0; i < s->argc; i++) {
        fputc(' ', f);
        shell_arg(f, s->argv[i]);
    }
    if (fclose(f) || !text) snprintf(buf, len, "(unknown)");
    else snprintf(buf, len, "%s", text);
    free(text);
}

/* A provenance line: "- Key: value" in Markdown, a <dt>/<dd> pair in HTML. */
static void prov_item(report_out *o, const char *key, const char *value, int code)
{
    report_pr(o->md, code ? "- %s: `%s`\n" : "- %s: %s\n", key, value);
    report_pr(o->html, "<dt>%s</dt><dd>%s", key, code ? "<code>" : "");
    report_html_escape(o->html, value);
    report_pr(o->html, "%s</dd>\n", code ? "</code>" : "");
}

static void file_crc_text(const char *dir, const char *name, char *buf, size_t len)
{
    char p[4400];
    unsigned long crc;
    long long bytes;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (probe_file_crc(p, &crc, &bytes) == NN_OK) snprintf(buf, len, "%08lx", crc);
    else snprintf(buf, len, "–");
}

int report_provenance(const study *s, report_out *o)
{
    char when[64] = "(unknown)", cmd[8192], machine[1024], ver[128];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    command_line(s, cmd, sizeof cmd);
    struct utsname u;
    char os[512] = "";
    if (uname(&u) == 0) snprintf(os, sizeof os, "; %s %s %s", u.sysname, u.release, u.machine);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* The BLAS kernels set the speed and, through summation order, the last
     * digits of every number below. */
    const char *cfg = openblas_get_config(), *core = openblas_get_corename();
    snprintf(machine, sizeof machine, "%ld cores; BLAS kernels: %s (%s)%s", cores, core ? core : "?",
             cfg ? cfg : "?", os);
    /* `git describe` of the build, or a release tarball's VERSION. */
    snprintf(ver, sizeof ver, "%s", SADDLE_VERSION);
    fputs("<dl class=\"prov\">\n", o->html);
    prov_item(o, "Made", when, 0);
    prov_item(o, "saddle", ver, 0);
    prov_item(o, "Command", cmd, 1);
    prov_item(o, "Machine", machine, 0);
    fputs("</dl>\n", o->html);
    fputs("\n", o->md);

    static const char *cols[4] = {"directory", "config", "config.ini crc32", "final.safetensors crc32"};
    report_tab *t = report_tab_new("run", cols, 4, STUDY_MAX_RUNS * STUDY_MAX_SEEDS);
    if (!t) return NN_ENOMEM;
    for (int i = 0; i < s->nruns; i++)
        for (int k = 0; k < s->runs[i].ndirs; k++) {
            const char *d = s->runs[i].dirs[k];
            char c1[16], c2[16];
            int r = report_tab_add(t, s->runs[i].label, -1);
            file_crc_text(d, "config.ini", c1, sizeof c1);
            file_crc_text(d, "final.safetensors", c2, sizeof c2);
            report_tab_text(t, r, 0, d);
            report_tab_text(t, r, 1, s->runs[i].config);
            report_tab_text(t, r, 2, c1);
            report_tab_text(t, r, 3, c2);
        }
    report_tab_write(t, o);
    report_tab_free(t);
    return NN_OK;
}
