/* Public types of the trainer: the model as one flat parameter vector θ with a
 * per-layer offset table, activations, losses, options read from the config,
 * and the entry points of model.c, train.c, config.c and ckpt.c. */
#ifndef SADDLE_NN_H
#define SADDLE_NN_H

#include <stddef.h>
#include <stdint.h>

#include "../datasets/dataset.h"
#include "../datasets/status.h"

#define NN_MAX_LAYERS 32
/* Widest dense layer and most parameters a model may have: checked before θ
 * is allocated, so a config or file cannot size a multi-gigabyte allocation
 * (θ-shaped buffers come several at a time: gradient, optimizer state). */
#define NN_MAX_WIDTH (1 << 16)
#define NN_MAX_INPUT (1 << 24)
#define NN_MAX_PARAMS ((size_t)1 << 28)

/* ---- activations (nn/act.c) ---------------------------------------------- */

typedef enum {
    ACT_LINEAR = 0, ACT_RELU, ACT_LEAKY_RELU, ACT_TANH, ACT_SIGMOID,
    ACT_SOFTPLUS, ACT_GELU, ACT_COUNT
} act_kind;

const char *act_name(int act);             /* "relu" ... */
int act_from_name(const char *s);          /* -1 if unknown */
/* a = f(z) elementwise; slope is leaky_relu's negative slope. */
void act_forward(int act, float slope, size_t len, const float *z, float *a);
/* dz = da * f'(z) elementwise (in place allowed: dz == da). */
void act_backward(int act, float slope, size_t len, const float *z, const float *a,
                  const float *da, float *dz);
/* f''(z) elementwise, for the R-operator's second-order term. */
void act_second(int act, float slope, size_t len, const float *z, const float *a,
                float *d2);
/* f'(z) elementwise. */
void act_deriv(int act, float slope, size_t len, const float *z, const float *a,
               float *d1);

/* ---- losses (nn/loss.c) -------------------------------------------------- */

typedef enum { LOSS_XENT = 0, LOSS_MSE, LOSS_COUNT } loss_kind;

const char *loss_name(int loss);
int loss_from_name(const char *s);
/* Sum over the B examples of the loss of logits f [B][K] against labels y [B];
 * writes dL/df of the *sum* scaled by `scale` into df [B][K] when df != NULL
 * (scale = 1/N gives the gradient of a mean over N examples); counts
 * correct argmax predictions into *correct when correct != NULL.
 * xent: softmax cross-entropy (log-sum-exp stabilized).
 * mse: 0.5 * ||f - onehot(y)||^2 per example. */
double loss_forward_backward(int loss, int B, int K, const float *f, const int32_t *y,
                             float scale, float *df, size_t *correct);

/* ---- model (nn/model.c) -------------------------------------------------- */

typedef enum { INIT_TORCH = 0, INIT_HE, INIT_XAVIER, INIT_COUNT } init_kind;
const char *init_name(int init);
int init_from_name(const char *s);

typedef struct layer_spec {
    int out;    /* width */
    int act;    /* act_kind */
    int init;   /* init_kind, or -1 for the model's default */
} layer_spec;

typedef struct model_spec {
    int in;                 /* input features (from the data) */
    int nlayers;
    layer_spec layers[NN_MAX_LAYERS];
    int init;               /* default init_kind */
    float leaky_slope;      /* leaky_relu negative slope */
    int loss;               /* loss_kind */
} model_spec;

/* Dense layer l: W [out][in] at θ + w_off, then b [out] at θ + b_off. */
typedef struct layer {
    int in, out;
    int act;
    size_t w_off, b_off;
} layer;

typedef struct model {
    model_spec spec;
    int nlayers;
    layer layers[NN_MAX_LAYERS];
    size_t n;          /* length of θ */
    float *theta;      /* [n], owned */
    int max_width;     /* widest layer (incl. input) */
} model;

#define NN_MAX_THREADS 64

/* Scratch for forward/backward at batch size up to `cap`, allocated once.
 * With a pool of T threads (nn/pool.h) a batch is split by rows: this
 * workspace holds part 0 (and serves model_forward at full cap), part[t]
 * holds the scratch of thread t, gpart[t] its gradient partial. */
typedef struct workspace {
    int cap;                        /* max batch */
    const model *m;
    float *z[NN_MAX_LAYERS];        /* pre-activations [cap][out_l] */
    float *a[NN_MAX_LAYERS];        /* activations [cap][out_l] (a == z for linear) */
    float *d0, *d1;                 /* backward deltas, ping-pong [cap][max_width] */
    float *xb;                      /* gathered input batch [cap][in] */
    int32_t *yb;                    /* gathered labels [cap] */
    int nparts;                     /* threads a batch is split across */
    struct workspace *part[NN_MAX_THREADS]; /* [1..nparts-1] */
    float *gpart[NN_MAX_THREADS];   /* [1..nparts-1] gradient partials [n] */
} workspace;

/* Builds the layer table and allocates θ (zeros) for a spec. */
int model_build(model *m, const model_spec *spec);
void model_free(model *m);
/* Initializes θ from the spec's init kinds, deterministic in seed. */
void model_init_params(model *m, uint64_t seed);
/* "784-256relu-256relu-10" */
void model_arch_string(const model *m, char *buf, size_t len);
/* Where data meets a model: the inputs match the model's input width and
 * every label of examples idx[0..k-1] of d (idx NULL = the first k) is an
 * output of the model, so the loss never indexes past the logits. `what`
 * names the model in the message. */
int model_data_check(const model *m, const dataset *d, const size_t *idx, size_t k,
                     const char *what);

/* Allocates scratch for batches up to cap, split across the pool's current
 * thread count (pool_set_threads before this). */
int workspace_alloc(workspace *ws, const model *m, int cap);
void workspace_free(workspace *ws);

/* Forward pass of B examples x [B][in] at parameters theta [n]; the logits
 * end in ws->a[nlayers-1] ([B][K]). */
void model_forward(const model *m, const float *theta, const float *x, int B, workspace *ws);

/* Loss of a batch at theta: returns the *sum* of per-example losses; writes
 * scale * d(sum)/dθ into g [n] when g != NULL — added to g's contents when
 * accumulate != 0 (chunked means), overwriting them otherwise (a training
 * step, which then needs no memset); counts correct predictions into *correct. */
double model_batch(const model *m, const float *theta, const float *x, const int32_t *y,
                   int B, float scale, float *g, int accumulate, size_t *correct,
                   workspace *ws);

/* How many threads model_batch splits a batch of B rows across (rows per
 * thread below 16 make GEMMs too thin to gain from a second core). */
int model_batch_parts(int B, int nthreads);

/* Mean loss (return), accuracy (*acc, optional) and mean gradient (g [n],
 * optional, overwritten) over examples idx[0..k-1] of d (idx NULL = the first
 * k), at an arbitrary theta (the model's own θ is not touched). Chunks of
 * ws->cap. */
double model_eval(const model *m, const float *theta, const dataset *d, const size_t *idx,
                  size_t k, double *acc, float *g, workspace *ws);

/* ---- Hessian-vector products (nn/hvp.c) ---------------------------------- */

/* What one thread keeps per example of the forward pass and the gradient's
 * backward pass: everything an HVP needs that depends on θ but not on v. */
typedef struct hvp_store {
    float *a[NN_MAX_LAYERS];    /* [rows][out_l] activations */
    float *d1[NN_MAX_LAYERS];   /* [rows][out_l] f'(z_l); NULL for linear layers */
    float *c[NN_MAX_LAYERS];    /* [rows][out_l] f''(z_l) * dL/da_l; NULL where f'' = 0 */
    float *dz[NN_MAX_LAYERS];   /* [rows][out_l] dL/dz_l of the mean loss */
    float *p;                   /* [rows][K] softmax of the logits (xent only) */
    float *mem;                 /* the one allocation the arrays point into */
    size_t rows;
} hvp_store;

/* One thread's share: a chunk-sized store, the R-pass scratch, and (when the
 * forward pass is cached) a store for all of its rows. */
typedef struct hvp_part {
    hvp_store chunk;            /* chunk rows, used when nothing is cached */
    hvp_store cache;            /* rows of this thread's share, or empty */
    float *zt;                  /* [chunk][max_width] pre-activations */
    float *da0, *da1;           /* [chunk][max_width] (R-)deltas, ping-pong */
    float *rz[NN_MAX_LAYERS];   /* [chunk][out_l] R{z_l} */
    float *ra[NN_MAX_LAYERS];   /* [chunk][out_l] R{a_l} (== rz for linear) */
    float *xb;                  /* [chunk][in] gathered inputs */
    int32_t *yb;                /* [chunk] gathered labels */
    float *hpart;               /* [n] this thread's partial Hv (threads >= 1) */
    double loss;                /* loss sum over the cached rows */
} hvp_part;

/* Scratch for model_hvp, split across the pool's thread count at alloc time,
 * and the cached forward pass: the key (θ copy, data, subset, split) it was
 * computed for, so that many v at one θ (Lanczos) pay the forward once. */
typedef struct hvp_ws {
    const model *m;
    int chunk;                  /* rows per GEMM chunk per thread */
    int nparts;
    hvp_part *part[NN_MAX_THREADS];  /* [0..nparts-1], malloc'd */
    int cached;                 /* 1 when the key below is valid */
    float *key_theta;           /* [n] copy of the cached θ */
    const dataset *key_d;
    size_t *key_idx;            /* [key_cap] copy of the cached subset */
    int key_has_idx;            /* 0: the cached subset was the first key_k */
    size_t key_k, key_cap;      /* key_cap: capacity of key_idx */
    int key_parts;
    double key_loss;            /* mean loss at the cached θ */
    size_t cache_limit;         /* bytes; beyond it every call recomputes */
    long forward_passes;        /* statistics: forward passes run, */
    long forward_reuses;        /* and calls that reused the cache */
} hvp_ws;

/* Allocates HVP scratch for chunks of `chunk` rows per thread (0 = 256), split
 * across the pool's current thread count (pool_set_threads before this). */
int hvp_ws_alloc(hvp_ws *ws, const model *m, int chunk);
void hvp_ws_free(hvp_ws *ws);
/* Forgets the cached forward pass (the next call recomputes it). Needed only
 * when the data behind the same dataset pointer changed; θ is compared by
 * value on every call. */
void hvp_ws_invalidate(hvp_ws *ws);
/* Bytes the cached forward pass may take (default 512 MB); 0 = never cache. */
void hvp_ws_set_cache_limit(hvp_ws *ws, size_t bytes);

/* Hv [n] of the mean loss over examples idx[0..k-1] of d (idx NULL = the
 * first k) at theta [n] along v [n], by Pearlmutter's R-operator; with
 * gauss_newton != 0 the Gauss-Newton product Jᵀ H_f J v instead (PSD).
 * Returns the mean loss at theta. The forward pass is cached in ws and
 * reused while (theta's values, d, idx, k) stay the same: a warm call gives
 * bit-identical results to a cold one. Examples are split across the pool's
 * threads; the result is deterministic for a fixed thread count. */
double model_hvp(const model *m, const float *theta /* [n] */, const dataset *d,
                 const size_t *idx /* [k] */, size_t k, const float *v /* [n] */,
                 float *hv /* [n] */, int gauss_newton, hvp_ws *ws);

/* ---- many points of a plane at once (nn/plane.c) -------------------------- */

/* Mean loss loss[p] and accuracy acc[p] (optional) over examples idx[0..k-1]
 * of d (idx NULL = the first k) at θ = theta0 + a[p] d1 + b[p] d2 for every
 * p < npts (theta0, d1, d2 [n]; a, b, loss, acc [npts]); d2 NULL evaluates a
 * line and ignores b. Equals model_eval at each point (θ formed in float,
 * a and b rounded to float) up to float rounding, but costs per point only
 * the layers after the first: the first layer's products with theta0, d1
 * and d2 are computed once. Examples are split across the pool's threads;
 * the result is deterministic for a fixed thread count. Scratch is bounded
 * (about 256 MB of first-layer products). */
int model_eval_plane(const model *m, const dataset *d, const size_t *idx, size_t k,
                     const float *theta0, const float *d1, const float *d2, int npts,
                     const double *a, const double *b, double *loss, double *acc);
/* Rows per thread whose first-layer products are held at once (0 = as many
 * as the memory bound allows); exists so tests can cross chunk boundaries. */
void model_plane_set_chunk(size_t rows);

/* ---- optimizer and schedule options (filled by the config) ---------------- */

typedef struct optim_opts {
    char type[32];        /* sgd | momentum | nesterov | rmsprop | adam | adamw */
    double lr;
    double momentum;      /* sgd family, rmsprop */
    double beta1, beta2;  /* adam family */
    double alpha;         /* rmsprop smoothing */
    double eps;           /* rmsprop, adam family */
    double weight_decay;  /* L2 (coupled) except adamw (decoupled) */
    double clip_norm;     /* clip the gradient to this global L2 norm; 0 = off */
    int sam;              /* SAM_NONE | SAM_SAM | SAM_ASAM: wraps the rule above */
    double sam_rho;       /* radius of the ascent step ε̂ */
    double sam_eta;       /* ASAM: T = |θ| + sam_eta */
} optim_opts;

enum { SAM_NONE = 0, SAM_SAM, SAM_ASAM };

enum { SCHED_CONSTANT = 0, SCHED_STEP, SCHED_COSINE };

typedef struct sched_opts {
    int type;             /* SCHED_* */
    double warmup_epochs; /* linear warm-up from lr/steps to lr over this many epochs */
    double step_epochs;   /* step: multiply by gamma every step_epochs epochs */
    double gamma;
    double min_lr;        /* cosine: final lr */
} sched_opts;

/* lr at optimizer step `step` (0-based) for a run of total_steps steps with
 * steps_per_epoch steps per epoch. */
double sched_lr(const sched_opts *s, double base_lr, long step, long steps_per_epoch,
                long total_steps);

enum { UNIT_STEPS = 0, UNIT_EPOCHS };

typedef struct train_opts {
    int epochs;
    int batch;             /* 0 = full batch */
    uint64_t seed;
    int eval_every;        /* log a row every this many steps; 0 = once per epoch */
    int snapshot_every;    /* trajectory snapshot every K units; 0 = off */
    int snapshot_unit;     /* UNIT_STEPS or UNIT_EPOCHS */
    int ckpt_every;        /* resumable checkpoint every K steps; 0 = each epoch, timed */
    double ckpt_seconds;   /* ckpt_every = 0: at least this long between checkpoints */
    int threads;           /* 0 = all cores */
    size_t eval_limit;     /* examples used for the train loss/acc columns; 0 = all */
} train_opts;

/* λmax of the training loss during training (the trainer calls a hook; the
 * Lanczos solver lives in probes/, which nn/ may not include). */
typedef struct monitor_opts {
    int every;             /* steps between estimates (and step 0); 0 = off */
    size_t limit;          /* fixed seeded random subset of the training set */
    int steps;             /* Lanczos steps per estimate */
    double tol;            /* relative Ritz residual to stop at */
} monitor_opts;

typedef struct config {
    data_opts data;
    model_spec model;      /* in = 0 until the data is known */
    optim_opts optim;
    sched_opts sched;
    train_opts train;
    monitor_opts monitor;
    int nset;              /* keys set by files and --set since config_defaults */
} config;

/* ---- config (nn/config.c) ------------------------------------------------ */

void config_defaults(config *c);
/* Applies an INI file on top of *c. Errors name path:line and the accepted values. */
int config_load(config *c, const char *path);
/* The same from a string; `name` stands for the file in messages. */
int config_parse(config *c, const char *text, size_t len, const char *name);
/* One override "section.key=value", validated like a file line. */
int config_set(config *c, const char *assignment);
/* The resolved config as INI text with every key written out (malloc'd). */
char *config_format(const config *c);
/* NN_OK when `want` may continue a run trained with `run` (the steps
 * already taken and the files written would be the same under `want`);
 * else NN_ECONFIG naming the first key that may not change on resume and
 * why. dir names the run in the message. */
int config_resume_check(const config *run, const config *want, const char *dir);
/* Writes config_format() atomically to path. */
int config_write(const config *c, const char *path);
/* Every key as "section.key  type  default / help / accepted values" lines,
 * grouped by section (malloc'd; NULL when out of memory). */
char *config_help(void);

/* ---- checkpoints (nn/ckpt.c) --------------------------------------------- */

/* The dtypes the reader accepts; every one is converted to float32. */
enum { ST_F32 = 0, ST_F64, ST_F16, ST_BF16 };
const char *st_dtype_name(int dtype);      /* "F32" ... */

/* A tensor to write: name, shape and float data (written as F32). */
typedef struct st_tensor {
    char name[96];
    int ndim;
    int64_t shape[4];
    const float *data;   /* [prod(shape)] float32 */
} st_tensor;

/* What the reader converted: a tensor's dtype in the file and, for F64,
 * its largest rounding to float (absolute, and relative to the value). */
typedef struct st_source {
    int dtype;
    double round_abs, round_rel;
} st_source;

/* One parsed safetensors file (F32, F64, F16 and BF16 tensors, all
 * converted to float32; other dtypes are rejected). */
typedef struct st_file {
    int ntensors;
    st_tensor *tensors;   /* data points into `blob` */
    st_source *src;       /* [ntensors]: each tensor's dtype in the file */
    uint8_t *blob;        /* owned copy of the data section (aligned) */
    int nmeta;
    char **meta_keys;     /* __metadata__ string map */
    char **meta_vals;
} st_file;

/* Writes tensors + metadata (string map, may be empty) atomically
 * (temporary file, fsync, rename). */
int st_write(const char *path, const st_tensor *t, int nt, const char *const *meta_keys,
             const char *const *meta_vals, int nmeta);
/* Parses from memory; validates header length, JSON, dtypes, shapes, offsets
 * (inside the data section, non-overlapping, covering it). */
int st_parse(const uint8_t *buf, size_t len, const char *name, st_file *out);
int st_read(const char *path, st_file *out);
void st_free(st_file *f);
const st_tensor *st_find(const st_file *f, const char *name);
/* For st_read/st_parse (nn/st_dtype.c): once the raw data section is in
 * out->blob with tensor data pointing into it, converts every non-F32
 * tensor to float (a new blob); a finite F64 beyond float range is an error. */
int st_convert(const char *name, st_file *out);
const char *st_meta(const st_file *f, const char *key);

/* Model checkpoints on top of safetensors: tensors named as the equivalent
 * torch.nn.Sequential ("0.weight", "0.bias", "2.weight", ...). */
typedef struct ckpt_info {
    long step;
    int epoch;
    uint64_t seed;
    char *config_text;   /* resolved config INI (malloc'd) or NULL */
} ckpt_info;

/* Sequential index of dense layer l (activations take a slot in between). */
int ckpt_seq_index(const model *m, int l);
/* Saves θ (+ optional θ-shaped extra state tensors named "optim.<name>.<seq>.weight"
 * ...) with metadata: arch, step, epoch, seed, config. */
int ckpt_save(const char *path, const model *m, const float *theta, const ckpt_info *info,
              const char *const *state_names, const float *const *state, int nstate);
/* Loads a checkpoint into a fresh model. If the file has saddle metadata the
 * architecture comes from it; otherwise (a PyTorch-written file) from the
 * tensor shapes, with hidden activation `act` (act_kind, required then) and
 * loss from `loss`. state: if state_names given, fills state[i] [n] from the
 * file (missing -> NN_EFORMAT). info may be NULL. */
int ckpt_load(const char *path, model *m, int act, int loss, ckpt_info *info,
              const char *const *state_names, float *const *state, int nstate);
/* The same, with the order of a file's named modules (a PyTorch model of
 * fc1, fc2, ... saved without saddle metadata): "fc1,fc2,out", or NULL for
 * a Sequential's index order or else the one order the shapes chain in.
 * note (may be NULL) gets a text for the user (malloc'd) or NULL: how a file
 * without saddle metadata was read and which tensors were converted from
 * F64/F16/BF16 to float. */
int ckpt_load_map(const char *path, model *m, int act, int loss, const char *map,
                  ckpt_info *info, char **note, const char *const *state_names,
                  float *const *state, int nstate);
void ckpt_info_free(ckpt_info *info);

/* ---- training (nn/train.c) ----------------------------------------------- */

/* Seconds on the monotonic clock: the one timer of training, probes and benches. */
double nn_now(void);

typedef struct train_progress {
    int epoch, epochs;
    long step, steps_total;
    double loss;          /* running mean loss of the current epoch */
    double samples_per_s;
    double eta_s;
    int end_of_epoch;     /* 1 when an epoch just finished */
    int have_test;        /* 1 when a log row was just written: test metrics valid */
    double test_loss, test_acc;
} train_progress;

typedef void (*train_report_fn)(const train_progress *p, void *user);

typedef struct train_result {
    double train_loss, train_acc, test_loss, test_acc;
    double grad_norm;      /* |gradient| of the final mean loss over the whole training set */
    double seconds;        /* time in the training loop, over every session of the run
                              whose time is known (see summary.json) */
    double samples_per_s;
    long steps;
    size_t nparams;
    long grad_evals;       /* batch gradients computed by this call (2 per step under SAM) */
    long monitor_calls;    /* λmax estimates made by this call */
} train_result;

/* What the trainer hands the λmax monitor: the model's layer table, the
 * training split and the fixed subset, and the warm-start vector it keeps
 * (and checkpoints) between calls. */
typedef struct train_monitor_call {
    const model *m;          /* layer table; m->theta is the current θ */
    const dataset *train;    /* the training split */
    const size_t *idx;       /* [k] the fixed subset, sorted */
    size_t k;
    const monitor_opts *opts;
    uint64_t seed;           /* for a cold start */
    long step;
    float *v;                /* [n] previous top eigenvector in, the new one out;
                                all zeros = none yet (cold start) */
} train_monitor_call;

/* Estimates λmax of the mean loss over the subset at c->m->theta into
 * *lambda_max; returns NN_OK or an NN_* status (training then stops). */
typedef int (*train_monitor_fn)(void *user, const train_monitor_call *c, double *lambda_max);

/* Callbacks of a run; any member may be NULL. */
typedef struct train_hooks {
    train_report_fn report;      /* progress, after every step */
    void *report_user;
    train_monitor_fn monitor;    /* required when monitor.every > 0 */
    void *monitor_user;
} train_hooks;

/* The subset the monitor uses: the first k of a seeded shuffle of n
 * examples, sorted — the same rule as the probes' --limit/--seed, so
 * `saddle hessian --limit k --seed train.seed` sees the same examples.
 * idx [k], k <= n. */
int train_monitor_subset(size_t n, uint64_t seed, size_t k, size_t *idx);

/* How train_run treats what `dir` holds: a new run refuses a directory that
 * holds a run; a resume continues from dir/last.safetensors and dir/log.csv
 * (from step 0 when the run was stopped before its first checkpoint); force
 * deletes the old run's files first. */
enum { TRAIN_NEW = 0, TRAIN_RESUME = 1, TRAIN_FORCE = 2 };

/* Trains per the config into run directory `dir` (created if needed),
 * holding its lock throughout; `mode` is a TRAIN_* value. hooks may be
 * NULL. */
int train_run(const config *c, const char *dir, int mode, const train_hooks *hooks,
              train_result *res);

#endif
