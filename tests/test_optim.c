/* Tests of nn/optim*.c and nn/sched.c: every optimizer's first three steps
 * against torch.optim in float64, hand-derived closed forms, clipping, option
 * errors, the registry, and the warm-up / step / cosine schedules. */
#include "test.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../nn/optim.h"
#include "../nn/pool.h"
#include <stdio.h>

/* Reference values: torch 1.13 (Debian's /usr/bin/python3), float64, on the
 * vector P0 with gradient G[k] and lr LR[k] at step k (the lr changes every
 * step to show the lr argument of optim_step is what counts, as a scheduler
 * changing param_groups[0]['lr'] would). Regenerate with this script:

import torch
O, T = torch.optim, torch.float64
P0 = [0.5, -1.25, 2.0, 0.0, -0.375]
G = [[0.25, -0.5, 1.0, 0.0, -2.0], [0.125, 0.75, -1.5, 0.5, 1.0],
     [-0.5, 0.25, 0.5, -1.0, 0.0625]]
LR = [0.1, 0.05, 0.2]
cases = {
    'sgd':       lambda ps: O.SGD(ps, lr=1, weight_decay=0.1),
    'momentum':  lambda ps: O.SGD(ps, lr=1, momentum=0.9, weight_decay=0.1),
    'nesterov':  lambda ps: O.SGD(ps, lr=1, momentum=0.9, nesterov=True,
                                  weight_decay=0.01),
    'rmsprop':   lambda ps: O.RMSprop(ps, lr=1, alpha=0.99, eps=1e-8),
    'rmsprop_m': lambda ps: O.RMSprop(ps, lr=1, alpha=0.9, eps=1e-8,
                                      momentum=0.5, weight_decay=0.1),
    'adam':      lambda ps: O.Adam(ps, lr=1, betas=(0.9, 0.999), eps=1e-8,
                                   weight_decay=0.1),
    'adamw':     lambda ps: O.AdamW(ps, lr=1, betas=(0.9, 0.999), eps=1e-8,
                                    weight_decay=0.1),
    'clip':      lambda ps: O.SGD(ps, lr=1, momentum=0.9, weight_decay=0.1),
}
c = lambda v: '{' + ', '.join('%.17g' % x for x in v) + '}'
for name, make in cases.items():
    p = torch.tensor(P0, dtype=T, requires_grad=True)
    opt, rows, norms = make([p]), [], []
    for k in range(3):
        opt.param_groups[0]['lr'] = LR[k]
        p.grad = torch.tensor(G[k], dtype=T)
        if name == 'clip':
            norms.append(float(torch.nn.utils.clip_grad_norm_([p], 1.5)))
        opt.step()
        rows.append(c(p.detach().tolist()))
    print('static const double want_%s[3][5] = {\n    %s};' % (name, ',\n    '.join(rows)))
    if norms:
        print('static const double want_clip_norm[3] = %s;' % c(norms))

 * float32 holds these O(1) parameters to about 6e-8, so the tolerance is
 * 1e-6 of max(|want|, 1): relative to the size of the operands, which also
 * covers coordinates that cancel to near 0 (nesterov's 0.0057). The largest
 * measured |got - want| over all these tables is 2.0e-7 (gcc 12, -O2).
 *
 * The tests are not vacuous; each deliberately wrong variant below was
 * built once and run against them (max |got - want| over the 3 steps):
 *   Adam without bias correction (bc1 = bc2 = 1)           0.41
 *   AdamW decaying with coupled L2 (i.e. plain Adam)        0.024
 *   AdamW decaying by the base lr, not the step's lr        1.8
 *   heavy ball with dampening: buf = mu buf + (1-mu) d      0.35
 *   nesterov stepping by buf alone (heavy ball)             0.18
 *   sgd ignoring weight decay                               0.068
 *   rmsprop with eps inside the root: sqrt(sa + eps)        9.0e-6
 *   clipping by clip/norm without PyTorch's +1e-6           caught only by
 *                                                           optim_clip_tiny_norm
 *   cosine over K = T - W - 1 steps                         4 checks fail
 *   step decay without the 1e-9 boundary slack              3 checks fail
 *   warm-up steps truncated instead of rounded              1 check fails
 * Starting the heavy-ball buffer at 0 instead of at g is no variant: with
 * dampening 0 the first update is mu*0 + g = g either way, as in PyTorch.
 */
static const double want_sgd[3][5] = {
    {0.46999999999999997, -1.1875, 1.8799999999999999, 0, -0.17124999999999999},
    {0.46139999999999998, -1.2190624999999999, 1.9456, -0.025000000000000001, -0.22039375},
    {0.552172, -1.24468125, 1.8066880000000001, 0.17549999999999999, -0.228485875}};
static const double want_momentum[3][5] = {
    {0.46999999999999997, -1.1875, 1.8799999999999999, 0, -0.17124999999999999},
    {0.44789999999999996, -1.1909375, 1.8915999999999999, -0.025000000000000001, -0.12870624999999997},
    {0.45938199999999996, -1.2294937500000001, 1.795528, 0.085500000000000007, 0.014525375000000082}};
static const double want_nesterov[3][5] = {
    {0.45155000000000001, -1.152625, 1.8062, 0, 0.0057125000000000752},
    {0.42891852749999998, -1.20202375625, 1.9056741100000001, -0.047500000000000001, -0.0081410518749999265},
    {0.5591281260955, -1.3373663134762501, 1.7997905043820002, 0.25168050000000003, 0.098277379872125079}};
static const double want_rmsprop[3][5] = {
    {-0.49999960000015953, -0.25000019999996048, 1.0000000999999905, 0, 0.62499995000000208},
    {-0.72450614688849568, -0.66666682037033587, 1.4166667435185101, -0.49999990000001976, 0.40049333254717823},
    {1.0249728810639587, -1.2044566421736487, 0.87887689279340653, 1.2906458638227336, 0.34410634609901392}};
static const double want_rmsprop_m[3][5] = {
    {0.18377226731649185, -0.93377224998316122, 1.6837722423164951, 0, -0.058772238891137432},
    {0.033578400161132838, -0.97206551242236472, 1.7248967023206365, -0.15811387300841964, -0.052030565602513491},
    {0.27342232007790657, -1.1619263950886154, 1.5699229400622143, 0.098714825490531025, -0.056114015570920606}};
static const double want_adam[3][5] = {
    {0.40000000333333319, -1.1500000016, 1.9000000008333333, 0, -0.27500000049079754},
    {0.3527100703407885, -1.1530282984952496, 1.9048180846774194, -0.037206840126243874, -0.26080077285767161},
    {0.36892335515149549, -1.181398345577616, 1.8723890175400826, 0.025887703359084586, -0.21896492530864692}};
static const double want_adamw[3][5] = {
    {0.39500000399999979, -1.1375000019999999, 1.880000001, 0, -0.27125000049999998},
    {0.34641602439803221, -1.1441975926024133, 1.8829850917045607, -0.037206840126243874, -0.25657689859871574},
    {0.38075910810218305, -1.192380518355169, 1.8480587313421166, 0.026394529601679484, -0.21385849962081163}};
static const double want_clip[3][5] = {
    {0.47873022272242127, -1.2049604454448426, 1.9149208908896851, 0, -0.24109178177937002},
    {0.46212279067832185, -1.2065221306012586, 1.9227692612025173, -0.018569524622307442, -0.21676667391580456},
    {0.49309357950599758, -1.2380137545523313, 1.8125680091046628, 0.11495157722983192, -0.13736095212865282}};
static const double want_clip_norm[3] = {2.3048861143232218, 2.0194368026754388, 1.2515615246562992};

static const float P0[5] = {0.5f, -1.25f, 2.0f, 0.0f, -0.375f};
static const float G[3][5] = {{0.25f, -0.5f, 1.0f, 0.0f, -2.0f},
                              {0.125f, 0.75f, -1.5f, 0.5f, 1.0f},
                              {-0.5f, 0.25f, 0.5f, -1.0f, 0.0625f}};
static const double LR[3] = {0.1, 0.05, 0.2};

/* Compares got [n] against want [n] at 1e-6 of max(|want|, 1) each. */
#define CHECK_VEC(got, want, n)                                                   \
    do {                                                                          \
        for (size_t i_ = 0; i_ < (size_t)(n); i_++) {                             \
            double g_ = (got)[i_], w_ = (want)[i_];                               \
            double tol_ = 1e-6 * fmax(fabs(w_), 1.0);                             \
            CHECK_MSG(fabs(g_ - w_) <= tol_, "%s[%zu] = %.9g, want %.9g (diff %.3g)", \
                      #got, i_, g_, w_, g_ - w_);                                 \
        }                                                                         \
    } while (0)

static optim_opts opts_of(const char *type)
{
    optim_opts p;
    memset(&p, 0, sizeof p);
    snprintf(p.type, sizeof p.type, "%s", type);
    /* Deliberately not any LR[k]: the update must use optim_step's lr. */
    p.lr = 7.0;
    p.beta1 = 0.9, p.beta2 = 0.999, p.alpha = 0.99, p.eps = 1e-8;
    return p;
}

/* Runs the three reference steps on a vector of n copies of P0 (element i is
 * P0[i % 5]), so n > 5 exercises the vector loop bodies and their tails. */
static void run3_n(const optim_opts *p, size_t n, const double want[3][5], double norms[3])
{
    optim o;
    float *theta = malloc(n * sizeof *theta), *g = malloc(n * sizeof *g);
    double *w = malloc(n * sizeof *w);
    CHECK(theta && g && w);
    if (!theta || !g || !w) goto done;
    for (size_t i = 0; i < n; i++) theta[i] = P0[i % 5];
    CHECK_OK(optim_new(&o, p, n));
    if (!o.type) goto done;
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++) g[i] = G[k][i % 5];
        double nrm = optim_step(&o, theta, g, LR[k]);
        if (norms) norms[k] = nrm;
        CHECK(o.t == k + 1);
        for (size_t i = 0; i < n; i++) w[i] = want[k][i % 5];
        CHECK_VEC(theta, w, n);
    }
    optim_free(&o);
done:
    free(theta);
    free(g);
    free(w);
}

/* The reference steps at n = 5 and at n = 1003 (vector body plus a tail);
 * not the latter with clipping, whose global norm grows with the copies. */
static void run3(const optim_opts *p, const double want[3][5], double norms[3])
{
    if (p->clip_norm == 0) run3_n(p, 1003, want, NULL);
    run3_n(p, 5, want, norms);
}

/* One step from P0 with G[0] at LR[0]; theta [5] out. */
static void step1(const optim_opts *p, float theta[5])
{
    optim o;
    float g[5];
    memcpy(theta, P0, sizeof P0);
    memcpy(g, G[0], sizeof g);
    CHECK_OK(optim_new(&o, p, 5));
    if (!o.type) return;
    optim_step(&o, theta, g, LR[0]);
    optim_free(&o);
}

/* ---- registry and allocation --------------------------------------------- */

TEST(optim_registry)
{
    static const char *names[] = {"sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"};
    int count = 0;
    for (int i = 0; optim_types[i]; i++, count++) {
        const optim_type *t = optim_types[i];
        CHECK(t->name && t->step && t->nstate >= 0 && t->nstate <= OPTIM_MAX_STATE);
        for (int s = 0; s < t->nstate; s++) CHECK(t->state_names[s] != NULL);
        for (int j = 0; j < i; j++) CHECK(strcmp(optim_types[j]->name, t->name) != 0);
        CHECK(optim_find(t->name) == t);
    }
    CHECK(count == 6);
    for (int i = 0; i < 6; i++) CHECK_MSG(optim_find(names[i]), "%s not registered", names[i]);
    CHECK(optim_find("Adam") == NULL);
    CHECK(optim_find("") == NULL);
    CHECK(optim_find(NULL) == NULL);
    /* Checkpoints name state as PyTorch's optimizer state_dict does. */
    CHECK(strcmp(optim_find("adam")->state_names[0], "exp_avg") == 0);
    CHECK(strcmp(optim_find("adamw")->state_names[1], "exp_avg_sq") == 0);
    CHECK(strcmp(optim_find("momentum")->state_names[0], "momentum_buffer") == 0);
    CHECK(strcmp(optim_find("rmsprop")->state_names[0], "square_avg") == 0);
    CHECK(strcmp(optim_find("rmsprop")->state_names[1], "momentum_buffer") == 0);
    CHECK(optim_find("sgd")->nstate == 0);
}

TEST(optim_new_state_is_one_zeroed_block)
{
    const size_t n = 37;
    for (int i = 0; optim_types[i]; i++) {
        optim_opts p = opts_of(optim_types[i]->name);
        p.momentum = 0.9;
        optim o;
        CHECK_OK(optim_new(&o, &p, n));
        CHECK(o.type == optim_types[i] && o.n == n && o.t == 0 && o.opts.lr == 7.0);
        for (int s = 0; s < o.type->nstate; s++) {
            CHECK(o.state[s] == o.state[0] + (size_t)s * n);
            for (size_t j = 0; j < n; j++) CHECK(o.state[s][j] == 0.0f);
        }
        for (int s = o.type->nstate; s < OPTIM_MAX_STATE; s++) CHECK(o.state[s] == NULL);
        optim_free(&o);
        CHECK(o.type == NULL && o.state[0] == NULL);
        optim_free(&o);   /* twice is harmless */
    }
}

/* Expects optim_new to fail with NN_EINVAL and a message containing `needle`. */
static void expect_einval(const optim_opts *p, const char *needle, int line)
{
    optim o;
    int rc = optim_new(&o, p, 5);
    if (rc != NN_EINVAL)
        test_fail(__FILE__, line, "optim_new(%s, bad %s) -> %d, want NN_EINVAL", p->type,
                  needle, rc);
    else if (!strstr(nn_errmsg(), needle))
        test_fail(__FILE__, line, "message '%s' lacks '%s'", nn_errmsg(), needle);
    if (o.type != NULL || o.state[0] != NULL)
        test_fail(__FILE__, line, "failed optim_new left state behind");
    optim_free(&o);
}

TEST(optim_new_rejects_bad_options)
{
    optim_opts p = opts_of("adagrad");
    expect_einval(&p, "adagrad", __LINE__);
    for (int i = 0; optim_types[i]; i++)   /* the message lists every accepted name */
        CHECK_MSG(strstr(nn_errmsg(), optim_types[i]->name), "%s", nn_errmsg());

    p = opts_of("sgd");
    memset(p.type, 'x', sizeof p.type);    /* not terminated */
    expect_einval(&p, "type", __LINE__);

    /* One bad option at a time on otherwise good options; "*" = every type. */
    static const struct { const char *type; size_t off; double v; const char *name; } bad[] = {
        {"*", offsetof(optim_opts, lr), 0, "lr"},
        {"*", offsetof(optim_opts, lr), -0.1, "lr"},
        {"*", offsetof(optim_opts, lr), NAN, "lr"},
        {"*", offsetof(optim_opts, weight_decay), -1e-4, "weight_decay"},
        {"*", offsetof(optim_opts, clip_norm), -1, "clip_norm"},
        {"momentum", offsetof(optim_opts, momentum), 0, "momentum"},
        {"momentum", offsetof(optim_opts, momentum), 1, "momentum"},
        {"nesterov", offsetof(optim_opts, momentum), 0, "momentum"},
        {"nesterov", offsetof(optim_opts, momentum), INFINITY, "momentum"},
        {"rmsprop", offsetof(optim_opts, alpha), 1, "alpha"},
        {"rmsprop", offsetof(optim_opts, eps), 0, "eps"},
        {"rmsprop", offsetof(optim_opts, momentum), -0.5, "momentum"},
        {"adam", offsetof(optim_opts, beta1), 1, "beta1"},
        {"adam", offsetof(optim_opts, beta2), 1.5, "beta2"},
        {"adam", offsetof(optim_opts, eps), 0, "eps"},
        {"adamw", offsetof(optim_opts, beta1), -0.1, "beta1"},
        {"adamw", offsetof(optim_opts, beta2), 1, "beta2"},
        {"adamw", offsetof(optim_opts, eps), NAN, "eps"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
        for (int i = 0; optim_types[i]; i++) {
            if (strcmp(bad[b].type, "*") && strcmp(bad[b].type, optim_types[i]->name)) continue;
            p = opts_of(optim_types[i]->name);
            p.momentum = 0.5;
            *(double *)((char *)&p + bad[b].off) = bad[b].v;
            expect_einval(&p, bad[b].name, __LINE__);
        }

    /* Plain sgd ignores momentum: a value meant for the others is no error. */
    p = opts_of("sgd");
    p.momentum = 0.9;
    optim o;
    CHECK_OK(optim_new(&o, &p, 5));
    optim_free(&o);
}

/* ---- the sgd family ------------------------------------------------------ */

TEST(optim_sgd_matches_torch)
{
    optim_opts p = opts_of("sgd");
    p.weight_decay = 0.1;
    p.momentum = 0.9;   /* ignored by plain sgd */
    run3(&p, want_sgd, NULL);

    /* Closed form: θ1 = θ0 - lr (g + wd θ0). */
    float th[5];
    double want1[5];
    step1(&p, th);
    for (int i = 0; i < 5; i++) want1[i] = P0[i] - LR[0] * (G[0][i] + 0.1 * P0[i]);
    CHECK_VEC(th, want1, 5);
}

TEST(optim_momentum_matches_torch)
{
    optim_opts p = opts_of("momentum");
    p.weight_decay = 0.1;
    p.momentum = 0.9;
    run3(&p, want_momentum, NULL);

    /* Closed form of step 2 (the first one where the buffer matters):
     * d1 = g1 + wd θ0, θ1 = θ0 - lr1 d1, d2 = g2 + wd θ1, buf = mu d1 + d2,
     * θ2 = θ1 - lr2 buf. */
    optim o;
    float th[5], g[5];
    double want2[5];
    memcpy(th, P0, sizeof th);
    CHECK_OK(optim_new(&o, &p, 5));
    if (!o.type) return;
    for (int k = 0; k < 2; k++) {
        memcpy(g, G[k], sizeof g);
        optim_step(&o, th, g, LR[k]);
    }
    for (int i = 0; i < 5; i++) {
        double d1 = G[0][i] + 0.1 * P0[i], t1 = P0[i] - LR[0] * d1;
        double d2 = G[1][i] + 0.1 * t1, buf = 0.9 * d1 + d2;
        want2[i] = t1 - LR[1] * buf;
        CHECK_NEAR(o.state[0][i], buf, 1e-6 * fmax(fabs(buf), 1.0));
    }
    CHECK_VEC(th, want2, 5);
    optim_free(&o);
}

TEST(optim_nesterov_matches_torch)
{
    optim_opts p = opts_of("nesterov");
    p.weight_decay = 0.01;
    p.momentum = 0.9;
    run3(&p, want_nesterov, NULL);

    /* Closed form: on step 1 buf = d, so θ1 = θ0 - lr (1 + mu) d. */
    float th[5];
    double want1[5];
    step1(&p, th);
    for (int i = 0; i < 5; i++)
        want1[i] = P0[i] - LR[0] * 1.9 * (G[0][i] + 0.01 * P0[i]);
    CHECK_VEC(th, want1, 5);
}

/* ---- rmsprop ------------------------------------------------------------- */

TEST(optim_rmsprop_matches_torch)
{
    optim_opts p = opts_of("rmsprop");
    p.alpha = 0.99;
    run3(&p, want_rmsprop, NULL);

    /* Closed form: square_avg = (1-alpha) g^2 after step 1, so
     * θ1 = θ0 - lr g / (sqrt(1-alpha) |g| + eps): a step of 10 lr. */
    float th[5];
    double want1[5];
    step1(&p, th);
    for (int i = 0; i < 5; i++)
        want1[i] = P0[i] - LR[0] * G[0][i] / (sqrt(0.01) * fabs(G[0][i]) + 1e-8);
    CHECK_VEC(th, want1, 5);
}

TEST(optim_rmsprop_momentum_matches_torch)
{
    optim_opts p = opts_of("rmsprop");
    p.alpha = 0.9;
    p.momentum = 0.5;
    p.weight_decay = 0.1;
    run3(&p, want_rmsprop_m, NULL);
}

/* ---- adam and adamw ------------------------------------------------------ */

TEST(optim_adam_matches_torch)
{
    optim_opts p = opts_of("adam");
    p.weight_decay = 0.1;
    run3(&p, want_adam, NULL);

    /* Closed form: bias correction makes step 1 m/bc1 = d and
     * sqrt(v/bc2) = |d|, so θ1 = θ0 - lr d / (|d| + eps), d = g + wd θ0. */
    float th[5];
    double want1[5];
    step1(&p, th);
    for (int i = 0; i < 5; i++) {
        double d = G[0][i] + 0.1 * P0[i];
        want1[i] = P0[i] - LR[0] * d / (fabs(d) + 1e-8);
    }
    CHECK_VEC(th, want1, 5);
}

TEST(optim_adamw_matches_torch)
{
    optim_opts p = opts_of("adamw");
    p.weight_decay = 0.1;
    run3(&p, want_adamw, NULL);

    /* Closed form: θ1 = θ0 (1 - lr wd) - lr g / (|g| + eps). */
    float th[5];
    double want1[5];
    step1(&p, th);
    for (int i = 0; i < 5; i++)
        want1[i] = P0[i] * (1 - LR[0] * 0.1) - LR[0] * G[0][i] / (fabs(G[0][i]) + 1e-8);
    CHECK_VEC(th, want1, 5);
}

TEST(optim_adam_and_adamw_differ_only_by_decay)
{
    float a[5], w[5];
    optim_opts pa = opts_of("adam"), pw = opts_of("adamw");
    pa.weight_decay = pw.weight_decay = 0.1;
    step1(&pa, a);
    step1(&pw, w);
    double diff = 0;
    for (int i = 0; i < 5; i++) diff = fmax(diff, fabs(a[i] - w[i]));
    CHECK_MSG(diff > 1e-3, "adam and adamw differ by only %g with weight decay", diff);

    /* Without decay they are the same update, to the bit. */
    pa.weight_decay = pw.weight_decay = 0;
    step1(&pa, a);
    step1(&pw, w);
    CHECK(memcmp(a, w, sizeof a) == 0);
}

/* ---- clipping and the gradient norm --------------------------------------- */

TEST(optim_clip_matches_torch)
{
    optim_opts p = opts_of("momentum");
    p.momentum = 0.9;
    p.weight_decay = 0.1;
    p.clip_norm = 1.5;
    double norms[3];
    run3(&p, want_clip, norms);
    CHECK_VEC(norms, want_clip_norm, 3);

    /* The clipped g is left in place: g * clip / (norm + 1e-6) on steps 1
     * and 2; step 3's norm (1.25) is under 1.5 and g is not touched. */
    optim o;
    float th[5], g[5];
    memcpy(th, P0, sizeof th);
    CHECK_OK(optim_new(&o, &p, 5));
    if (!o.type) return;
    for (int k = 0; k < 3; k++) {
        double want_g[5], sq = 0, cn = 0;
        memcpy(g, G[k], sizeof g);
        for (int i = 0; i < 5; i++) sq += (double)G[k][i] * G[k][i];
        double nrm = optim_step(&o, th, g, LR[k]);
        CHECK_NEAR(nrm, sqrt(sq), 1e-12);
        double coef = fmin(1.5 / (sqrt(sq) + 1e-6), 1.0);
        for (int i = 0; i < 5; i++) {
            want_g[i] = G[k][i] * coef;
            cn += (double)g[i] * g[i];
        }
        CHECK_VEC(g, want_g, 5);
        if (k < 2) CHECK_NEAR(sqrt(cn), 1.5, 1e-6);
        else CHECK(memcmp(g, G[k], sizeof g) == 0);
    }
    optim_free(&o);
}

TEST(optim_clip_tiny_norm)
{
    /* PyTorch divides by norm + 1e-6, which shows only at tiny norms: here
     * ||g|| = 2e-6 and clip 1e-6 give coef 1/3, not 1/2. */
    optim_opts p = opts_of("sgd");
    p.clip_norm = 1e-6;
    optim o;
    float th[2] = {0, 0}, g[2] = {2e-6f, 0};
    CHECK_OK(optim_new(&o, &p, 2));
    if (!o.type) return;
    double nrm = optim_step(&o, th, g, 1.0);
    CHECK_NEAR(nrm, 2e-6, 1e-6 * 2e-6);
    CHECK_NEAR(g[0], 2e-6 * 1e-6 / (2e-6 + 1e-6), 1e-6 * 2e-6 / 3);
    CHECK_NEAR(th[0], -g[0], 0);
    optim_free(&o);
}

TEST(optim_norm_without_clipping)
{
    /* n = 1003: the eight partial sums plus a tail of 3. */
    const size_t n = 1003;
    float *th = calloc(n, sizeof *th), *g = malloc(n * sizeof *g), *g0 = malloc(n * sizeof *g0);
    CHECK(th && g && g0);
    if (!th || !g || !g0) goto done;
    double sq = 0;
    for (size_t i = 0; i < n; i++) {
        g[i] = g0[i] = (float)((double)(i % 17) - 8.0) / 8.0f + 1e-3f * (float)i;
        sq += (double)g[i] * g[i];
    }
    optim_opts p = opts_of("sgd");
    optim o;
    CHECK_OK(optim_new(&o, &p, n));
    if (!o.type) goto done;
    double nrm = optim_step(&o, th, g, 0.5);
    CHECK_NEAR(nrm, sqrt(sq), 1e-12 * sqrt(sq));
    CHECK(memcmp(g, g0, n * sizeof *g) == 0);   /* clip_norm = 0: g untouched */
    for (size_t i = 0; i < n; i++) CHECK(th[i] == -0.5f * g0[i]);

    /* A zero gradient under clipping: norm 0, no 0/0. */
    optim_free(&o);
    p.clip_norm = 1.0;
    CHECK_OK(optim_new(&o, &p, n));
    memset(g, 0, n * sizeof *g);
    memset(th, 0, n * sizeof *th);
    CHECK(optim_step(&o, th, g, 0.5) == 0.0);
    for (size_t i = 0; i < n; i++) CHECK(th[i] == 0.0f && g[i] == 0.0f);
    optim_free(&o);
done:
    free(th);
    free(g);
    free(g0);
}

TEST(optim_nonfinite_gradient_changes_nothing)
{
    for (int j = 0; optim_types[j]; j++) {
        optim_opts p = opts_of(optim_types[j]->name);
        p.momentum = 0.5;
        p.clip_norm = 1.0;
        optim o;
        float th[5], g[5], th1[5], st1[OPTIM_MAX_STATE][5];
        memcpy(th, P0, sizeof th);
        CHECK_OK(optim_new(&o, &p, 5));
        if (!o.type) continue;
        memcpy(g, G[0], sizeof g);
        optim_step(&o, th, g, 0.1);
        memcpy(th1, th, sizeof th);
        for (int s = 0; s < o.type->nstate; s++) memcpy(st1[s], o.state[s], sizeof st1[s]);

        memcpy(g, G[1], sizeof g);
        g[2] = NAN;
        CHECK(isnan(optim_step(&o, th, g, 0.1)));
        g[2] = INFINITY;
        CHECK(isinf(optim_step(&o, th, g, 0.1)));
        CHECK_MSG(memcmp(th, th1, sizeof th) == 0, "%s moved θ", o.type->name);
        for (int s = 0; s < o.type->nstate; s++)
            CHECK_MSG(memcmp(o.state[s], st1[s], sizeof st1[s]) == 0, "%s state %d changed",
                      o.type->name, s);
        CHECK(o.t == 1);
        optim_free(&o);
    }
}

/* ---- every optimizer minimizes a quadratic --------------------------------- */

TEST(optim_all_minimize_a_quadratic)
{
    /* f(x) = 1/2 sum a_i (x_i - c_i)^2 with curvatures a_i in [0.5, 2] and
     * n = 37 (not a multiple of any vector width), under a cosine schedule to
     * 0 so the adaptive methods settle instead of hovering at lr-sized steps. */
    enum { N = 37, STEPS = 3000 };
    struct { const char *type; double lr; } runs[] = {
        {"sgd", 0.5}, {"momentum", 0.1}, {"nesterov", 0.1},
        {"rmsprop", 0.01}, {"adam", 0.05}, {"adamw", 0.05},
    };
    sched_opts s = {.type = SCHED_COSINE, .warmup_epochs = 1, .min_lr = 0};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        float x[N], g[N], a[N], c[N];
        for (int i = 0; i < N; i++) {
            a[i] = 0.5f + 1.5f * (float)i / (N - 1);
            c[i] = (float)((i * 7) % 11) / 5.0f - 1.0f;
            x[i] = 0;
        }
        optim_opts p = opts_of(runs[r].type);
        p.lr = runs[r].lr;
        p.momentum = 0.9;
        optim o;
        CHECK_OK(optim_new(&o, &p, N));
        if (!o.type) continue;
        for (long k = 0; k < STEPS; k++) {
            for (int i = 0; i < N; i++) g[i] = a[i] * (x[i] - c[i]);
            optim_step(&o, x, g, sched_lr(&s, p.lr, k, 100, STEPS));
        }
        double err = 0;
        for (int i = 0; i < N; i++) err = fmax(err, fabs(x[i] - c[i]));
        CHECK_MSG(err < 1e-3, "%s ends %g from the minimum", runs[r].type, err);
        optim_free(&o);
    }
}

/* ---- schedules ------------------------------------------------------------ */

#define CHECK_LR(got, want) CHECK_NEAR(got, want, 1e-12 * fabs(want))

TEST(sched_constant_and_warmup)
{
    sched_opts s = {.type = SCHED_CONSTANT};
    CHECK_LR(sched_lr(&s, 0.1, 0, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 99, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 500, 10, 100), 0.1);

    /* 1.5 epochs of 10 steps: W = 15, lr ramps base/15, 2 base/15, ... base. */
    s.warmup_epochs = 1.5;
    CHECK_LR(sched_lr(&s, 0.1, 0, 10, 100), 0.1 / 15);
    CHECK_LR(sched_lr(&s, 0.1, -3, 10, 100), 0.1 / 15);
    CHECK_LR(sched_lr(&s, 0.1, 7, 10, 100), 0.1 * 8 / 15);
    CHECK_LR(sched_lr(&s, 0.1, 14, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 15, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 60, 10, 100), 0.1);

    /* 0.57 * 100 is 56.99999999999999 in double: still 57 warm-up steps. */
    s.warmup_epochs = 0.57;
    CHECK_LR(sched_lr(&s, 1.0, 55, 100, 1000), 56.0 / 57);
    CHECK_LR(sched_lr(&s, 1.0, 56, 100, 1000), 1.0);
}

TEST(sched_step_boundaries)
{
    /* gamma 0.5 every 2 epochs of 10 steps: drops at steps 20, 40, ... */
    sched_opts s = {.type = SCHED_STEP, .step_epochs = 2, .gamma = 0.5};
    CHECK_LR(sched_lr(&s, 0.1, 0, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 19, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 20, 10, 100), 0.05);
    CHECK_LR(sched_lr(&s, 0.1, 39, 10, 100), 0.05);
    CHECK_LR(sched_lr(&s, 0.1, 40, 10, 100), 0.025);
    CHECK_LR(sched_lr(&s, 0.1, 99, 10, 100), 0.1 * pow(0.5, 4));

    /* A boundary every 0.1 epoch = every step; 3/10/0.1 rounds to
     * 2.9999999999999996 yet step 3 has had three drops. */
    s.step_epochs = 0.1;
    for (long k = 0; k < 12; k++) CHECK_LR(sched_lr(&s, 1.0, k, 10, 100), pow(0.5, (double)k));

    /* Warm-up does not shift the boundaries: epoch 2 still starts the drop. */
    s.step_epochs = 2;
    s.warmup_epochs = 1;
    CHECK_LR(sched_lr(&s, 0.1, 4, 10, 100), 0.1 * 5 / 10);
    CHECK_LR(sched_lr(&s, 0.1, 10, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 19, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 20, 10, 100), 0.05);

    s.step_epochs = 0;   /* never decays */
    CHECK_LR(sched_lr(&s, 0.1, 90, 10, 100), 0.1);
}

TEST(sched_cosine_endpoints_and_midpoint)
{
    const double pi = 3.14159265358979323846;
    sched_opts s = {.type = SCHED_COSINE, .min_lr = 0.001};
    CHECK_LR(sched_lr(&s, 0.1, 0, 10, 100), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 50, 10, 100), (0.1 + 0.001) / 2);
    CHECK_LR(sched_lr(&s, 0.1, 25, 10, 100), 0.001 + 0.099 * (1 + sqrt(0.5)) / 2);
    CHECK_LR(sched_lr(&s, 0.1, 99, 10, 100), 0.001 + 0.099 * (1 + cos(pi * 0.99)) / 2);
    CHECK_LR(sched_lr(&s, 0.1, 100, 10, 100), 0.001);
    CHECK_LR(sched_lr(&s, 0.1, 150, 10, 100), 0.001);

    /* After 2 warm-up epochs (W = 20) the cosine runs over K = 100 steps. */
    s.warmup_epochs = 2;
    CHECK_LR(sched_lr(&s, 0.1, 9, 10, 120), 0.1 * 10 / 20);
    CHECK_LR(sched_lr(&s, 0.1, 19, 10, 120), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 20, 10, 120), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 70, 10, 120), (0.1 + 0.001) / 2);
    CHECK_LR(sched_lr(&s, 0.1, 120, 10, 120), 0.001);

    /* Warm-up as long as the run: no division by K = 0. */
    CHECK_LR(sched_lr(&s, 0.1, 19, 10, 20), 0.1);
    CHECK_LR(sched_lr(&s, 0.1, 20, 10, 20), 0.001);
    CHECK(isfinite(sched_lr(&s, 0.1, 25, 10, 10)));
}

/* The pool splits an optimizer step by ranges of θ: the update is
 * elementwise, so θ and state match the serial step bit for bit; the norm
 * (partial sums combined in order) matches to rounding; clipping too. */
TEST(optim_step_split_across_threads)
{
    const char *types[] = {"sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"};
    enum { N = 1003 };
    static float th1[N], th2[N], g1[N], g2[N];
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        optim_opts o;
        memset(&o, 0, sizeof o);
        snprintf(o.type, sizeof o.type, "%s", types[k]);
        o.lr = 0.1;
        o.momentum = 0.9;
        o.beta1 = 0.9;
        o.beta2 = 0.999;
        o.alpha = 0.99;
        o.eps = 1e-8;
        o.weight_decay = 0.01;
        o.clip_norm = 3.0;
        optim a, b;
        CHECK_OK(optim_new(&a, &o, N));
        CHECK_OK(optim_new(&b, &o, N));
        for (int i = 0; i < N; i++) th1[i] = th2[i] = (float)sin(i * 0.37);
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < N; i++) g1[i] = g2[i] = (float)cos(i * 0.11 + step);
            CHECK_OK(pool_set_threads(1));
            double n1 = optim_step(&a, th1, g1, 0.1);
            CHECK_OK(pool_set_threads(3));
            double n2 = optim_step(&b, th2, g2, 0.1);
            CHECK_NEAR(n1, n2, 1e-12 * n1);
            CHECK_MSG(memcmp(th1, th2, sizeof th1) == 0, "%s: θ differs at step %d", types[k], step);
            for (int s = 0; s < a.type->nstate; s++)
                CHECK(memcmp(a.state[s], b.state[s], N * sizeof(float)) == 0);
        }
        optim_free(&a);
        optim_free(&b);
    }
    CHECK_OK(pool_set_threads(1));
}
