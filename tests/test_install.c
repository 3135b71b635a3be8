/* `make install` into a scratch DESTDIR, and what it installed: man pages
 * that say what --help says, a bash completion that completes, a binary
 * that runs from there with its example configs; then `make uninstall`
 * takes away exactly that. And the version a build without git reports. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test.h"

/* Runs a shell command with its output in *out (valid until the next
 * call): its exit status, or -1. */
static int sh(const char *cmd, const char **out)
{
    static uint8_t *buf;
    size_t len = strlen(cmd) + 600, n = 0;
    char *full = malloc(len);
    if (!full) return -1;
    const char *log = test_path("install-sh.txt");
    snprintf(full, len, "( %s ) > '%s' 2>&1", cmd, log);
    int st = system(full);
    free(full);
    free(buf);
    buf = test_read_file(log, &n);
    if (out) *out = buf ? (const char *)buf : "";
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The make variables that built the binary under test (SAN=1 for
 * build/san/saddle, ...), so the install copies that one rather than
 * building another. Make's own job-server variables are not passed on. */
static const char *make_cmd(void)
{
    static char cmd[256];
    const char *bin = test_saddle_bin();
    snprintf(cmd, sizeof cmd, "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory%s%s",
             strstr(bin, "build/san") ? " SAN=1" : "", strstr(bin, "-mpi/") ? " MPI=1" : "");
    return cmd;
}

static char dest[512], usr[600];

static int installed(void)
{
    static int done, ok;
    if (done) return ok;
    done = 1;
    snprintf(dest, sizeof dest, "%sinstall-root", test_tmpdir());
    snprintf(usr, sizeof usr, "%s/usr", dest);
    char cmd[1200];
    const char *out;
    snprintf(cmd, sizeof cmd, "%s install DESTDIR='%s' PREFIX=/usr", make_cmd(), dest);
    ok = sh(cmd, &out) == 0;
    if (!ok) test_fail(__FILE__, __LINE__, "make install: %s", out);
    return ok;
}

static const char *const CMDS[] = {"train", "eval", "surface", "interp", "pca", "render", "hessian",
                                   "sharpness", "plot", "study", "compare", "rescale", "toy",
                                   "restarts", "critical", "bench"};
#define NCMDS (sizeof CMDS / sizeof *CMDS)

TEST(install_puts_everything_under_prefix)
{
    if (!installed()) return;
    static const char *const FILES[] = {
        "bin/saddle", "share/man/man1/saddle.1", "share/bash-completion/completions/saddle",
        "share/saddle/configs/spirals.ini", "share/saddle/configs/study/tiny/study.ini",
        "share/doc/saddle/README.md", "share/doc/saddle/LICENSE", "share/doc/saddle/CITATION.cff"};
    for (size_t k = 0; k < sizeof FILES / sizeof *FILES; k++)
        CHECK_MSG(test_exists(test_join(usr, FILES[k])), "not installed: %s", FILES[k]);
    for (size_t k = 0; k < NCMDS; k++) {
        char page[64];
        snprintf(page, sizeof page, "share/man/man1/saddle-%s.1", CMDS[k]);
        CHECK_MSG(test_exists(test_join(usr, page)), "no man page %s", page);
    }
}

/* Every option a command's --help lists is in its man page, groff has
 * nothing to say about any page, lexgrog finds their NAME lines, and man
 * shows them. */
TEST(install_man_pages_follow_help)
{
    if (!installed()) return;
    const char *out;
    char cmd[4000], list[2000] = "''";
    for (size_t k = 0; k < NCMDS; k++) {
        size_t L = strlen(list);
        snprintf(list + L, sizeof list - L, " %s", CMDS[k]);
    }
    /* The options in the usage lines and in the entries below them (the
     * commands, for saddle itself). */
    snprintf(cmd, sizeof cmd,
             "d='%s/share/man/man1'; for c in %s; do "
             "  page=$d/saddle${c:+-}$c.1; txt='%sman.txt'; "
             "  groff -man -Tutf8 -ww -P-cbou $page > $txt 2> $txt.warn || { echo \"$page: groff fails\"; exit 1; }; "
             "  [ -s $txt.warn ] && { echo \"$page:\"; cat $txt.warn; exit 1; }; "
             "  h=$('%s' $c --help) || exit 1; n=0; "
             "  for o in $(echo \"$h\" | sed -n '/^usage/,/^$/p' | grep -o -- '--[a-z][a-z0-9-]*'; "
             "             echo \"$h\" | grep -o -- '^ *--[a-z][a-z0-9-]*\\|^  [a-z]\\+ '); do "
             "    n=$((n+1)); grep -q -- \"$o\" $txt || { echo \"$page: missing $o\"; exit 1; }; done; "
             "  [ $n -ge 1 ] || { echo \"$c: no options in --help\"; exit 1; }; "
             "done; lexgrog $d/saddle*.1 | grep -vc ': \"saddle.* - ' | grep -qx 0 || { lexgrog $d/saddle*.1; exit 1; }",
             usr, list, test_tmpdir(), test_saddle_bin());
    CHECK_MSG(sh(cmd, &out) == 0, "%s", out);
    /* As man shows a page: headings and the config key table. */
    snprintf(cmd, sizeof cmd, "MANWIDTH=100 man -l '%s/share/man/man1/saddle-train.1'", usr);
    CHECK(sh(cmd, &out) == 0);
    CHECK_MSG(strstr(out, "SYNOPSIS") && strstr(out, "OPTIONS") && strstr(out, "CONFIG KEYS") &&
              strstr(out, "optimizer.sam_rho") && strstr(out, "saddle train CONFIG"), "%s", out);
}

/* The installed binary runs from anywhere with the installed configs, and
 * says the same version as the one it was copied from. */
TEST(install_binary_runs_from_prefix)
{
    if (!installed()) return;
    const char *out;
    char cmd[2400], want[256] = "";
    CHECK(test_saddle("--version", &out) == 0);
    snprintf(want, sizeof want, "%s", out);
    snprintf(cmd, sizeof cmd, "cd / && '%s/bin/saddle' --version", usr);
    CHECK_MSG(sh(cmd, &out) == 0 && !strcmp(out, want), "'%s' vs '%s'", out, want);
    snprintf(cmd, sizeof cmd,
             "cd / && '%s/bin/saddle' train '%s/share/saddle/configs/spirals.ini' --out '%sinstalled-run' "
             "--set train.epochs=2 --set train.threads=1 --set data.synth_n=300",
             usr, usr, test_tmpdir());
    CHECK_MSG(sh(cmd, &out) == 0, "%s", out);
    CHECK(test_exists(test_path("installed-run/final.safetensors")));
}

/* Completion as bash would call it: COMP_LINE up to the cursor. */
static int complete(const char *line, const char **out)
{
    char cmd[4000];
    snprintf(cmd, sizeof cmd,
             "PATH='%s/bin':$PATH bash -c 'source \"%s/share/bash-completion/completions/saddle\" && "
             "COMP_LINE=\"$1\" COMP_POINT=${#1} COMP_WORDS=($1) COMP_CWORD=$#; "
             "_saddle saddle; printf \"%%s\\n\" \"${COMPREPLY[@]}\"' _ '%s'",
             usr, usr, line);
    return sh(cmd, out);
}

static int has_line(const char *text, const char *line)
{
    size_t L = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p += L)
        if ((p == text || p[-1] == '\n') && (p[L] == '\n' || !p[L])) return 1;
    return 0;
}

TEST(install_bash_completion)
{
    if (!installed()) return;
    const char *out;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "bash -c 'source \"%s/share/bash-completion/completions/saddle\" && complete -p saddle'", usr);
    CHECK_MSG(sh(cmd, &out) == 0 && strstr(out, "-F _saddle saddle"), "%s", out);

    CHECK_MSG(complete("saddle tr", &out) == 0 && !strcmp(out, "train\n"), "%s", out);
    CHECK_MSG(complete("saddle help cri", &out) == 0 && !strcmp(out, "critical\n"), "%s", out);
    CHECK_MSG(complete("saddle surface --gr", &out) == 0 && !strcmp(out, "--grid\n"), "%s", out);
    CHECK_MSG(complete("saddle hessian x --slq", &out) == 0 && !strcmp(out, "--slq-steps\n"), "%s", out);
    CHECK_MSG(complete("saddle surface x --data ", &out) == 0 && has_line(out, "train") && has_line(out, "test"),
              "%s", out);
    CHECK_MSG(complete("saddle surface x --norm l", &out) == 0 && !strcmp(out, "layer\n"), "%s", out);
    CHECK_MSG(complete("saddle bench --only h", &out) == 0 && !strcmp(out, "hvp\n"), "%s", out);
    /* Config keys after --set, and an enum key's values (bash splits the
     * word at '=' and replaces only what follows it). */
    CHECK_MSG(complete("saddle train x.ini --set optimizer.l", &out) == 0 && !strcmp(out, "optimizer.lr=\n"),
              "%s", out);
    CHECK_MSG(complete("saddle train x.ini --set optimizer.type=ada", &out) == 0 && has_line(out, "adam") &&
              has_line(out, "adamw") && !has_line(out, "sgd"), "%s", out);
    /* Run directories before other directories; files by kind. */
    char line[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%sinstalled-rux' && touch '%sinstalled-x.ini'", test_tmpdir(), test_tmpdir());
    CHECK(sh(cmd, NULL) == 0);
    if (test_exists(test_path("installed-run/config.ini"))) {
        snprintf(line, sizeof line, "saddle pca %sinstalled-ru", test_tmpdir());
        CHECK_MSG(complete(line, &out) == 0 && has_line(out, test_path("installed-run")) &&
                  !has_line(out, test_path("installed-rux")), "%s", out);
    }
    snprintf(line, sizeof line, "saddle train %sinstalled-", test_tmpdir());
    CHECK_MSG(complete(line, &out) == 0 && has_line(out, test_path("installed-x.ini")), "%s", out);
}

/* Runs last in this file: uninstall leaves no file of its own behind, and
 * keeps one it did not install. */
TEST(install_uninstall_removes_exactly_what_it_installed)
{
    if (!installed()) return;
    const char *out;
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "echo mine > '%s/share/man/man1/other.1'", usr);
    CHECK(sh(cmd, NULL) == 0);
    snprintf(cmd, sizeof cmd, "%s uninstall DESTDIR='%s' PREFIX=/usr", make_cmd(), dest);
    CHECK_MSG(sh(cmd, &out) == 0, "make uninstall: %s", out);
    snprintf(cmd, sizeof cmd, "cd '%s' && find . -type f", dest);
    CHECK_MSG(sh(cmd, &out) == 0 && !strcmp(out, "./usr/share/man/man1/other.1\n"), "left behind: %s", out);
    CHECK(!test_exists(test_join(usr, "share/saddle")) && !test_exists(test_join(usr, "bin")));
    CHECK(test_exists(test_join(usr, "share/man/man1")));
    /* A second uninstall finds nothing to remove and says so. */
    snprintf(cmd, sizeof cmd, "%s uninstall DESTDIR='%s' PREFIX=/usr", make_cmd(), dest);
    CHECK_MSG(sh(cmd, &out) != 0 && strstr(out, "not installed"), "%s", out);
}

/* Outside a git checkout the version comes from the VERSION file a
 * release tarball carries, and is "unknown" without one (or with junk). */
TEST(install_version_without_git)
{
    const char *out;
    char cmd[1600];
    const char *d = test_path("version-tree");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/tools' && cp tools/version.sh '%s/tools/' && cd '%s' && "
             "bash tools/version.sh && echo 1.2.3-4-gabcdef > VERSION && bash tools/version.sh && "
             "printf 'bad\\\"name\\n' > VERSION && bash tools/version.sh", d, d, d);
    CHECK_MSG(sh(cmd, &out) == 0 && !strcmp(out, "unknown\n1.2.3-4-gabcdef\nunknown\n"), "%s", out);
    /* In the checkout this binary was built from, it is git's. */
    CHECK(test_saddle("--version", &out) == 0 && !strncmp(out, "saddle ", 7));
    CHECK_MSG(!strstr(out, "unknown") && strlen(out) > 8, "%s", out);
}
