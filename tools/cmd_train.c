/* `saddle train`: config + overrides -> run directory, with a progress bar on
 * a terminal and one line per epoch otherwise (and one every ~10 s within a
 * long epoch). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "../nn/rundir.h"
#include "../probes/monitor.h"
#include "cli.h"
#include "progress.h"

static const char TRAIN_USAGE[] =
    "usage: saddle train CONFIG [--out DIR] [--force] [--set section.key=value ...]\n"
    "       saddle train [CONFIG] --resume DIR [--set section.key=value ...]\n"
    "\n"
    "Trains the model a config describes and writes the run directory:\n"
    "  DIR/config.ini          the resolved config, every key written out\n"
    "  DIR/log.csv             step, epoch, lr, train loss and accuracy, grad_norm (of the\n"
    "                          train loss), test loss and accuracy[, lambda_max]\n"
    "  DIR/final.safetensors   the trained weights (loads into torch.nn.Sequential)\n"
    "  DIR/last.safetensors    weights + optimizer state, for --resume\n"
    "  DIR/traj/               trajectory snapshots (train.snapshot_every)\n"
    "  DIR/summary.json        final metrics, time, samples/s\n"
    "\n"
    "options:\n"
    "  --out DIR        run directory (default runs/<config name>); one that already\n"
    "                   holds a run is refused: --resume it or --force\n"
    "  --force          replace the run in DIR: its config.ini, log.csv, summary.json,\n"
    "                   checkpoints, traj/, probes/ and the .json/.npy/.png/.csv beside\n"
    "                   them are deleted first (once the new config and data check out)\n"
    "  --set S.K=V      override one config key (repeatable), validated like the file\n"
    "  --resume DIR     continue DIR from its last checkpoint (from step 0 if it has none\n"
    "                   yet) with DIR/config.ini; --set may change only train.epochs\n"
    "                   (not under a cosine schedule), train.ckpt_every, train.ckpt_seconds\n"
    "                   and train.threads, and the change is recorded in DIR/config.ini\n"
    "\n"
    "One process writes a run directory at a time: a second train or --resume into it\n"
    "fails at once, naming the first one's pid.\n"
    "\n"
    "config keys (section.key  type  default  accepted):\n";

typedef struct bar_state {
    int tty;
    double last;  /* last epoch line (the full-batch rate limit) */
    double line;  /* last line of either kind */
    double every; /* seconds between lines within an epoch, off a terminal */
} bar_state;

static void report(const train_progress *p, void *user)
{
    bar_state *b = user;
    char eta[32];
    progress_fmt_secs(p->eta_s, eta, sizeof eta);
    if (b->tty) {
        double now = nn_now();
        if (now - b->last < 0.1 && !p->end_of_epoch && p->step != p->steps_total) return;
        b->last = now;
        const int W = 24;
        int fill = (int)((double)W * (double)p->step / (double)p->steps_total);
        char bar[32];
        for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
        bar[W] = 0;
        fprintf(stderr, "\r\033[Kepoch %d/%d [%s] step %ld/%ld  loss %.4f  %.0f samples/s  ETA %s",
                p->epoch, p->epochs, bar, p->step, p->steps_total, p->loss, p->samples_per_s, eta);
        if (p->end_of_epoch && p->have_test)
            fprintf(stderr, "  test acc %.4f\n", p->test_acc);
        else if (p->end_of_epoch)
            fputc('\n', stderr);
    } else if (p->end_of_epoch) {
        /* One line per epoch, but no more than one every few seconds: a
         * full-batch run has an epoch per step. */
        double now = nn_now();
        if (now - b->last < 3.0 && p->epoch != p->epochs && p->epochs > 50) return;
        b->last = b->line = now;
        fprintf(stderr, "epoch %d/%d  step %ld  loss %.4f", p->epoch, p->epochs, p->step, p->loss);
        if (p->have_test) fprintf(stderr, "  test_loss %.4f  test_acc %.4f", p->test_loss, p->test_acc);
        fprintf(stderr, "  %.0f samples/s  ETA %s\n", p->samples_per_s, eta);
    } else {
        /* Within an epoch that takes longer than the interval: a line that
         * says where in it the run is, so a log is never silent for long. */
        double now = nn_now();
        if (now - b->line < b->every) return;
        b->line = now;
        fprintf(stderr, "epoch %d/%d  step %ld/%ld  loss %.4f so far  %.0f samples/s  ETA %s\n", p->epoch,
                p->epochs, p->step, p->steps_total, p->loss, p->samples_per_s, eta);
    }
}

/* Default run directory: runs/<config file name without .ini>. */
static void default_out(const char *cfg, char *buf, size_t len)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", cfg);
    char *base = basename(tmp);
    char *dot = strrchr(base, '.');
    if (dot && dot != base) *dot = 0;
    snprintf(buf, len, "runs/%s", base);
}

int cmd_train(int argc, char **argv)
{
    const char *cfg_path = NULL, *out = NULL, *resume = NULL;
    const char *sets[256];
    int nsets = 0, force = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(TRAIN_USAGE, stdout);
            char *h = config_help();
            if (h) fputs(h, stdout);
            free(h);
            return EXIT_OK;
        } else if (!strcmp(a, "--force")) {
            force = 1;
        } else if (!strcmp(a, "--out") || !strcmp(a, "--set") || !strcmp(a, "--resume")) {
            if (i + 1 >= argc) return cli_usage_error("train", "%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--out")) out = v;
            else if (!strcmp(a, "--resume")) resume = v;
            else if (nsets < 256) sets[nsets++] = v;
            else return cli_usage_error("train", "too many --set options");
        } else if (cli_positional("train", a, &cfg_path)) {
            return EXIT_USAGE;
        }
    }
    if (!cfg_path && !resume) return cli_usage_error("train", "a CONFIG file is required");
    if (resume && out && strcmp(out, resume) != 0)
        return cli_usage_error("train", "--out and --resume name different directories");
    if (resume && force)
        return cli_usage_error("train", "--force replaces a run and --resume continues it: "
                                        "give one of them");

    config c, from_run;
    char run_cfg[4200];
    int rc;
    config_defaults(&c);
    if (resume) {
        snprintf(run_cfg, sizeof run_cfg, "%s/config.ini", resume);
        config_defaults(&from_run);
        if ((rc = config_load(&from_run, run_cfg))) {
            char why[1200], lp[4300];
            snprintf(why, sizeof why, "%s", nn_errmsg());
            /* A run that is just starting has no config.ini yet: then its
             * writer is what to report. */
            struct stat st;
            file_lock l = {-1};
            snprintf(lp, sizeof lp, "%s/%s", resume, FILE_LOCK_NAME);
            if (stat(lp, &st) == 0 && file_lock_dir(&l, resume, "train --resume") == NN_EBUSY)
                return cli_fail("train", NN_EBUSY);
            file_unlock(&l);
            fprintf(stderr, "saddle: resume: %s\n", why);
            return EXIT_FAIL;
        }
    }
    if (cfg_path && (rc = config_load(&c, cfg_path))) return cli_fail("config", rc);
    if (cfg_path && !resume && c.nset == 0)
        fprintf(stderr, "saddle: train: warning: %s sets no key: every key %s its default "
                "(`saddle train --help` lists them)\n", cfg_path,
                nsets ? "but the --set ones takes" : "takes");
    if (!cfg_path) c = from_run;
    config run_set = resume ? from_run : c;
    for (int i = 0; i < nsets; i++) {
        if ((rc = config_set(&c, sets[i]))) return cli_fail("--set", rc);
        if (resume && cfg_path && (rc = config_set(&run_set, sets[i]))) return cli_fail("--set", rc);
    }
    if (resume && cfg_path) {
        /* The given config must be the run's own (both with --set), or the
         * resumed run would silently differ from the one that was started;
         * what --set may change on resume the trainer checks. */
        config a = c;
        cli_config_resolve(&a);
        cli_config_resolve(&run_set);
        char *fa = config_format(&a), *fb = config_format(&run_set);
        int same = fa && fb && strcmp(fa, fb) == 0;
        free(fa);
        free(fb);
        if (!same) {
            fprintf(stderr,
                    "saddle: train: %s (with --set) differs from %s; resume with the run's own "
                    "config (drop CONFIG) and change keys with --set\n",
                    cfg_path, run_cfg);
            return EXIT_FAIL;
        }
    }
    cli_config_resolve(&c);
    char outbuf[1100];
    if (!out && !resume) {
        default_out(cfg_path, outbuf, sizeof outbuf);
        out = outbuf;
    }
    const char *dir = resume ? resume : out;
    int mode = resume ? TRAIN_RESUME : force ? TRAIN_FORCE : TRAIN_NEW;
    char last[4200];
    snprintf(last, sizeof last, "%s/last.safetensors", dir);
    int from_zero = resume && access(last, F_OK) != 0;

    bar_state b = {isatty(2), 0, nn_now(), progress_interval()};
    train_result r;
    /* No "training" line for a run that is about to be refused. */
    char held[512];
    if (mode != TRAIN_NEW || !run_dir_holds(dir, held, sizeof held))
        fprintf(stderr, "%s %s -> %s%s\n", resume ? "resuming" : "training",
                resume ? run_cfg : cfg_path, dir, from_zero ? " (no checkpoint yet: from step 0)" : "");
    lmax_monitor mon = {0};
    train_hooks hooks = {report, &b, lmax_monitor_fn, &mon};
    rc = train_run(&c, dir, mode, &hooks, &r);
    lmax_monitor_free(&mon);
    if (rc) {
        if (b.tty) fputc('\n', stderr);
        return cli_fail("train", rc);
    }
    printf("%s: %zu parameters, %ld steps in %.2f s (%.0f samples/s)\n", dir, r.nparams, r.steps,
           r.seconds, r.samples_per_s);
    printf("train loss %.4f  acc %.4f\n", r.train_loss, r.train_acc);
    printf("test  loss %.4f  acc %.4f\n", r.test_loss, r.test_acc);
    if (c.optim.sam != SAM_NONE) printf("%ld gradient evaluations (two per step)\n", r.grad_evals);
    if (r.monitor_calls) printf("%ld lambda_max estimates in %s/log.csv\n", r.monitor_calls, dir);
    return EXIT_OK;
}
