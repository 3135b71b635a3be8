/* Tests of nn/config.c: defaults, every value type, the example configs, the
 * format -> parse round trip, one error per kind of bad line (with its line
 * number), --set, the layers syntax and the atomic writer. */
#include "../nn/nn.h"
#include "test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* Field by field: memcmp would also compare padding and string tails. */
static int config_equal(const config *a, const config *b)
{
    const data_opts *x = &a->data, *y = &b->data;
    if (strcmp(x->name, y->name) || strcmp(x->dir, y->dir) || x->limit != y->limit ||
        x->subset != y->subset || x->test_limit != y->test_limit ||
        x->val_split != y->val_split || x->normalize != y->normalize || x->resize != y->resize ||
        x->synth_n != y->synth_n || x->synth_test_n != y->synth_test_n ||
        x->synth_classes != y->synth_classes || x->synth_dim != y->synth_dim ||
        x->synth_noise != y->synth_noise || x->seed != y->seed)
        return 0;
    const model_spec *m = &a->model, *n = &b->model;
    if (m->in != n->in || m->nlayers != n->nlayers || m->init != n->init ||
        m->leaky_slope != n->leaky_slope || m->loss != n->loss)
        return 0;
    for (int i = 0; i < m->nlayers; i++)
        if (m->layers[i].out != n->layers[i].out || m->layers[i].act != n->layers[i].act ||
            m->layers[i].init != n->layers[i].init)
            return 0;
    const optim_opts *o = &a->optim, *p = &b->optim;
    if (strcmp(o->type, p->type) || o->lr != p->lr || o->momentum != p->momentum ||
        o->beta1 != p->beta1 || o->beta2 != p->beta2 || o->alpha != p->alpha ||
        o->eps != p->eps || o->weight_decay != p->weight_decay || o->clip_norm != p->clip_norm)
        return 0;
    const sched_opts *s = &a->sched, *t = &b->sched;
    if (s->type != t->type || s->warmup_epochs != t->warmup_epochs ||
        s->step_epochs != t->step_epochs || s->gamma != t->gamma || s->min_lr != t->min_lr)
        return 0;
    const train_opts *u = &a->train, *v = &b->train;
    return u->epochs == v->epochs && u->batch == v->batch && u->seed == v->seed &&
           u->eval_every == v->eval_every && u->snapshot_every == v->snapshot_every &&
           u->snapshot_unit == v->snapshot_unit && u->ckpt_every == v->ckpt_every &&
           u->threads == v->threads && u->eval_limit == v->eval_limit;
}

static int parse_str(config *c, const char *text)
{
    return config_parse(c, text, strlen(text), "t.ini");
}

/* format(c) parsed on top of defaults gives c back, and formatting is stable. */
static void check_round_trip(const config *c)
{
    char *text = config_format(c);
    CHECK(text != NULL);
    if (!text) return;
    config back;
    config_defaults(&back);
    back.model.in = c->model.in;
    CHECK_OK(config_parse(&back, text, strlen(text), "formatted"));
    CHECK_MSG(config_equal(c, &back), "round trip differs:\n%s", text);
    char *again = config_format(&back);
    CHECK(again && strcmp(text, again) == 0);
    free(again);
    free(text);
}

TEST(defaults)
{
    config c;
    config_defaults(&c);
    CHECK(strcmp(c.data.name, "fashion-mnist") == 0);
    CHECK(c.data.dir[0] == '\0');
    CHECK(c.data.limit == 0 && c.data.test_limit == 0);
    CHECK(c.data.subset == SUBSET_FIRST);
    CHECK(c.data.val_split == 0);
    CHECK(c.data.normalize == NORM_SCALE);
    CHECK(c.data.synth_n == 1000 && c.data.synth_test_n == 500);
    CHECK(c.data.synth_classes == 3 && c.data.synth_dim == 2);
    CHECK(c.data.synth_noise == 0.2);
    CHECK(c.data.seed == 0);
    CHECK(c.model.in == 0);
    CHECK(c.model.nlayers == 3);
    CHECK(c.model.layers[0].out == 256 && c.model.layers[0].act == ACT_RELU);
    CHECK(c.model.layers[1].out == 256 && c.model.layers[1].act == ACT_RELU);
    CHECK(c.model.layers[2].out == 10 && c.model.layers[2].act == ACT_LINEAR);
    for (int i = 0; i < 3; i++) CHECK(c.model.layers[i].init == -1);
    CHECK(c.model.init == INIT_TORCH);
    CHECK(c.model.leaky_slope == 0.01f);
    CHECK(c.model.loss == LOSS_XENT);
    CHECK(strcmp(c.optim.type, "momentum") == 0);
    CHECK(c.optim.lr == 0.05 && c.optim.momentum == 0.9);
    CHECK(c.optim.beta1 == 0.9 && c.optim.beta2 == 0.999 && c.optim.alpha == 0.99);
    CHECK(c.optim.eps == 1e-8 && c.optim.weight_decay == 0 && c.optim.clip_norm == 0);
    CHECK(c.sched.type == SCHED_CONSTANT && c.sched.warmup_epochs == 0);
    CHECK(c.sched.step_epochs == 1 && c.sched.gamma == 0.1 && c.sched.min_lr == 0);
    CHECK(c.train.epochs == 5 && c.train.batch == 128 && c.train.seed == 1);
    CHECK(c.train.eval_every == 0 && c.train.snapshot_every == 1);
    CHECK(c.train.snapshot_unit == UNIT_EPOCHS && c.train.ckpt_every == 0);
    CHECK(c.train.threads == 0 && c.train.eval_limit == 10000);
    check_round_trip(&c);
}

TEST(help_lists_every_key)
{
    char *h = config_help();
    CHECK(h != NULL);
    if (!h) return;
    const char *want[] = {"[data]", "data.name", "data.seed", "[model]", "model.layers",
                          "model.leaky_slope", "[loss]", "loss.type", "[optimizer]",
                          "optimizer.clip_norm", "[schedule]", "schedule.min_lr", "[train]",
                          "train.eval_limit", "a number in (0, 1000]", "xent, mse",
                          "sgd, momentum, nesterov, rmsprop, adam, adamw",
                          "an integer in [1, 100000]", "256 relu, 256 relu, 10"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_MSG(strstr(h, want[i]) != NULL, "help lacks '%s'", want[i]);
    free(h);
}

TEST(parse_every_type)
{
    config c;
    config_defaults(&c);
    const char *text =
        "; a comment\n# another\n\n"
        "[data]\nname = spirals\ndir = /tmp/some dir/x\nlimit = 12345678901\n"
        "subset = random\ntest_limit = 7\nval_split = 0.5\nnormalize = standardize\n"
        "synth_n = 2000\nsynth_test_n = 100\nsynth_classes = 4\nsynth_dim = 5\n"
        "synth_noise = 0.125\nseed = 18446744073709551615\n"
        "[model]\nlayers = 32 tanh xavier, 16 leaky_relu, 4 softplus\ninit = he\n"
        "leaky_slope = 0.2\n"
        "[loss]\ntype = mse\n"
        "[optimizer]\ntype = adamw\nlr = 3e-4\nmomentum = 0\nbeta1 = 0.8\nbeta2 = 0.95\n"
        "alpha = 0.5\neps = 1e-6\nweight_decay = 0.01\nclip_norm = 1.5\n"
        "[schedule]\ntype = cosine\nwarmup_epochs = 0.5\nstep_epochs = 2\ngamma = 0.5\n"
        "min_lr = 1e-5\n"
        "[train]\nepochs = 100000\nbatch = 0\nseed = 42\neval_every = 50\n"
        "snapshot_every = 0\nsnapshot_unit = steps\nckpt_every = 1000\nthreads = 256\n"
        "eval_limit = 0\n";
    CHECK_OK(parse_str(&c, text));
    CHECK(strcmp(c.data.name, "spirals") == 0);
    CHECK(strcmp(c.data.dir, "/tmp/some dir/x") == 0);
    CHECK(c.data.limit == 12345678901u && c.data.subset == SUBSET_RANDOM);
    CHECK(c.data.test_limit == 7 && c.data.val_split == 0.5);
    CHECK(c.data.normalize == NORM_STANDARDIZE);
    CHECK(c.data.synth_n == 2000 && c.data.synth_test_n == 100);
    CHECK(c.data.synth_classes == 4 && c.data.synth_dim == 5 && c.data.synth_noise == 0.125);
    CHECK(c.data.seed == UINT64_MAX);
    CHECK(c.model.nlayers == 3);
    CHECK(c.model.layers[0].out == 32 && c.model.layers[0].act == ACT_TANH &&
          c.model.layers[0].init == INIT_XAVIER);
    CHECK(c.model.layers[1].out == 16 && c.model.layers[1].act == ACT_LEAKY_RELU &&
          c.model.layers[1].init == -1);
    CHECK(c.model.layers[2].out == 4 && c.model.layers[2].act == ACT_SOFTPLUS);
    CHECK(c.model.init == INIT_HE && c.model.leaky_slope == 0.2f);
    CHECK(c.model.loss == LOSS_MSE);
    CHECK(strcmp(c.optim.type, "adamw") == 0 && c.optim.lr == 3e-4);
    CHECK(c.optim.momentum == 0 && c.optim.beta1 == 0.8 && c.optim.beta2 == 0.95);
    CHECK(c.optim.alpha == 0.5 && c.optim.eps == 1e-6 && c.optim.weight_decay == 0.01);
    CHECK(c.optim.clip_norm == 1.5);
    CHECK(c.sched.type == SCHED_COSINE && c.sched.warmup_epochs == 0.5);
    CHECK(c.sched.step_epochs == 2 && c.sched.gamma == 0.5 && c.sched.min_lr == 1e-5);
    CHECK(c.train.epochs == 100000 && c.train.batch == 0 && c.train.seed == 42);
    CHECK(c.train.eval_every == 50 && c.train.snapshot_every == 0);
    CHECK(c.train.snapshot_unit == UNIT_STEPS && c.train.ckpt_every == 1000);
    CHECK(c.train.threads == 256 && c.train.eval_limit == 0);
    check_round_trip(&c);
}

TEST(syntax_details)
{
    config c;
    config_defaults(&c);
    /* BOM, CRLF, indentation, inline comments, spaces in headers, a section
     * opened twice, an alias name of the loss. */
    const char *text = "\xEF\xBB\xBF[train]\r\n  epochs = 3 ; three\r\n"
                       "[ data ] ; comment\nlimit=9\ndir = /a b ; comment\n"
                       "[train]\nbatch = 4\n[loss]\ntype = cross_entropy\n";
    CHECK_OK(parse_str(&c, text));
    CHECK(c.train.epochs == 3 && c.train.batch == 4 && c.data.limit == 9);
    CHECK(strcmp(c.data.dir, "/a b") == 0);
    CHECK(c.model.loss == LOSS_XENT);
    /* Empty input and a missing final newline. */
    CHECK_OK(config_parse(&c, "", 0, "empty"));
    CHECK_OK(parse_str(&c, "[train]\nepochs = 6"));
    CHECK(c.train.epochs == 6);
    /* len bounds the text: what follows is not read. */
    CHECK_OK(config_parse(&c, "[train]\nepochs = 7junk", 18, "t.ini"));
    CHECK(c.train.epochs == 7);
    /* A 1000-byte dir fits on one line (inih's stock limit is 200). */
    char dir[1001], line[1100];
    memset(dir, 'd', 1000);
    dir[0] = '/';
    dir[1000] = '\0';
    snprintf(line, sizeof line, "[data]\ndir = %s\n[train]\nbogus = 1\n", dir);
    CHECK(parse_str(&c, line) == NN_ECONFIG);
    CHECK_MSG(strstr(nn_errmsg(), "t.ini:4:") != NULL, "%s", nn_errmsg());
    snprintf(line, sizeof line, "[data]\ndir = %s\n", dir);
    CHECK_OK(parse_str(&c, line));
    CHECK(strcmp(c.data.dir, dir) == 0);
    check_round_trip(&c);
}

TEST(example_configs)
{
    const char *names[] = {"configs/fmnist-mlp.ini", "configs/mnist-mlp.ini",
                           "configs/spirals.ini"};
    config c[3];
    for (int i = 0; i < 3; i++) {
        config_defaults(&c[i]);
        CHECK_OK(config_load(&c[i], names[i]));
        check_round_trip(&c[i]);
    }
    CHECK(strcmp(c[0].data.name, "fashion-mnist") == 0 && c[0].data.normalize == NORM_SCALE);
    CHECK(c[0].model.nlayers == 3 && c[0].model.layers[0].out == 256 &&
          c[0].model.layers[1].act == ACT_RELU && c[0].model.layers[2].out == 10);
    CHECK(strcmp(c[0].optim.type, "momentum") == 0 && c[0].optim.momentum == 0.9);
    CHECK(c[0].optim.lr == 0.05 && c[0].train.batch == 128 && c[0].train.epochs == 5);
    CHECK(c[0].train.seed == 1 && c[0].train.snapshot_every == 1 &&
          c[0].train.snapshot_unit == UNIT_EPOCHS);
    CHECK(strcmp(c[1].data.name, "mnist") == 0);
    c[1].data.name[0] = '\0';
    strcpy(c[1].data.name, "fashion-mnist");
    CHECK_MSG(config_equal(&c[0], &c[1]), "mnist-mlp.ini differs from fmnist-mlp.ini "
              "in more than the data set");
    CHECK(strcmp(c[2].data.name, "spirals") == 0 && c[2].data.synth_classes == 3);
    CHECK(c[2].model.nlayers == 3 && c[2].model.layers[0].out == 64 &&
          c[2].model.layers[0].act == ACT_TANH && c[2].model.layers[1].act == ACT_TANH &&
          c[2].model.layers[2].out == 3 && c[2].model.layers[2].act == ACT_LINEAR);
    CHECK(strcmp(c[2].optim.type, "adam") == 0 && c[2].optim.lr == 0.01);
    CHECK(c[2].train.batch == 32 && c[2].train.epochs == 30);
}

typedef struct bad_case {
    const char *text;
    const char *where;   /* "t.ini:LINE:" */
    const char *what;    /* distinguishing substring */
} bad_case;

TEST(bad_lines)
{
    static const bad_case cases[] = {
        {"[train]\nepochs=3\n[optimiser]\n", "t.ini:3:",
         "unknown section [optimiser]; sections are data, model, loss, optimizer, schedule, "
         "train"},
        {"[optimizer]\nlrate = 0.1\n", "t.ini:2:", "unknown key 'lrate' in [optimizer]; "
         "keys are type, lr, momentum, beta1, beta2, alpha, eps, weight_decay, clip_norm"},
        {"[optimizer]\nlr = abc\n", "t.ini:2:", "'abc' is not a number"},
        {"[optimizer]\nlr = 0.1x\n", "t.ini:2:", "trailing 'x'"},
        {"[optimizer]\nlr =\n", "t.ini:2:", "is empty"},
        {"[optimizer]\nlr = ; nothing\n", "t.ini:2:", "is empty"},
        {"[optimizer]\nlr = 0\n", "t.ini:2:", "out of range; expected a number in (0, 1000]"},
        {"[optimizer]\nmomentum = 1\n", "t.ini:2:", "a number in [0, 1)"},
        {"[optimizer]\nlr = nan\n", "t.ini:2:", "not finite"},
        {"[optimizer]\nlr = inf\n", "t.ini:2:", "not finite"},
        {"[optimizer]\nlr = 1e999\n", "t.ini:2:", "not finite"},
        {"[optimizer]\nlr = 0x1p-3\n", "t.ini:2:", "not a decimal number"},
        {"[optimizer]\ntype = adma\n", "t.ini:2:",
         "'adma' is not accepted; expected one of sgd, momentum, nesterov, rmsprop, adam, adamw"},
        {"[loss]\ntype = hinge\n", "t.ini:2:", "one of xent, mse"},
        {"[model]\ninit = kaiming\n", "t.ini:2:", "one of torch, he, xavier"},
        {"[data]\nnormalize = yes\n", "t.ini:2:", "one of scale, standardize, none"},
        {"[train]\nepochs = 0\n", "t.ini:2:", "out of range; expected an integer in [1, 100000]"},
        {"[train]\nepochs = 5x\n", "t.ini:2:", "trailing 'x'"},
        {"[train]\nepochs = 2.5\n", "t.ini:2:", "trailing '.5'"},
        {"[train]\nthreads = 257\n", "t.ini:2:", "[0, 256]"},
        {"[train]\nbatch = 99999999999999999999\n", "t.ini:2:", "out of range"},
        {"[train]\nseed = 18446744073709551616\n", "t.ini:2:", "out of range"},
        {"[data]\nlimit = -1\n", "t.ini:2:", "'-1' is out of range; expected an integer >= 0"},
        {"[data]\nlimit = 1e6\n", "t.ini:2:", "trailing 'e6'"},
        {"[data]\nlimit = x\n", "t.ini:2:", "is not an integer"},
        {"[data]\nval_split = 0.6\n", "t.ini:2:", "[0, 0.5]"},
        {"[model]\nlayers = 256 relx, 10\n", "t.ini:2:", "item 1 '256 relx': unknown activation"},
        {"\n; comment\n[train]\n\nepochs 5\n", "t.ini:5:", "expected 'key = value'"},
        {"[train]\nepochs: 5\n", "t.ini:2:", "expected 'key = value'"},
        {"[train]\n= 5\n", "t.ini:2:", "expected 'key = value'"},
        {"[train]\nepochs = 3\n  4\n", "t.ini:3:", "expected 'key = value'"},
        {"[train]\nepochs = 3\nbatch = 2\nepochs = 4\n", "t.ini:4:",
         "duplicate key train.epochs (already set on line 2)"},
        {"[train]\nepochs = 3\n[data]\n[train]\nepochs = 3\n", "t.ini:5:", "duplicate key"},
        {"epochs = 3\n", "t.ini:1:", "before any [section]"},
        {"[train\nepochs = 3\n", "t.ini:1:", "lacks ']'"},
        {"[train] epochs = 3\n", "t.ini:1:", "unexpected text after the section header"},
        {"[]\n", "t.ini:1:", "unknown section []"},
        {"[train]\r\nepochs = 3\r\nbatch = x\r\n", "t.ini:3:", "'x' is not an integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config c, before;
        config_defaults(&c);
        before = c;
        int rc = parse_str(&c, cases[i].text);
        const char *msg = nn_errmsg();
        CHECK_MSG(rc == NN_ECONFIG, "case %zu: rc %d", i, rc);
        CHECK_MSG(strncmp(msg, cases[i].where, strlen(cases[i].where)) == 0,
                  "case %zu: '%s' does not start with '%s'", i, msg, cases[i].where);
        CHECK_MSG(strstr(msg, cases[i].what) != NULL, "case %zu: '%s' lacks '%s'", i, msg,
                  cases[i].what);
        CHECK_MSG(config_equal(&c, &before), "case %zu: a failed parse changed the config", i);
    }
}

TEST(bad_bytes)
{
    config c;
    config_defaults(&c);
    CHECK(config_parse(&c, "[train]\nepochs = 3\0\n", 20, "t.ini") == NN_ECONFIG);
    CHECK_MSG(strstr(nn_errmsg(), "t.ini:2: NUL byte") != NULL, "%s", nn_errmsg());
    size_t n = 5000;
    char *big = malloc(n + 32);
    CHECK(big != NULL);
    if (!big) return;
    strcpy(big, "[data]\ndir = ");
    size_t k = strlen(big);
    memset(big + k, 'a', n);
    strcpy(big + k + n, "\n");
    CHECK(parse_str(&c, big) == NN_ECONFIG);
    CHECK_MSG(strstr(nn_errmsg(), "t.ini:2: line too long") != NULL, "%s", nn_errmsg());
    free(big);
    /* A dir that fits the line but not the field. */
    char line[1200];
    snprintf(line, sizeof line, "[data]\ndir = /%01100d\n", 0);
    CHECK(parse_str(&c, line) == NN_ECONFIG);
    CHECK_MSG(strstr(nn_errmsg(), "is too long") != NULL, "%s", nn_errmsg());
}

TEST(load_errors)
{
    config c;
    config_defaults(&c);
    const char *missing = test_path("no-such.ini");
    CHECK(config_load(&c, missing) == NN_EIO);
    CHECK_MSG(strstr(nn_errmsg(), missing) != NULL, "%s", nn_errmsg());
    CHECK(config_load(&c, test_tmpdir()) == NN_EIO);
    const char *bad = test_path("bad.ini");
    FILE *f = fopen(bad, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("[train]\nepochs = 3\n\n[optimizer]\nlr = -1\n", f);
    fclose(f);
    CHECK(config_load(&c, bad) == NN_ECONFIG);
    char want[600];
    snprintf(want, sizeof want, "%s:5: optimizer.lr = '-1' is out of range", bad);
    CHECK_MSG(strstr(nn_errmsg(), want) != NULL, "%s", nn_errmsg());
    CHECK(c.train.epochs == 5);
}

TEST(set_overrides)
{
    config c;
    config_defaults(&c);
    CHECK_OK(config_set(&c, "train.epochs=3"));
    CHECK_OK(config_set(&c, " optimizer.lr = 0.125 "));
    CHECK_OK(config_set(&c, "model.layers=10"));
    CHECK_OK(config_set(&c, "data.dir=/x=y:z"));
    CHECK_OK(config_set(&c, "optimizer.type=sgd"));
    CHECK(c.train.epochs == 3 && c.optim.lr == 0.125);
    CHECK(c.model.nlayers == 1 && c.model.layers[0].out == 10);
    CHECK(strcmp(c.data.dir, "/x=y:z") == 0 && strcmp(c.optim.type, "sgd") == 0);
    CHECK_OK(config_set(&c, "train.epochs=4"));   /* later overrides win */
    CHECK(c.train.epochs == 4);
    CHECK_OK(config_set(&c, "data.dir="));
    CHECK(c.data.dir[0] == '\0');
    check_round_trip(&c);

    static const char *const bad[][2] = {
        {"train.epochs=0", "--set train.epochs=0: train.epochs = '0' is out of range; "
                           "expected an integer in [1, 100000]"},
        {"train.epochs=", "is empty"},
        {"optimizer.lr=0.1x", "trailing 'x'"},
        {"trainepochs=3", "--set trainepochs=3: expected section.key=value"},
        {"train.epochs", "expected section.key=value"},
        {"optimiser.lr=1", "unknown section [optimiser]; sections are data, model"},
        {"train.epoch=1", "unknown key 'epoch' in [train]; keys are epochs, batch, seed"},
        {"model.layers=64 relx, 10", "item 1 '64 relx'"},
        {"data.dir=a\tb", "control character"},
        {"data.dir=/a ;b", "';' after a space"},
        {"schedule.type=linear", "one of constant, step, cosine"},
        {"train.snapshot_unit=hours", "one of epochs, steps"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config before = c;
        CHECK_MSG(config_set(&c, bad[i][0]) == NN_ECONFIG, "'%s' accepted", bad[i][0]);
        CHECK_MSG(strstr(nn_errmsg(), bad[i][1]) != NULL, "'%s' -> '%s' lacks '%s'", bad[i][0],
                  nn_errmsg(), bad[i][1]);
        CHECK(config_equal(&c, &before));
    }
}

static void check_layers_bad(const char *layers, const char *what)
{
    config c, before;
    char set[4096];
    config_defaults(&c);
    before = c;
    snprintf(set, sizeof set, "model.layers=%s", layers);
    CHECK_MSG(config_set(&c, set) == NN_ECONFIG, "'%s' accepted", layers);
    CHECK_MSG(strstr(nn_errmsg(), what) != NULL, "'%s' -> '%s' lacks '%s'", layers,
              nn_errmsg(), what);
    CHECK(config_equal(&c, &before));
}

TEST(layers)
{
    config c;
    config_defaults(&c);
    CHECK_OK(config_set(&c, "model.layers=10"));
    CHECK(c.model.nlayers == 1 && c.model.layers[0].out == 10 &&
          c.model.layers[0].act == ACT_LINEAR && c.model.layers[0].init == -1);
    CHECK_OK(config_set(&c, "model.layers=  64   tanh ,32,\t10  "));
    CHECK(c.model.nlayers == 3);
    CHECK(c.model.layers[0].out == 64 && c.model.layers[0].act == ACT_TANH);
    CHECK(c.model.layers[1].out == 32 && c.model.layers[1].act == ACT_RELU);
    CHECK(c.model.layers[2].out == 10 && c.model.layers[2].act == ACT_LINEAR);
    CHECK_OK(config_set(&c, "model.layers=64 gelu xavier, 32 he, 10 sigmoid torch"));
    CHECK(c.model.layers[0].act == ACT_GELU && c.model.layers[0].init == INIT_XAVIER);
    CHECK(c.model.layers[1].act == ACT_RELU && c.model.layers[1].init == INIT_HE);
    CHECK(c.model.layers[2].act == ACT_SIGMOID && c.model.layers[2].init == INIT_TORCH);
    check_round_trip(&c);
    char *text = config_format(&c);
    CHECK(text && strstr(text, "layers = 64 gelu xavier, 32 relu he, 10 sigmoid torch\n"));
    free(text);
    CHECK_OK(config_set(&c, "model.layers=8 linear, 2"));
    CHECK(c.model.layers[0].act == ACT_LINEAR && c.model.layers[1].act == ACT_LINEAR);
    check_round_trip(&c);

    char many[512] = "";
    for (int i = 0; i < NN_MAX_LAYERS; i++) strcat(many, i ? ", 5" : "5");
    char set[600];
    snprintf(set, sizeof set, "model.layers=%s", many);
    CHECK_OK(config_set(&c, set));
    CHECK(c.model.nlayers == NN_MAX_LAYERS);
    check_round_trip(&c);
    strcat(many, ", 5");
    check_layers_bad(many, "too many layers (at most 32)");

    check_layers_bad("64 relux, 10", "item 1 '64 relux': unknown activation or init 'relux'");
    check_layers_bad("64 relu, 10 he relu", "item 2 '10 he relu': expected 'WIDTH");
    check_layers_bad("64 relu relu, 10", "expected 'WIDTH");
    check_layers_bad("64 relu he xavier, 10", "expected 'WIDTH");
    check_layers_bad("64 relu he more, 10", "expected 'WIDTH");
    check_layers_bad("0 relu, 10", "item 1 '0 relu': width must be an integer in [1, ");
    check_layers_bad("-5, 10", "width must be");
    check_layers_bad("64, 2000000", "item 2 '2000000': width must be");
    check_layers_bad("64x, 10", "width must be");
    check_layers_bad("relu, 10", "width must be");
    check_layers_bad("64 relu,, 10", "item 2 '': empty layer item");
    check_layers_bad("64 relu,", "item 2 '': empty layer item");
    check_layers_bad("", "is empty");
}

TEST(write_atomic)
{
    config c, back;
    config_defaults(&c);
    CHECK_OK(config_set(&c, "optimizer.lr=0.1"));
    CHECK_OK(config_set(&c, "data.dir=/data/with space"));
    const char *path = test_path("written.ini");
    CHECK_OK(config_write(&c, path));
    CHECK_OK(config_write(&c, path));   /* replacing an existing file */
    config_defaults(&back);
    CHECK_OK(config_load(&back, path));
    CHECK(config_equal(&c, &back));
    DIR *d = opendir(test_tmpdir());
    CHECK(d != NULL);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            CHECK_MSG(strstr(e->d_name, ".tmp") == NULL, "temporary file %s left", e->d_name);
        closedir(d);
    }
    CHECK(config_write(&c, test_path("no-such-dir/x.ini")) == NN_EIO);
    CHECK(strstr(nn_errmsg(), "no-such-dir") != NULL);
}
