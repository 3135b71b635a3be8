/* The training loop: data, model and optimizer from a resolved config; epochs
 * of deterministically shuffled batches (two gradients per step under
 * SAM/ASAM); evaluation rows in log.csv (with the full-gradient norm and the
 * λmax monitor's column), trajectory snapshots, resumable checkpoints and a
 * summary.json. */
#include "nn.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../datasets/fileio.h"
#include "optim.h"
#include "pool.h"
#include "rundir.h"

#define EVAL_CAP 1024
/* grad_norm sits beside the train columns it is computed with: the norm of
 * the gradient of the same mean loss, on the same examples. */
#define LOG_HEADER "step,epoch,lr,train_loss,train_acc,grad_norm,test_loss,test_acc"
#define LOG_HEADER_VAL \
    "step,epoch,lr,train_loss,train_acc,grad_norm,val_loss,val_acc,test_loss,test_acc"

typedef struct trainer {
    config cfg;
    const char *dir;
    dataset train, val, test;
    model m;
    workspace ws, ews;
    optim opt;
    float *g;          /* [n] */
    float *geval;      /* [n] gradient of the logged train loss (grad_norm) */
    float *theta_p;    /* [n] θ + ε̂ under SAM/ASAM, else NULL */
    const train_hooks *hooks;
    int mon_on;        /* monitor.every > 0 */
    float *mon_v;      /* [n] the monitor's warm start, checkpointed */
    size_t *mon_idx;   /* [mon_k] its fixed subset */
    size_t mon_k;
    long grad_evals, monitor_calls;
    size_t *perm;      /* [train.n] */
    long spe, total;   /* steps per epoch, steps in all */
    int B;             /* batch */
    int log_fd;        /* log.csv, appended a whole row at a time */
    off_t log_len;     /* its length at the end of the last whole row */
    char *config_text; /* resolved config, travels in checkpoints */
    long last_ckpt;    /* step of the last resumable checkpoint, -1 = none */
    long eval_step;    /* step of the last log row, and its test metrics */
    double eval_test_loss, eval_test_acc;
} trainer;

double nn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *join(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

#define MON_STATE "monitor_v"

/* The resumable state: the optimizer's buffers, then the monitor's warm
 * start (so a resumed run's λmax column equals an uninterrupted one's). */
static int state_list(trainer *t, const char **names, float **state)
{
    int k = 0;
    for (int i = 0; i < t->opt.type->nstate; i++) {
        names[k] = t->opt.type->state_names[i];
        state[k++] = t->opt.state[i];
    }
    if (t->mon_on) {
        names[k] = MON_STATE;
        state[k++] = t->mon_v;
    }
    return k;
}

static int save_ckpt(trainer *t, const char *path, long step, int with_state)
{
    /* An update can overflow θ while the gradient that made it was finite;
     * such weights would be refused on load, so they are never written. */
    for (size_t i = 0; i < t->m.n; i++)
        if (!isfinite(t->m.theta[i])) {
            char last[128] = "none written";
            if (t->last_ckpt >= 0)
                snprintf(last, sizeof last, "last.safetensors at step %ld is intact", t->last_ckpt);
            return nn_err(NN_ENAN, "step %ld: weight %zu is not finite after the update; training "
                          "stopped (%s)", step, i, last);
        }
    ckpt_info info = {step, (int)(step / t->spe), t->cfg.train.seed, t->config_text};
    const char *names[OPTIM_MAX_STATE + 1];
    float *state[OPTIM_MAX_STATE + 1];
    int ns = with_state ? state_list(t, names, state) : 0;
    return ckpt_save(path, &t->m, t->m.theta, &info, ns ? names : NULL,
                     (const float *const *)state, ns);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int train_monitor_subset(size_t n, uint64_t seed, size_t k, size_t *idx)
{
    /* The probes' rule (tools/probe.c): the first k of a shuffle keyed by
     * 0x5ab5e7, in data order. dataset_shuffle needs all n slots. */
    if (k > n) return nn_err(NN_EINVAL, "monitor subset: %zu of %zu examples", k, n);
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm) return nn_err(NN_ENOMEM, "monitor subset: out of memory");
    dataset_shuffle(n, seed, 0x5ab5e7, perm);
    qsort(perm, k, sizeof *perm, cmp_size);
    memcpy(idx, perm, k * sizeof *idx);
    free(perm);
    return NN_OK;
}

/* λmax at the current θ through the hook; NAN when this is no monitor step. */
static int monitor_at(trainer *t, long step, double *lam)
{
    *lam = NAN;
    if (!t->mon_on || step % t->cfg.monitor.every != 0) return NN_OK;
    train_monitor_call call = {&t->m, &t->train, t->mon_idx, t->mon_k, &t->cfg.monitor,
                               t->cfg.train.seed, step, t->mon_v};
    int rc = t->hooks->monitor(t->hooks->monitor_user, &call, lam);
    if (rc) return rc;
    t->monitor_calls++;
    if (!isfinite(*lam))
        return nn_err(NN_ENAN, "step %ld: the monitor's lambda_max is not finite", step);
    return NN_OK;
}

/* Euclidean norm of g [n], summed in double: a float sum over many
 * parameters would lose digits the column prints (%.9g). */
static double grad_norm(const float *g, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * (double)g[i];
    return sqrt(s);
}

static int snapshot(trainer *t, long step)
{
    char name[64], path[4200];
    snprintf(name, sizeof name, "traj/step-%08ld.safetensors", step);
    return save_ckpt(t, join(path, sizeof path, t->dir, name), step, 0);
}

static int log_row(trainer *t, long step, double lr)
{
    double lam;
    int rc = monitor_at(t, step, &lam);
    if (rc) return rc;
    size_t ntr = t->train.n;
    if (t->cfg.train.eval_limit && t->cfg.train.eval_limit < ntr) ntr = t->cfg.train.eval_limit;
    double tra, tea, vaa = 0;
    /* The gradient of the data loss alone (no weight decay), like train_loss. */
    double trl = model_eval(&t->m, t->m.theta, &t->train, NULL, ntr, &tra, t->geval, &t->ews);
    double gn = grad_norm(t->geval, t->m.n);
    double tel = model_eval(&t->m, t->m.theta, &t->test, NULL, t->test.n, &tea, NULL, &t->ews);
    /* The row is made whole first and written at once: a reader (or a
     * resume) never meets half a row. */
    char row[512];
    int k = snprintf(row, sizeof row, "%ld,%.4f,%.9g,%.9g,%.9g,%.9g,", step,
                     (double)step / (double)t->spe, lr, trl, tra, gn);
    if (t->val.n) {
        double vl = model_eval(&t->m, t->m.theta, &t->val, NULL, t->val.n, &vaa, NULL, &t->ews);
        k += snprintf(row + k, sizeof row - (size_t)k, "%.9g,%.9g,", vl, vaa);
    }
    k += snprintf(row + k, sizeof row - (size_t)k, "%.9g,%.9g", tel, tea);
    if (t->mon_on && isfinite(lam)) k += snprintf(row + k, sizeof row - (size_t)k, ",%.9g\n", lam);
    else k += snprintf(row + k, sizeof row - (size_t)k, t->mon_on ? ",\n" : "\n");
    t->eval_step = step;
    t->eval_test_loss = tel;
    t->eval_test_acc = tea;
    char p[4200];
    join(p, sizeof p, t->dir, "log.csv");
    if (file_write_all(t->log_fd, row, (size_t)k) != 0) {
        int e = errno;
        /* Cut off what part of the row got out, so the log still ends on a
         * whole row (and a resume keeps every row before it). */
        if (ftruncate(t->log_fd, t->log_len) != 0) { /* the write's reason is the one to give */ }
        return nn_err(NN_EIO, "%s: cannot write the row of step %ld: %s", p, step, strerror(e));
    }
    t->log_len += k;
    return NN_OK;
}

static int log_open(trainer *t, const char *path)
{
    struct stat st;
    t->log_fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (t->log_fd < 0 || fstat(t->log_fd, &st) != 0)
        return nn_err(NN_EIO, "%s: cannot open for appending: %s", path, strerror(errno));
    t->log_len = st.st_size;
    return NN_OK;
}

static int write_summary(trainer *t, const train_result *r, double wall, long from_step)
{
    char arch[256], path[4200];
    model_arch_string(&t->m, arch, sizeof arch);
    cJSON *j = cJSON_CreateObject();
    if (!j) return nn_err(NN_ENOMEM, "summary: out of memory");
    cJSON_AddStringToObject(j, "arch", arch);
    cJSON_AddNumberToObject(j, "params", (double)t->m.n);
    cJSON_AddNumberToObject(j, "seed", (double)t->cfg.train.seed);
    cJSON_AddStringToObject(j, "optimizer", t->cfg.optim.type);
    cJSON_AddNumberToObject(j, "batch", t->B);
    cJSON_AddNumberToObject(j, "epochs", t->cfg.train.epochs);
    cJSON_AddNumberToObject(j, "steps", (double)r->steps);
    cJSON_AddNumberToObject(j, "train_examples", (double)t->train.n);
    cJSON_AddNumberToObject(j, "test_examples", (double)t->test.n);
    cJSON_AddNumberToObject(j, "train_loss", r->train_loss);
    cJSON_AddNumberToObject(j, "train_acc", r->train_acc);
    cJSON_AddNumberToObject(j, "grad_norm", r->grad_norm);
    cJSON_AddNumberToObject(j, "test_loss", r->test_loss);
    cJSON_AddNumberToObject(j, "test_acc", r->test_acc);
    cJSON_AddNumberToObject(j, "train_seconds", r->seconds);
    /* A run resumed after a kill: the killed session's time is not known. */
    if (from_step > 0) cJSON_AddNumberToObject(j, "train_seconds_from_step", (double)from_step);
    cJSON_AddNumberToObject(j, "wall_seconds", wall);
    cJSON_AddNumberToObject(j, "samples_per_s", r->samples_per_s);
    cJSON_AddNumberToObject(j, "threads", pool_threads());
    char *txt = cJSON_Print(j);
    cJSON_Delete(j);
    if (!txt) return nn_err(NN_ENOMEM, "summary: out of memory");
    size_t len = strlen(txt);
    char *withnl = realloc(txt, len + 2);
    if (!withnl) {
        free(txt);
        return nn_err(NN_ENOMEM, "summary: out of memory");
    }
    withnl[len] = '\n';
    int rc = file_write_atomic(join(path, sizeof path, t->dir, "summary.json"), withnl, len + 1);
    free(withnl);
    return rc;
}

static int setup(trainer *t, const config *c, const char *dir, const train_hooks *hooks)
{
    int rc;
    static const train_hooks none;
    t->cfg = *c;
    t->dir = dir;
    t->hooks = hooks ? hooks : &none;
    t->mon_on = t->cfg.monitor.every > 0;
    if (t->mon_on && !t->hooks->monitor)
        return nn_err(NN_EINVAL, "monitor.every = %d but no lambda_max monitor was given "
                      "to the trainer", t->cfg.monitor.every);
    t->last_ckpt = -1;
    if (t->cfg.data.seed == 0) t->cfg.data.seed = t->cfg.train.seed;
    rc = data_load(&t->cfg.data, &t->train, &t->val, &t->test);
    if (rc) return rc;
    if (t->train.n == 0) return nn_err(NN_EINVAL, "data: the training set is empty");
    model_spec spec = t->cfg.model;
    spec.in = (int)t->train.dim;
    int K = spec.layers[spec.nlayers - 1].out;
    if (K != t->train.classes)
        return nn_err(NN_ECONFIG,
                      "model.layers: the last layer has %d outputs but data '%s' has %d classes",
                      K, t->cfg.data.name, t->train.classes);
    t->cfg.model.in = spec.in;
    rc = model_build(&t->m, &spec);
    if (rc) return rc;
    const dataset *sets[3] = {&t->train, &t->val, &t->test};
    for (int i = 0; i < 3; i++)
        if ((rc = model_data_check(&t->m, sets[i], NULL, sets[i]->n, "model.layers"))) return rc;
    model_init_params(&t->m, t->cfg.train.seed);
    size_t n = t->train.n;
    t->B = t->cfg.train.batch > 0 && (size_t)t->cfg.train.batch < n ? t->cfg.train.batch : (int)n;
    t->spe = (long)((n + (size_t)t->B - 1) / (size_t)t->B);
    t->total = t->spe * t->cfg.train.epochs;
    int threads = t->cfg.train.threads > 0 ? t->cfg.train.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if ((rc = pool_set_threads(threads))) return rc;
    if ((rc = workspace_alloc(&t->ws, &t->m, t->B))) return rc;
    if ((rc = workspace_alloc(&t->ews, &t->m, EVAL_CAP))) return rc;
    if ((rc = optim_new(&t->opt, &t->cfg.optim, t->m.n))) return rc;
    t->g = malloc(t->m.n * sizeof *t->g);
    t->geval = malloc(t->m.n * sizeof *t->geval);
    if (t->cfg.optim.sam != SAM_NONE && !(t->theta_p = malloc(t->m.n * sizeof *t->theta_p)))
        return nn_err(NN_ENOMEM, "train: out of memory");
    if (t->mon_on) {
        t->mon_k = t->cfg.monitor.limit < n ? t->cfg.monitor.limit : n;
        t->mon_v = calloc(t->m.n, sizeof *t->mon_v);
        t->mon_idx = malloc(t->mon_k * sizeof *t->mon_idx);
        if (!t->mon_v || !t->mon_idx) return nn_err(NN_ENOMEM, "train: out of memory");
        if ((rc = train_monitor_subset(n, t->cfg.train.seed, t->mon_k, t->mon_idx))) return rc;
    }
    t->perm = malloc(n * sizeof *t->perm);
    t->config_text = config_format(&t->cfg);
    if (!t->g || !t->geval || !t->perm || !t->config_text)
        return nn_err(NN_ENOMEM, "train: out of memory");
    return NN_OK;
}

/* Restores θ, optimizer state and step from dir/last.safetensors. */
static int restore(trainer *t, long *step)
{
    char path[4200];
    join(path, sizeof path, t->dir, "last.safetensors");
    model saved;
    ckpt_info info = {0};
    const char *names[OPTIM_MAX_STATE + 1];
    float *state[OPTIM_MAX_STATE + 1];
    int ns = state_list(t, names, state);
    /* ckpt_load builds its own model; state buffers are sized to ours and
     * are only filled after the architecture has been checked to match. */
    int rc = ckpt_load(path, &saved, -1, t->m.spec.loss, &info, NULL, NULL, 0);
    if (rc) return rc;
    char a1[256], a2[256];
    model_arch_string(&saved, a1, sizeof a1);
    model_arch_string(&t->m, a2, sizeof a2);
    model_free(&saved);
    ckpt_info_free(&info);
    if (strcmp(a1, a2) != 0)
        return nn_err(NN_EFORMAT, "%s: architecture %s does not match the config's %s", path, a1, a2);
    rc = ckpt_load(path, &saved, -1, t->m.spec.loss, &info, ns ? names : NULL, state, ns);
    if (rc) return rc;
    memcpy(t->m.theta, saved.theta, t->m.n * sizeof *t->m.theta);
    model_free(&saved);
    *step = info.step;
    ckpt_info_free(&info);
    if (*step < 0 || *step > t->total)
        return nn_err(NN_EFORMAT, "%s: step %ld is outside this run's 0..%ld (train.epochs = %d): "
                      "a run cannot be shortened below its checkpoint",
                      path, *step, t->total, t->cfg.train.epochs);
    t->opt.t = *step;
    t->last_ckpt = *step;
    return NN_OK;
}

static void teardown(trainer *t)
{
    if (t->log_fd >= 0) close(t->log_fd);
    free(t->g);
    free(t->geval);
    free(t->theta_p);
    free(t->mon_v);
    free(t->mon_idx);
    free(t->perm);
    free(t->config_text);
    optim_free(&t->opt);
    workspace_free(&t->ws);
    workspace_free(&t->ews);
    model_free(&t->m);
    dataset_free(&t->train);
    dataset_free(&t->val);
    dataset_free(&t->test);
}

static int at_multiple(long step, long every) { return every > 0 && step % every == 0; }

/* A resume may change only what leaves the steps taken as they were. */
static int resume_check(const config *c, const char *dir)
{
    char path[4200];
    config run, want = *c;
    config_defaults(&run);
    int rc = config_load(&run, join(path, sizeof path, dir, "config.ini"));
    if (rc) return rc;
    if (run.data.seed == 0) run.data.seed = run.train.seed;
    if (want.data.seed == 0) want.data.seed = want.train.seed;
    return config_resume_check(&run, &want, dir);
}

/* The run's files before the first step: a new (or restarted) run writes
 * config.ini, the log's header and step-0 row and snapshot; a resumed one
 * restores the checkpoint, cuts the log back to it and records the config
 * with the changes --set made. */
static int run_begin(trainer *t, run_dir *rd, int resume, long *step, prior_time *pt)
{
    char path[4200], cpath[4200];
    const char *dir = t->dir;
    int rc;
    join(path, sizeof path, dir, "log.csv");
    join(cpath, sizeof cpath, dir, "config.ini");
    if (rd->clear && (rc = run_dir_clear(rd))) return rc;
    if ((rc = file_mkdirs(join(path, sizeof path, dir, "traj")))) return rc;
    join(path, sizeof path, dir, "log.csv");
    if (resume) {
        if ((rc = restore(t, step))) return rc;
        run_prior_time(dir, *step, pt);
        long eval_every = t->cfg.train.eval_every > 0 ? t->cfg.train.eval_every : t->spe;
        int keep = *step == t->total || at_multiple(*step, eval_every) ||
                   (t->mon_on && at_multiple(*step, t->cfg.monitor.every));
        char lr[40];
        double lr_next = sched_lr(&t->cfg.sched, t->cfg.optim.lr, *step < t->total ? *step : *step - 1,
                                  t->spe, t->total);
        snprintf(lr, sizeof lr, "%.9g", lr_next);
        if ((rc = run_log_truncate(path, *step, keep ? lr : NULL))) return rc;
        uint8_t *old;
        size_t len;
        if ((rc = file_read_all(cpath, 1 << 20, &old, &len))) return rc;
        int same = !strcmp((const char *)old, t->config_text);
        free(old);
        if (!same && (rc = file_write_atomic(cpath, t->config_text, strlen(t->config_text))))
            return rc;
        return log_open(t, path);
    }
    if ((rc = file_write_atomic(cpath, t->config_text, strlen(t->config_text)))) return rc;
    char hdr[256];
    snprintf(hdr, sizeof hdr, "%s%s\n", t->val.n ? LOG_HEADER_VAL : LOG_HEADER,
             t->mon_on ? ",lambda_max" : "");
    if ((rc = file_write_atomic(path, hdr, strlen(hdr)))) return rc;
    if ((rc = log_open(t, path))) return rc;
    double lr0 = sched_lr(&t->cfg.sched, t->cfg.optim.lr, 0, t->spe, t->total);
    if ((rc = log_row(t, 0, lr0))) return rc;
    if (t->cfg.train.snapshot_every > 0 && (rc = snapshot(t, 0))) return rc;
    return NN_OK;
}

int train_run(const config *c, const char *dir, int mode, const train_hooks *hooks,
              train_result *res)
{
    trainer t;
    memset(&t, 0, sizeof t);
    memset(res, 0, sizeof *res);
    t.log_fd = -1;
    double wall0 = nn_now();
    char path[4200];
    long step = 0;
    prior_time pt = {0};
    run_dir rd;
    train_report_fn report = hooks ? hooks->report : NULL;
    void *user = hooks ? hooks->report_user : NULL;
    /* The directory's state and the config are checked before the data
     * are loaded, and nothing is deleted or written until all of it
     * (data, model, checkpoint) has been found good. */
    int rc = run_dir_open(&rd, dir, mode), wrote = 0;
    if (rc) return rc;
    int resume = mode == TRAIN_RESUME && !rd.from_zero;
    if (resume && (rc = resume_check(c, dir))) goto done;
    if ((rc = setup(&t, c, dir, hooks))) goto done;
    wrote = 1;
    if ((rc = run_begin(&t, &rd, resume, &step, &pt))) goto done;

    long snap_every = t.cfg.train.snapshot_unit == UNIT_EPOCHS
                          ? (long)t.cfg.train.snapshot_every * t.spe
                          : (long)t.cfg.train.snapshot_every;
    long ckpt_every = t.cfg.train.ckpt_every > 0 ? t.cfg.train.ckpt_every : t.spe;
    /* Per-epoch checkpoints of a run of tiny epochs are spaced in time:
     * resuming from any step gives the same run, so only the work a kill
     * can lose depends on it. */
    double ckpt_gap = t.cfg.train.ckpt_every > 0 ? 0 : t.cfg.train.ckpt_seconds, ckpt_t = nn_now();
    long eval_every = t.cfg.train.eval_every > 0 ? t.cfg.train.eval_every : t.spe;
    long mon_every = t.mon_on ? t.cfg.monitor.every : 0;
    size_t n = t.train.n, dim = t.train.dim;
    double busy = 0, epoch_loss = 0;
    long epoch_steps = 0, start = step;
    size_t samples = 0;
    while (step < t.total) {
        double t0 = nn_now();
        long epoch = step / t.spe, pos = step % t.spe;
        if (pos == 0 || step == start) dataset_shuffle(n, t.cfg.train.seed, (uint64_t)epoch, t.perm);
        size_t first = (size_t)pos * (size_t)t.B;
        int B = (int)(n - first < (size_t)t.B ? n - first : (size_t)t.B);
        for (int i = 0; i < B; i++) {
            size_t r = t.perm[first + (size_t)i];
            memcpy(t.ws.xb + (size_t)i * dim, t.train.x + r * dim, dim * sizeof(float));
            t.ws.yb[i] = t.train.y[r];
        }
        double loss = model_batch(&t.m, t.m.theta, t.ws.xb, t.ws.yb, B, 1.0f / (float)B, t.g, 0,
                                  NULL, &t.ws) / B;
        t.grad_evals++;
        int sam_g = 0; /* t.g is the gradient at the ascent point */
        if (t.theta_p && isfinite(loss)) {
            /* The second gradient, on the same batch, at θ + ε̂; it replaces
             * the first, and the base rule steps from θ with it. With ε̂ = 0
             * θ_p is a bit copy of θ, so this reproduces g exactly. */
            /* A non-finite g leaves θ_p unset; optim_step then stops the run.
             * An ascent point that overflows stops it here: skipping the
             * second gradient would quietly train with the plain rule. */
            double e = optim_sam_point(&t.cfg.optim, t.m.n, t.m.theta, t.g, t.theta_p);
            if (e == INFINITY) {
                char last[128] = "none written";
                if (t.last_ckpt >= 0)
                    snprintf(last, sizeof last, "last.safetensors at step %ld is intact", t.last_ckpt);
                rc = nn_err(NN_ENAN, "step %ld (epoch %ld): the SAM ascent point theta + eps is not "
                            "finite (sam_rho = %g); training stopped (%s)", step + 1, epoch + 1,
                            t.cfg.optim.sam_rho, last);
                goto done;
            }
            if (isfinite(e)) {
                model_batch(&t.m, t.theta_p, t.ws.xb, t.ws.yb, B, 1.0f / (float)B, t.g, 0,
                            NULL, &t.ws);
                t.grad_evals++;
                sam_g = 1;
            }
        }
        double lr = sched_lr(&t.cfg.sched, t.cfg.optim.lr, step, t.spe, t.total);
        double gnorm = isfinite(loss) ? optim_step(&t.opt, t.m.theta, t.g, lr) : NAN;
        if (!isfinite(loss) || !isfinite(gnorm)) {
            char last[128] = "none written";
            if (t.last_ckpt >= 0)
                snprintf(last, sizeof last, "last.safetensors at step %ld is intact", t.last_ckpt);
            rc = nn_err(NN_ENAN, "step %ld (epoch %ld): %s is %s; training stopped (%s)",
                        step + 1, epoch + 1,
                        isfinite(loss) ? (sam_g ? "gradient norm (at the SAM ascent point)"
                                                : "gradient norm")
                                       : "loss",
                        isfinite(loss) ? "not finite" : (isnan(loss) ? "nan" : "infinite"), last);
            goto done;
        }
        step++;
        samples += (size_t)B;
        busy += nn_now() - t0;
        epoch_loss += loss;
        epoch_steps++;

        int end_epoch = step % t.spe == 0;
        if (at_multiple(step, eval_every) || step == t.total || at_multiple(step, mon_every)) {
            double lr_next = sched_lr(&t.cfg.sched, t.cfg.optim.lr, step < t.total ? step : step - 1,
                                      t.spe, t.total);
            if ((rc = log_row(&t, step, lr_next))) goto done;
        }
        if (at_multiple(step, snap_every) && (rc = snapshot(&t, step))) goto done;
        if ((at_multiple(step, ckpt_every) && nn_now() - ckpt_t >= ckpt_gap) || step == t.total) {
            if ((rc = save_ckpt(&t, join(path, sizeof path, dir, "last.safetensors"), step, 1)))
                goto done;
            t.last_ckpt = step;
            ckpt_t = nn_now();
        }
        if (report) {
            train_progress p = {0};
            p.epoch = (int)((step - 1) / t.spe) + 1;
            p.epochs = t.cfg.train.epochs;
            p.step = step;
            p.steps_total = t.total;
            p.loss = epoch_loss / (double)epoch_steps;
            p.samples_per_s = busy > 0 ? (double)samples / busy : 0;
            p.eta_s = busy / (double)(step - start) * (double)(t.total - step);
            p.end_of_epoch = end_epoch;
            if (t.eval_step == step) { /* a log row was just written */
                p.have_test = 1;
                p.test_loss = t.eval_test_loss;
                p.test_acc = t.eval_test_acc;
            }
            report(&p, user);
        }
        if (end_epoch) {
            epoch_loss = 0;
            epoch_steps = 0;
        }
    }

    if ((rc = save_ckpt(&t, join(path, sizeof path, dir, "final.safetensors"), step, 0))) goto done;
    res->steps = step;
    res->nparams = t.m.n;
    res->grad_evals = t.grad_evals;
    res->monitor_calls = t.monitor_calls;
    res->seconds = pt.seconds + busy;
    res->samples_per_s = res->seconds > 0 ? (pt.samples + (double)samples) / res->seconds : 0;
    res->train_loss = model_eval(&t.m, t.m.theta, &t.train, NULL, t.train.n, &res->train_acc,
                                 t.geval, &t.ews);
    res->grad_norm = grad_norm(t.geval, t.m.n);
    res->test_loss = model_eval(&t.m, t.m.theta, &t.test, NULL, t.test.n, &res->test_acc, NULL,
                                &t.ews);
    rc = write_summary(&t, res, pt.wall + nn_now() - wall0, pt.from_step);
done:
    teardown(&t);
    run_dir_close(&rd, wrote);
    return rc;
}
