/* SAM and ASAM in the trainer: ρ = 0 reproduces the base optimizer bit for
 * bit, two gradient evaluations per step, the ascent step's closed form, one
 * training step against a hand computation, the stability limits the plot
 * draws, and config errors for bad keys. */
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../nn/nn.h"
#include "../nn/optim.h"
#include "../nn/pool.h"
#include "test.h"

static void sam_config(config *c, const char *opt, const char *sam, const char *rho)
{
    config_defaults(c);
    const char *sets[] = {
        "data.name=spirals", "data.synth_n=200", "data.synth_test_n=100", "data.synth_classes=3",
        "data.normalize=none", "model.layers=12 tanh, 12 relu, 3", "optimizer.lr=0.05",
        "train.batch=64", "train.epochs=6", "train.seed=3", "train.threads=2", "train.eval_every=5",
        "train.snapshot_every=0", "train.ckpt_every=4", opt, sam, rho};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) CHECK_OK(config_set(c, sets[i]));
    if (c->data.seed == 0) c->data.seed = c->train.seed;
}

/* θ of a checkpoint (its metadata carries the config, which differs). */
static float *load_theta(const char *path, size_t *n)
{
    model m;
    if (ckpt_load(path, &m, -1, 0, NULL, NULL, NULL, 0) != 0) return NULL;
    float *t = malloc(m.n * sizeof *t);
    if (t) memcpy(t, m.theta, m.n * sizeof *t);
    *n = m.n;
    model_free(&m);
    return t;
}

static int same_theta(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    float *x = load_theta(a, &na), *y = load_theta(b, &nb);
    int ok = x && y && na == nb && memcmp(x, y, na * sizeof *x) == 0;
    free(x);
    free(y);
    return ok;
}

TEST(sam_rho_zero_is_the_base_optimizer_bit_for_bit)
{
    const char *opts[] = {"optimizer.type=sgd", "optimizer.type=momentum", "optimizer.type=adam"};
    for (int o = 0; o < 3; o++) {
        config c;
        train_result rb, rs, ra, rp;
        char nb[64], ns[64], na[64], np[64];
        snprintf(nb, sizeof nb, "sam-base-%d", o);
        snprintf(ns, sizeof ns, "sam-zero-%d", o);
        snprintf(na, sizeof na, "asam-zero-%d", o);
        snprintf(np, sizeof np, "sam-pos-%d", o);
        char base[512], sam[512], asam[512], pos[512];
        snprintf(base, sizeof base, "%s", test_path(nb));
        snprintf(sam, sizeof sam, "%s", test_path(ns));
        snprintf(asam, sizeof asam, "%s", test_path(na));
        snprintf(pos, sizeof pos, "%s", test_path(np));
        sam_config(&c, opts[o], "optimizer.sam=none", "optimizer.sam_rho=0.05");
        CHECK_OK(train_run(&c, base, 0, NULL, &rb));
        sam_config(&c, opts[o], "optimizer.sam=sam", "optimizer.sam_rho=0");
        CHECK_OK(train_run(&c, sam, 0, NULL, &rs));
        sam_config(&c, opts[o], "optimizer.sam=asam", "optimizer.sam_rho=0");
        CHECK_OK(train_run(&c, asam, 0, NULL, &ra));
        sam_config(&c, opts[o], "optimizer.sam=sam", "optimizer.sam_rho=0.05");
        CHECK_OK(train_run(&c, pos, 0, NULL, &rp));
        /* 200 examples / 64 = 4 steps per epoch, 24 steps. */
        CHECK_MSG(rb.steps == 24 && rb.grad_evals == 24, "%s: %ld steps, %ld gradients", opts[o],
                  rb.steps, rb.grad_evals);
        CHECK_MSG(rs.grad_evals == 2 * rs.steps && ra.grad_evals == 2 * ra.steps &&
                  rp.grad_evals == 2 * rp.steps, "%s: %ld/%ld/%ld gradients for %ld steps",
                  opts[o], rs.grad_evals, ra.grad_evals, rp.grad_evals, rs.steps);
        CHECK_MSG(test_same_file(test_join(base, "log.csv"), test_join(sam, "log.csv")),
                  "%s: sam rho=0 log differs", opts[o]);
        CHECK_MSG(test_same_file(test_join(base, "log.csv"), test_join(asam, "log.csv")),
                  "%s: asam rho=0 log differs", opts[o]);
        /* The checkpoints' metadata holds the (different) config: compare
         * the tensors, final θ and the optimizer state of last. */
        CHECK_MSG(same_theta(test_join(base, "final.safetensors"), test_join(sam, "final.safetensors")),
                  "%s: sam rho=0 final differs", opts[o]);
        CHECK_MSG(same_theta(test_join(base, "final.safetensors"), test_join(asam, "final.safetensors")),
                  "%s: asam rho=0 final differs", opts[o]);
        st_file fb, fs;
        CHECK_OK(st_read(test_join(base, "last.safetensors"), &fb));
        CHECK_OK(st_read(test_join(sam, "last.safetensors"), &fs));
        int same = fb.ntensors == fs.ntensors;
        for (int i = 0; same && i < fb.ntensors; i++) {
            const st_tensor *t = st_find(&fs, fb.tensors[i].name);
            size_t len = 1;
            for (int d = 0; d < fb.tensors[i].ndim; d++) len *= (size_t)fb.tensors[i].shape[d];
            same = t && memcmp(t->data, fb.tensors[i].data, len * sizeof(float)) == 0;
        }
        CHECK_MSG(same, "%s: last.safetensors tensors differ", opts[o]);
        st_free(&fb);
        st_free(&fs);
        /* Not vacuous: a real ρ changes the run. */
        CHECK_MSG(!same_theta(test_join(base, "final.safetensors"), test_join(pos, "final.safetensors")),
                  "%s: sam rho=0.05 equals the base optimizer", opts[o]);
    }
}

TEST(sam_point_has_the_documented_form)
{
    CHECK_OK(pool_set_threads(2));
    enum { N = 37 };
    float theta[N], g[N], out[N];
    for (int i = 0; i < N; i++) {
        theta[i] = (float)(0.3 * sin(1.7 * i) - (i % 5 == 0 ? 0.0 : 0.1));
        g[i] = (float)(0.02 * cos(0.9 * i + 0.4) * (i % 3 ? 1 : -3));
    }
    theta[4] = -0.0f;
    optim_opts o;
    memset(&o, 0, sizeof o);
    o.sam_rho = 0.07;
    o.sam_eta = 0.01;
    /* SAM: ε̂ = ρ g/‖g‖, so ‖ε̂‖ = ρ. */
    o.sam = SAM_SAM;
    double gn = 0;
    for (int i = 0; i < N; i++) gn += (double)g[i] * g[i];
    gn = sqrt(gn);
    double en = optim_sam_point(&o, N, theta, g, out);
    CHECK_NEAR(en, 0.07, 1e-12);
    double err = 0;
    for (int i = 0; i < N; i++)
        err = fmax(err, fabs(out[i] - (theta[i] + 0.07 * g[i] / gn)));
    CHECK_MSG(err < 1e-7, "sam: max error %g", err);
    /* ASAM: ε̂ = ρ T² g/‖T g‖, T = |θ| + η. */
    o.sam = SAM_ASAM;
    double tg = 0, e2 = 0, eps[N];
    for (int i = 0; i < N; i++) {
        double t = fabs(theta[i]) + 0.01;
        tg += t * t * (double)g[i] * g[i];
    }
    tg = sqrt(tg);
    for (int i = 0; i < N; i++) {
        double t = fabs(theta[i]) + 0.01;
        eps[i] = 0.07 * t * t * g[i] / tg;
        e2 += eps[i] * eps[i];
    }
    en = optim_sam_point(&o, N, theta, g, out);
    CHECK_NEAR(en, sqrt(e2), 1e-12);
    err = 0;
    double moved = 0;
    for (int i = 0; i < N; i++) {
        err = fmax(err, fabs(out[i] - (theta[i] + eps[i])));
        moved = fmax(moved, fabs(out[i] - theta[i]));
    }
    CHECK_MSG(err < 1e-7 && moved > 1e-4, "asam: max error %g, largest move %g", err, moved);
    /* ρ = 0 and a zero gradient copy θ exactly, signs of zeros included. */
    o.sam_rho = 0;
    optim_sam_point(&o, N, theta, g, out);
    CHECK(memcmp(out, theta, sizeof theta) == 0);
    o.sam_rho = 0.07;
    float zero[N] = {0};
    CHECK(optim_sam_point(&o, N, theta, zero, out) == 0);
    CHECK(memcmp(out, theta, sizeof theta) == 0);
    g[3] = NAN;
    CHECK(isnan(optim_sam_point(&o, N, theta, g, out)));
    CHECK_OK(pool_set_threads(1));
}

/* One full-batch plain-SGD step with ASAM equals θ0 − lr ∇L(θ0 + ε̂(θ0)),
 * computed here from the step-0 snapshot by model_eval. */
TEST(asam_training_step_matches_a_hand_computation)
{
    config c;
    sam_config(&c, "optimizer.type=sgd", "optimizer.sam=asam", "optimizer.sam_rho=0.5");
    CHECK_OK(config_set(&c, "train.batch=0"));
    CHECK_OK(config_set(&c, "train.epochs=1"));
    CHECK_OK(config_set(&c, "train.threads=1"));
    CHECK_OK(config_set(&c, "train.snapshot_every=1"));
    CHECK_OK(config_set(&c, "optimizer.sam_eta=0.1"));
    char dir[512];
    snprintf(dir, sizeof dir, "%s", test_path("asam-step"));
    train_result r;
    CHECK_OK(train_run(&c, dir, 0, NULL, &r));
    CHECK(r.steps == 1 && r.grad_evals == 2);
    model m0;
    CHECK_OK(ckpt_load(test_join(dir, "traj/step-00000000.safetensors"), &m0, -1, 0, NULL, NULL,
                       NULL, 0));
    size_t n1 = 0;
    float *theta1 = load_theta(test_join(dir, "final.safetensors"), &n1);
    CHECK(theta1 && n1 == m0.n);
    dataset tr = {0}, va = {0}, te = {0};
    CHECK_OK(data_load(&c.data, &tr, &va, &te));
    CHECK_OK(pool_set_threads(1));
    workspace ws;
    CHECK_OK(workspace_alloc(&ws, &m0, 256));
    size_t n = m0.n;
    float *g = malloc(n * sizeof *g), *p = malloc(n * sizeof *p);
    model_eval(&m0, m0.theta, &tr, NULL, tr.n, NULL, g, &ws);
    double en = optim_sam_point(&c.optim, n, m0.theta, g, p);
    model_eval(&m0, p, &tr, NULL, tr.n, NULL, g, &ws);
    double err = 0, step = 0;
    for (size_t i = 0; theta1 && i < n; i++) {
        double want = (double)m0.theta[i] - 0.05 * g[i];
        err = fmax(err, fabs(theta1[i] - want));
        step = fmax(step, fabs(theta1[i] - m0.theta[i]));
    }
    CHECK_MSG(en > 1e-3 && step > 1e-4 && err < 1e-6, "|eps| %g, largest step %g, error %g", en,
              step, err);
    free(g);
    free(p);
    free(theta1);
    workspace_free(&ws);
    model_free(&m0);
    dataset_free(&tr);
    dataset_free(&va);
    dataset_free(&te);
}

TEST(stability_limits_of_the_update_rules)
{
    optim_opts o;
    memset(&o, 0, sizeof o);
    o.momentum = 0.9;
    strcpy(o.type, "sgd");
    CHECK_NEAR(optim_stability_limit(&o, 0.08), 25.0, 1e-12);
    strcpy(o.type, "momentum");
    CHECK_NEAR(optim_stability_limit(&o, 0.1), 38.0, 1e-12);
    strcpy(o.type, "nesterov");
    CHECK_NEAR(optim_stability_limit(&o, 0.1), 38.0 / 2.8, 1e-12);
    strcpy(o.type, "adam");
    CHECK(isnan(optim_stability_limit(&o, 0.1)));
    /* Heavy ball on h = λθ²/2 at λ just inside / outside the limit. */
    for (int side = -1; side <= 1; side += 2) {
        double lr = 0.1, mu = 0.9, lam = 38.0 * (1 + side * 1e-3), th = 1, b = 0;
        for (int t = 0; t < 20000; t++) {
            b = mu * b + lam * th;
            th -= lr * b;
        }
        CHECK_MSG(side < 0 ? fabs(th) < 1 : fabs(th) > 1, "side %d: theta %g", side, th);
    }
}

TEST(bad_sam_and_monitor_keys_name_the_line)
{
    config c;
    config_defaults(&c);
    const char *bad[][2] = {
        {"[optimizer]\nlr = 0.1\nsam = bogus\n", "cfg.ini:3"},
        {"[optimizer]\nsam_rho = -0.1\n", "cfg.ini:2"},
        {"[optimizer]\nsam_eta = x\n", "cfg.ini:2"},
        {"[monitor]\nevery = -1\n", "cfg.ini:2"},
        {"[monitor]\n\nsteps = 5\n", "cfg.ini:3"},
        {"[monitor]\ntol = 0\n", "cfg.ini:2"},
        {"[monitor]\nlimit = 0\n", "cfg.ini:2"},
        {"[monitor]\nevry = 5\n", "cfg.ini:2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_ERR(config_parse(&c, bad[i][0], strlen(bad[i][0]), "cfg.ini"), NN_ECONFIG, bad[i][1]);
    }
    CHECK_ERR(config_set(&c, "optimizer.sam=asm"), NN_ECONFIG, "none, sam, asam");
    CHECK_ERR(config_set(&c, "monitor.steps=9"), NN_ECONFIG, "monitor.steps");
    const char *good = "[optimizer]\nsam = asam\nsam_rho = 0.5\nsam_eta = 0.02\n"
                       "[monitor]\nevery = 50\nlimit = 300\nsteps = 30\ntol = 1e-4\n";
    CHECK_OK(config_parse(&c, good, strlen(good), "cfg.ini"));
    CHECK(c.optim.sam == SAM_ASAM && c.optim.sam_rho == 0.5 && c.optim.sam_eta == 0.02);
    CHECK(c.monitor.every == 50 && c.monitor.limit == 300 && c.monitor.steps == 30 &&
          c.monitor.tol == 1e-4);
    /* The written config reads back to the same values. */
    char *txt = config_format(&c);
    config back;
    config_defaults(&back);
    CHECK_OK(config_parse(&back, txt, strlen(txt), "written"));
    CHECK(back.optim.sam == SAM_ASAM && back.monitor.every == 50 && back.monitor.tol == 1e-4);
    free(txt);
}
