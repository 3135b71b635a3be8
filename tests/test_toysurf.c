/* The 2-D test surfaces: gradients and Hessians against central differences,
 * the listed critical points are critical and of the listed kind, the name
 * lookup, and `saddle toy` writing its picture and sidecar. */
#include <stdlib.h>
#include <sys/wait.h>

#include "../datasets/fileio.h"
#include "../probes/render.h"
#include "../probes/toysurf.h"
#include "test.h"

/* Points spread over the box as fractions of its sides. */
static const double FRAC[][2] = {{0.2, 0.3}, {0.7, 0.6}, {0.5, 0.9}, {0.9, 0.15}, {0.37, 0.52}};

TEST(toysurf_gradient_and_hessian_match_differences)
{
    for (int k = 0; toy_surfaces[k]; k++) {
        const toy_surface *s = toy_surfaces[k];
        objective o;
        toy_objective(s, &o);
        CHECK(o.n == 2 && o.nblocks == 0 && o.hvp && o.grad && o.value);
        double gmax = 0;
        for (size_t p = 0; p < sizeof FRAC / sizeof FRAC[0]; p++) {
            double x = s->x0 + FRAC[p][0] * (s->x1 - s->x0);
            double y = s->y0 + FRAC[p][1] * (s->y1 - s->y0);
            double g[2], h[3], gp[2], gm[2];
            double f = s->f(x, y, g, h);
            const double e = 1e-5;
            double fdx = (s->f(x + e, y, NULL, NULL) - s->f(x - e, y, NULL, NULL)) / (2 * e);
            double fdy = (s->f(x, y + e, NULL, NULL) - s->f(x, y - e, NULL, NULL)) / (2 * e);
            double scale = 1 + fabs(f) + fabs(g[0]) + fabs(g[1]);
            CHECK_NEAR(g[0], fdx, 1e-6 * scale);
            CHECK_NEAR(g[1], fdy, 1e-6 * scale);
            /* Hessian columns from differences of the gradient. */
            s->f(x + e, y, gp, NULL);
            s->f(x - e, y, gm, NULL);
            double hs = 1 + fabs(h[0]) + fabs(h[1]) + fabs(h[2]);
            CHECK_NEAR(h[0], (gp[0] - gm[0]) / (2 * e), 1e-6 * hs);
            CHECK_NEAR(h[1], (gp[1] - gm[1]) / (2 * e), 1e-6 * hs);
            s->f(x, y + e, gp, NULL);
            s->f(x, y - e, gm, NULL);
            CHECK_NEAR(h[1], (gp[0] - gm[0]) / (2 * e), 1e-6 * hs);
            CHECK_NEAR(h[2], (gp[1] - gm[1]) / (2 * e), 1e-6 * hs);
            /* The objective table (float in and out) agrees with the closed
             * form: hvp with unit vectors gives the Hessian's columns. */
            float th[2] = {(float)x, (float)y}, gf[2], hv[2];
            float e0[2] = {1, 0}, e1[2] = {0, 1};
            double xf = th[0], yf = th[1], gd[2], hd[3];
            double fd = s->f(xf, yf, gd, hd);
            CHECK_NEAR(o.value(o.ctx, th, NULL), fd, 1e-12 * (1 + fabs(fd)));
            CHECK_NEAR(o.grad(o.ctx, th, gf), fd, 1e-12 * (1 + fabs(fd)));
            CHECK_NEAR(gf[0], gd[0], 1e-6 * scale);
            CHECK_NEAR(gf[1], gd[1], 1e-6 * scale);
            o.hvp(o.ctx, th, e0, hv);
            CHECK_NEAR(hv[0], hd[0], 1e-6 * hs);
            CHECK_NEAR(hv[1], hd[1], 1e-6 * hs);
            o.hvp(o.ctx, th, e1, hv);
            CHECK_NEAR(hv[0], hd[1], 1e-6 * hs);
            CHECK_NEAR(hv[1], hd[2], 1e-6 * hs);
            gmax = fmax(gmax, fabs(g[0]) + fabs(g[1]));
        }
        /* Not vacuous: the gradients compared were not all zero. */
        CHECK_MSG(gmax > 1e-3, "%s: all test gradients ~0", s->name);
    }
}

TEST(toysurf_critical_points_are_critical_and_classified)
{
    for (int k = 0; toy_surfaces[k]; k++) {
        const toy_surface *s = toy_surfaces[k];
        CHECK_MSG(s->ncrit >= 1 && s->ncrit <= TOY_MAX_CRIT, "%s", s->name);
        int nmin = 0;
        for (int i = 0; i < s->ncrit; i++) {
            const toy_crit *c = &s->crit[i];
            double g[2], h[3];
            double f = s->f(c->x, c->y, g, h);
            CHECK_MSG(hypot(g[0], g[1]) < 1e-8, "%s point %d (%g, %g): |g| = %g", s->name, i,
                      c->x, c->y, hypot(g[0], g[1]));
            CHECK_NEAR(f, c->f, 1e-8 * (1 + fabs(f)));
            CHECK_MSG(c->x >= s->x0 && c->x <= s->x1 && c->y >= s->y0 && c->y <= s->y1,
                      "%s point %d outside the box", s->name, i);
            /* Eigenvalues of the symmetric 2x2 in closed form. */
            double m = 0.5 * (h[0] + h[2]), d = hypot(0.5 * (h[0] - h[2]), h[1]);
            double l1 = m - d, l2 = m + d;
            if (c->index < 0) {
                /* Degenerate: Hessian zero, and f takes both signs around
                 * the point, so it is a saddle only by higher order. */
                CHECK(fabs(l1) < 1e-12 && fabs(l2) < 1e-12);
                CHECK(c->kind == TOY_SADDLE);
                double r = 1e-2, lo = INFINITY, hi = -INFINITY;
                for (int a = 0; a < 12; a++) {
                    double v = s->f(c->x + r * cos(a * 0.5236), c->y + r * sin(a * 0.5236), NULL,
                                    NULL) - f;
                    lo = fmin(lo, v);
                    hi = fmax(hi, v);
                }
                CHECK(lo < 0 && hi > 0);
                continue;
            }
            int neg = (l1 < 0) + (l2 < 0);
            CHECK_MSG(fabs(l1) > 1e-6 && fabs(l2) > 1e-6, "%s point %d is degenerate", s->name, i);
            CHECK_MSG(neg == c->index, "%s point %d: eigenvalues %g, %g but index %d", s->name,
                      i, l1, l2, c->index);
            int kind = neg == 0 ? TOY_MIN : neg == 2 ? TOY_MAX : TOY_SADDLE;
            CHECK_MSG(kind == c->kind, "%s point %d: %s listed as %s", s->name, i,
                      toy_kind_name(kind), toy_kind_name(c->kind));
            nmin += kind == TOY_MIN;
        }
        /* Every surface but the monkey saddle has a minimum in its box. */
        CHECK_MSG(nmin > 0 || !strcmp(s->name, "monkey-saddle"), "%s has no minimum", s->name);
    }
    /* Known counts: six-hump camel 6 minima, 6 saddles, 2 maxima + origin. */
    const toy_surface *c;
    CHECK_OK(toy_find("six-hump-camel", &c));
    CHECK(c && c->ncrit == 15);
    CHECK_NEAR(toy_fmin(c), -1.0316284535, 1e-9);
}

TEST(toysurf_lookup_and_nearest)
{
    const toy_surface *s;
    CHECK_OK(toy_find("himmelblau", &s));
    CHECK(s && !strcmp(s->name, "himmelblau"));
    double d;
    int i = toy_nearest(s, 2.9, 2.1, &d);
    CHECK(i >= 0 && s->crit[i].x == 3 && s->crit[i].kind == TOY_MIN);
    CHECK(d < 0.15);
    CHECK_ERR(toy_find("camel", &s), NN_EINVAL, "six-hump-camel");
    CHECK(s == NULL);
    CHECK(test_errmsg_has("plateau") && test_errmsg_has("'camel'"));
}

TEST(toysurf_cli_writes_png_and_json)
{
    char args[2048], dir[512];
    const char *out;
    size_t len;
    snprintf(dir, sizeof dir, "%stoy", test_tmpdir());
    snprintf(args, sizeof args,
             "toy --surface six-hump-camel --opt sgd,adam --starts 3 --steps 50 --seed 2 --out %s", dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "saddle toy failed: %s", out);
    char path[600];
    snprintf(path, sizeof path, "%s/six-hump-camel.png", dir);
    render_image im = {0};
    CHECK_OK(render_png_read(path, &im));
    CHECK(im.w > 100 && im.h > 100);
    render_image_free(&im);
    snprintf(path, sizeof path, "%s/six-hump-camel.json", dir);
    uint8_t *js = test_read_file(path, &len);
    CHECK_MSG(js != NULL, "no %s", path);
    if (js) {
        CHECK(strstr((char *)js, "\"surface\"") && strstr((char *)js, "\"nearest\""));
        CHECK(strstr((char *)js, "\"adam\"") && strstr((char *)js, "\"sgd\""));
        free(js);
    }
}
