/* Run directories: a run is never trained over or beside another one
 * (--resume or --force), one process writes a directory at a time, a resume
 * records what --set changed and refuses what it cannot honour, keeps the
 * run's training time, starts over when no checkpoint was written yet, and a
 * failed log write leaves whole rows and says why. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../nn/nn.h"
#include "test.h"

/* A run of a few hundred steps on spirals, a constant lr, snapshots every
 * 2 epochs and a checkpoint every 4 steps. */
static void small_config(config *c, const char *extra[], int nextra)
{
    config_defaults(c);
    const char *sets[] = {
        "data.name=spirals", "data.synth_n=200", "data.synth_test_n=100", "data.synth_classes=3",
        "data.normalize=none", "model.layers=8 tanh, 3", "optimizer.type=adam", "optimizer.lr=0.03",
        "train.batch=50", "train.epochs=6", "train.seed=3", "train.threads=1", "train.eval_every=3",
        "train.snapshot_every=2", "train.ckpt_every=4"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) CHECK_OK(config_set(c, sets[i]));
    for (int i = 0; i < nextra; i++) CHECK_OK(config_set(c, extra[i]));
    if (c->data.seed == 0) c->data.seed = c->train.seed;
}

static void tpath(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s%s", test_tmpdir(), name);
}

static int same(const char *a, const char *b, const char *name)
{
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/%s", a, name);
    snprintf(pb, sizeof pb, "%s/%s", b, name);
    return test_same_file(pa, pb);
}

static int has(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return test_exists(p);
}

static void put(const char *dir, const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    CHECK(test_write_file(p, text, strlen(text)) == 0);
}

static int count_snapshots(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/traj", dir);
    DIR *d = opendir(p);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".safetensors") != NULL;
    if (d) closedir(d);
    return n;
}

TEST(train_into_a_run_refuses_and_force_replaces_it_whole)
{
    char dir[512], ref[512];
    tpath(dir, sizeof dir, "rd-run");
    tpath(ref, sizeof ref, "rd-ref");
    config c;
    small_config(&c, NULL, 0);
    train_result r;
    CHECK_OK(train_run(&c, dir, TRAIN_NEW, NULL, &r));
    char p[1024];
    snprintf(p, sizeof p, "%s/probes", dir);
    CHECK_OK(file_mkdirs(p));
    put(dir, "probes/surface.npy", "old surface");
    put(dir, "final-rescaled-l0-c10.safetensors", "old rescale");
    put(dir, "notes.txt", "the user's own");
    snprintf(p, sizeof p, "%s/log.csv", dir);
    size_t len;
    uint8_t *log0 = test_read_file(p, &len);

    /* Training again into it: refused, naming the run and both ways on. */
    CHECK_ERR(train_run(&c, dir, TRAIN_NEW, NULL, &r), NN_EINVAL, "already holds a run");
    CHECK_MSG(strstr(nn_errmsg(), "--resume") && strstr(nn_errmsg(), "--force") &&
              strstr(nn_errmsg(), "final.safetensors"), "%s", nn_errmsg());
    /* --force with a config that fails (4 outputs for 3 classes): the old
     * run is left whole. */
    config bad;
    const char *badset[] = {"model.layers=8 tanh, 4"};
    small_config(&bad, badset, 1);
    CHECK(train_run(&bad, dir, TRAIN_FORCE, NULL, &r) == NN_ECONFIG);
    uint8_t *log1 = test_read_file(p, &len);
    CHECK(log0 && log1 && !strcmp((char *)log0, (char *)log1));
    CHECK(has(dir, "probes/surface.npy") && has(dir, "final.safetensors"));
    CHECK(count_snapshots(dir) == 4);
    free(log0);
    free(log1);

    /* --force: no snapshot, probe result or rescaled model of the old run
     * survives beside the new one, and the new run is what a fresh one is. */
    const char *other[] = {"train.snapshot_every=3", "train.seed=9"};
    small_config(&c, other, 2);
    CHECK_OK(train_run(&c, dir, TRAIN_FORCE, NULL, &r));
    CHECK_OK(train_run(&c, ref, TRAIN_NEW, NULL, &r));
    CHECK(!has(dir, "probes") && !has(dir, "final-rescaled-l0-c10.safetensors"));
    CHECK(!has(dir, "traj/step-00000008.safetensors"));
    CHECK_MSG(count_snapshots(dir) == count_snapshots(ref), "%d vs %d snapshots",
              count_snapshots(dir), count_snapshots(ref));
    CHECK(has(dir, "notes.txt"));
    CHECK(same(dir, ref, "log.csv") && same(dir, ref, "final.safetensors") &&
          same(dir, ref, "config.ini") && same(dir, ref, "last.safetensors"));
    /* An empty directory is fine. */
    tpath(p, sizeof p, "rd-empty");
    CHECK_OK(file_mkdirs(p));
    CHECK_OK(train_run(&c, p, TRAIN_NEW, NULL, &r));
}

/* The saddle binary as an absolute path (tests may run it from elsewhere). */
static void saddle_bin(char *buf, size_t len)
{
    char *abs = realpath(test_saddle_bin(), NULL);
    snprintf(buf, len, "%s", abs ? abs : "bin/saddle");
    free(abs);
}

TEST(train_cli_refuses_a_run_directory_default_out_too)
{
    char dir[512], args[2048], cwd[1024], bin[1024], cmd[4096], cfg[1024];
    const char *out;
    tpath(dir, sizeof dir, "rd-cli");
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --set train.epochs=1 "
             "--set train.threads=1", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, "already holds a run") && strstr(out, "--resume") && strstr(out, "--force"),
              "%s", out);
    /* A refused run does not first announce that it is training. */
    CHECK_MSG(!strstr(out, "training configs"), "%s", out);
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --force --set train.epochs=2 "
             "--set train.threads=1", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(test_saddle("train configs/spirals.ini --resume x --force", &out) == 2);
    /* The default run directory, runs/<config name>, follows the same rule. */
    tpath(cwd, sizeof cwd, "rd-cwd");
    CHECK_OK(file_mkdirs(cwd));
    saddle_bin(bin, sizeof bin);
    if (!getcwd(cfg, sizeof cfg - 32)) cfg[0] = 0;
    strcat(cfg, "/configs/spirals.ini");
    snprintf(cmd, sizeof cmd, "cd %s && %s train %s --set train.epochs=1 --set train.threads=1 "
             ">/dev/null 2>&1", cwd, bin, cfg);
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = system(cmd);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 1, "second default-out train: status %d", st);
}

TEST(train_checks_the_directory_before_loading_data)
{
    char file[512], args[2048];
    const char *out;
    /* The output is a file and the data cannot be read: the directory is
     * what the message is about, found before the data are touched. */
    tpath(file, sizeof file, "rd-a-file");
    put(test_tmpdir(), "rd-a-file", "x");
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --set data.name=idx "
             "--set data.dir=/nonexistent", file);
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, file) && !strstr(out, "nonexistent"), "%s", out);
    /* A run directory with data that cannot be read: refused as a run. */
    char dir[512];
    tpath(dir, sizeof dir, "rd-early");
    config c;
    small_config(&c, NULL, 0);
    train_result r;
    CHECK_OK(train_run(&c, dir, TRAIN_NEW, NULL, &r));
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --set data.name=idx "
             "--set data.dir=/nonexistent", dir);
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, "already holds a run"), "%s", out);
    /* A failed run into a new directory leaves no directory behind. */
    char fresh[512];
    tpath(fresh, sizeof fresh, "rd-never");
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --set 'model.layers=8 tanh, 4'",
             fresh);
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(!test_exists(fresh), "%s was left behind", fresh);
}

/* Waits (up to ~60 s) until dir/.saddle-lock names a pid. */
static int wait_for_lock(const char *dir, pid_t pid)
{
    char p[1024], want[64];
    snprintf(p, sizeof p, "%s/%s", dir, FILE_LOCK_NAME);
    snprintf(want, sizeof want, "pid %ld", (long)pid);
    for (int i = 0; i < 6000; i++) {
        size_t len;
        char *t = (char *)test_read_file(p, &len);
        int ok = t && strstr(t, want);
        free(t);
        if (ok) return 1;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) return 0;
        usleep(10000);
    }
    return 0;
}

TEST(second_writer_of_a_run_directory_fails_naming_the_first)
{
    char dir[512], ref[512], bin[1024], args[2048];
    tpath(dir, sizeof dir, "rd-busy");
    tpath(ref, sizeof ref, "rd-busy-ref");
    saddle_bin(bin, sizeof bin);
    const char *sets = "--set train.epochs=200 --set train.snapshot_every=0 "
                       "--set train.threads=1 --set data.synth_n=600";
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
        execl(bin, bin, "train", "configs/spirals.ini", "--out", dir, "--set", "train.epochs=200",
              "--set", "train.snapshot_every=0", "--set", "train.threads=1", "--set",
              "data.synth_n=600", (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    CHECK_MSG(wait_for_lock(dir, pid), "%s/%s never named pid %ld", dir, FILE_LOCK_NAME, (long)pid);
    /* Held still mid-run, so the second writer certainly meets it. */
    kill(pid, SIGSTOP);
    int st = 0, done = waitpid(pid, &st, WNOHANG | WUNTRACED) == pid && !WIFSTOPPED(st);
    CHECK_MSG(!done, "the first training ended before the second started");
    char pidtxt[64];
    snprintf(pidtxt, sizeof pidtxt, "pid %ld", (long)pid);
    const char *out;
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s %s", dir, sets);
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, pidtxt), "no '%s' in: %s", pidtxt, out);
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --force %s", dir, sets);
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, pidtxt), "no '%s' in: %s", pidtxt, out);
    snprintf(args, sizeof args, "train --resume %s", dir);
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, pidtxt), "no '%s' in: %s", pidtxt, out);
    kill(pid, SIGCONT);
    if (!done) waitpid(pid, &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "first training: status %d", st);
    /* The first run is whole: what it would have been alone. */
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s %s", ref, sets);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(same(dir, ref, "log.csv") && same(dir, ref, "final.safetensors") &&
          same(dir, ref, "config.ini") && same(dir, ref, "last.safetensors"));
}

static char *read_text(const char *dir, const char *name)
{
    char p[1024];
    size_t len;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return (char *)test_read_file(p, &len);
}

TEST(resume_set_is_recorded_and_unhonourable_changes_refused)
{
    char dir[512], ref[512], args[2048];
    const char *out;
    tpath(dir, sizeof dir, "rd-resume");
    tpath(ref, sizeof ref, "rd-resume-ref");
    const char *base = "--set train.epochs=3 --set train.threads=1 --set data.synth_n=300";
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s %s", dir, base);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    char *cfg0 = read_text(dir, "config.ini");
    static const char *const refused[] = {
        "train.batch=16", "train.seed=7", "'model.layers=8 tanh, 3'", "data.synth_n=100",
        "optimizer.lr=0.5", "schedule.type=step", "train.eval_every=2", "monitor.every=3"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(args, sizeof args, "train --resume %s --set train.epochs=5 --set %s", dir, refused[i]);
        CHECK_MSG(test_saddle(args, &out) == 1, "--set %s was accepted", refused[i]);
        CHECK_MSG(strstr(out, "cannot change") && strstr(out, "resuming"), "%s", out);
    }
    char *cfg1 = read_text(dir, "config.ini");
    CHECK(cfg0 && cfg1 && !strcmp(cfg0, cfg1));
    free(cfg1);
    /* More epochs: recorded, and a plain --resume afterwards is the same
     * run again; all of it equals a run of 5 epochs from the start. */
    snprintf(args, sizeof args, "train --resume %s --set train.epochs=5", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    cfg1 = read_text(dir, "config.ini");
    CHECK_MSG(cfg1 && strstr(cfg1, "\nepochs = 5\n"), "config.ini not updated");
    free(cfg1);
    snprintf(args, sizeof args, "train --resume %s", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s %s --set train.epochs=5", ref, base);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(same(dir, ref, "log.csv") && same(dir, ref, "final.safetensors") &&
          same(dir, ref, "config.ini"));
    /* The given config with the same --set is the run's own. */
    snprintf(args, sizeof args, "train configs/spirals.ini --resume %s %s --set train.epochs=5", dir, base);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    free(cfg0);

    /* A step schedule that decays right where the shorter run ended: the
     * longer run's row there shows the decayed lr of its next step. */
    char st3[512], st5[512];
    tpath(st3, sizeof st3, "rd-step3");
    tpath(st5, sizeof st5, "rd-step5");
    const char *step = "--set schedule.type=step --set schedule.step_epochs=3 --set schedule.gamma=0.5";
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s %s %s", st3, base, step);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "train --resume %s --set train.epochs=5", st3);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s %s %s --set train.epochs=5", st5,
             base, step);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK(same(st3, st5, "log.csv") && same(st3, st5, "final.safetensors"));

    /* Under a cosine schedule the length of the run sets every step's lr. */
    char cos[512];
    tpath(cos, sizeof cos, "rd-cosine");
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s %s --set schedule.type=cosine",
             cos, base);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "train --resume %s --set train.epochs=5", cos);
    CHECK(test_saddle(args, &out) == 1);
    CHECK_MSG(strstr(out, "cosine"), "%s", out);
}

static double json_num(const char *text, const char *key)
{
    const char *p = text ? strstr(text, key) : NULL;
    return p ? strtod(strchr(p, ':') + 1, NULL) : NAN;
}

/* Exits at step 7 of the child, before the timed first checkpoint. */
static void die_at_7(const train_progress *p, void *user)
{
    if (p->step == 7) _exit(0);
}

TEST(resume_keeps_training_time_and_starts_over_without_a_checkpoint)
{
    char dir[512], full[512];
    tpath(dir, sizeof dir, "rd-time");
    config c;
    small_config(&c, NULL, 0);
    train_result r;
    CHECK_OK(train_run(&c, dir, TRAIN_NEW, NULL, &r));
    char *s0 = read_text(dir, "summary.json");
    double t0 = json_num(s0, "\"train_seconds\"");
    CHECK(t0 > 0);
    /* Resuming the finished run changes nothing, its time included. */
    CHECK_OK(train_run(&c, dir, TRAIN_RESUME, NULL, &r));
    char *s1 = read_text(dir, "summary.json");
    CHECK_NEAR(json_num(s1, "\"train_seconds\""), t0, 1e-12);
    CHECK(json_num(s1, "\"samples_per_s\"") > 0);
    CHECK(!strstr(s1, "from_step"));
    free(s0);
    free(s1);
    /* Lengthened, the run's time is both sessions'. */
    CHECK_OK(config_set(&c, "train.epochs=12"));
    CHECK_OK(train_run(&c, dir, TRAIN_RESUME, NULL, &r));
    s1 = read_text(dir, "summary.json");
    CHECK(json_num(s1, "\"train_seconds\"") > t0 && !strstr(s1, "from_step"));
    CHECK_NEAR(json_num(s1, "\"train_seconds\""), r.seconds, 1e-12);
    free(s1);

    /* Killed before its first checkpoint: --resume starts over and ends as
     * the uninterrupted run does. */
    const char *late[] = {"train.ckpt_every=1000"};
    small_config(&c, late, 1);
    tpath(full, sizeof full, "rd-zero-full");
    tpath(dir, sizeof dir, "rd-zero");
    CHECK_OK(train_run(&c, full, TRAIN_NEW, NULL, &r));
    pid_t pid = fork();
    if (pid == 0) {
        train_hooks h = {die_at_7, NULL, NULL, NULL};
        train_run(&c, dir, TRAIN_NEW, &h, &r);
        _exit(3);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(!has(dir, "last.safetensors") && has(dir, "config.ini") && has(dir, "log.csv"));
    /* A snapshot a killed writer left half-made goes when the run is next opened. */
    pid_t gone = fork();
    if (gone == 0) _exit(0);
    waitpid(gone, &st, 0);
    char stale[128];
    snprintf(stale, sizeof stale, "traj/step-00000008.safetensors.tmp.%ld.0", (long)gone);
    put(dir, stale, "half");
    CHECK_OK(train_run(&c, dir, TRAIN_RESUME, NULL, &r));
    CHECK(!has(dir, stale));
    CHECK(same(dir, full, "log.csv") && same(dir, full, "final.safetensors") &&
          same(dir, full, "last.safetensors"));
    CHECK(count_snapshots(dir) == count_snapshots(full));
    /* Resumed from a checkpoint after a kill, the time before it is not
     * known: the summary says which steps its time covers. */
    const char *often[] = {"train.ckpt_every=5"};
    small_config(&c, often, 1);
    tpath(dir, sizeof dir, "rd-killed");
    pid = fork();
    if (pid == 0) {
        train_hooks h = {die_at_7, NULL, NULL, NULL};
        train_run(&c, dir, TRAIN_NEW, &h, &r);
        _exit(3);
    }
    waitpid(pid, &st, 0);
    CHECK_OK(train_run(&c, dir, TRAIN_RESUME, NULL, &r));
    char *s2 = read_text(dir, "summary.json");
    CHECK_NEAR(json_num(s2, "\"train_seconds_from_step\""), 5, 0);
    free(s2);
}

typedef struct ckpt_seen { const char *dir; int at_step7; } ckpt_seen;

static void look_at_7(const train_progress *p, void *user)
{
    ckpt_seen *s = user;
    if (p->step == 7) s->at_step7 = has(s->dir, "last.safetensors");
}

/* With ckpt_every = 0, an epoch's end writes a checkpoint only once
 * train.ckpt_seconds have passed (a run of 4,000 one-step epochs wrote
 * 4,000); the end of the run always writes one. */
TEST(per_epoch_checkpoints_are_spaced_in_time)
{
    for (int spaced = 0; spaced < 2; spaced++) {
        char dir[512];
        tpath(dir, sizeof dir, spaced ? "rd-ckpt-spaced" : "rd-ckpt-each");
        const char *set[] = {"train.ckpt_every=0",
                             spaced ? "train.ckpt_seconds=1e6" : "train.ckpt_seconds=0"};
        config c;
        small_config(&c, set, 2);
        ckpt_seen seen = {dir, -1};
        train_hooks h = {look_at_7, &seen, NULL, NULL};
        train_result r;
        CHECK_OK(train_run(&c, dir, TRAIN_NEW, &h, &r));
        CHECK_MSG(seen.at_step7 == !spaced, "ckpt_seconds %s: checkpoint at step 7: %d",
                  spaced ? "1e6" : "0", seen.at_step7);
        CHECK(has(dir, "last.safetensors"));
    }
}

/* Trains in a child whose files may not grow past `limit` bytes (writes
 * past it fail with EFBIG); returns the child's status and message. */
static int train_limited(const config *c, const char *dir, long limit, char *msg, size_t len)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
        setrlimit(RLIMIT_FSIZE, &rl);
        train_result r;
        int rc = train_run(c, dir, TRAIN_NEW, NULL, &r);
        const char *m = nn_errmsg();
        if (write(fds[1], m, strlen(m)) < 0) _exit(4);
        _exit(rc);
    }
    close(fds[1]);
    ssize_t k = 0, n;
    while ((n = read(fds[0], msg + k, len - 1 - (size_t)k)) > 0) k += n;
    msg[k] = 0;
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long file_size(const char *dir, const char *name)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

TEST(log_write_failure_says_why_and_leaves_whole_rows)
{
    char dir[512], free_dir[512];
    tpath(free_dir, sizeof free_dir, "rd-log-free");
    tpath(dir, sizeof dir, "rd-log-full");
    const char *rows[] = {"train.eval_every=1", "train.snapshot_every=0", "train.batch=10",
                          "train.epochs=10"};
    config c;
    small_config(&c, rows, 4);
    train_result r;
    CHECK_OK(train_run(&c, free_dir, TRAIN_NEW, NULL, &r));
    /* Room for every other file, not for the whole log. */
    static const char *const others[] = {"config.ini", "last.safetensors", "final.safetensors",
                                         "summary.json"};
    long limit = 0;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        long s = file_size(free_dir, others[i]);
        if (s > limit) limit = s;
    }
    limit += 37; /* not on a row boundary */
    long full = file_size(free_dir, "log.csv");
    CHECK_MSG(full > limit + 500, "log %ld bytes, limit %ld: the test needs a longer log", full, limit);
    char msg[2048];
    int rc = train_limited(&c, dir, limit, msg, sizeof msg);
    CHECK_MSG(rc == NN_EIO, "status %d: %s", rc, msg);
    CHECK_MSG(strstr(msg, "log.csv") && strstr(msg, strerror(EFBIG)), "%s", msg);
    char *log = read_text(dir, "log.csv");
    CHECK(log != NULL);
    if (!log) return;
    size_t n = strlen(log);
    CHECK_MSG(n > 0 && log[n - 1] == '\n', "log.csv ends in a torn row");
    /* Every row has the header's fields and is a row of the free run. */
    char *ref = read_text(free_dir, "log.csv");
    CHECK(ref && !strncmp(ref, log, n));
    free(ref);
    free(log);
}

TEST(config_that_sets_nothing_is_warned_about)
{
    char cfg[512], dir[512], args[2048];
    const char *out;
    tpath(cfg, sizeof cfg, "rd-empty.ini");
    put(test_tmpdir(), "rd-empty.ini", "; nothing here\n\n[train]\n");
    tpath(dir, sizeof dir, "rd-empty-run");
    snprintf(args, sizeof args, "train %s --out %s --set data.name=spirals --set data.synth_n=100 "
             "--set 'model.layers=4 tanh, 3' --set train.epochs=1 --set train.threads=1", cfg, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "warning") && strstr(out, "sets no key") && strstr(out, "default"), "%s",
              out);
    /* A config that sets keys says nothing of the kind. */
    snprintf(args, sizeof args, "train configs/spirals.ini --out %s --force --set train.epochs=1", dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && !strstr(out, "warning"), "%s", out);
}
