/* The 3-D surface picture: the camera's projection against a hand
 * computation, painter's order on a crafted grid, the lighting, the clip
 * and log heights, and a drawn picture's size, colours and left-out cells. */
#include <stdlib.h>
#include <string.h>

#include "../probes/render_3d.h"
#include "test.h"

TEST(render3d_camera_projects_as_computed_by_hand)
{
    render_camera c;
    double target[3] = {0.5, -0.25, 1}, sx, sy;
    CHECK_OK(render_camera_init(&c, target, -60, 30, 7.5, 400, 300, 120));
    /* The point looked at lands on the picture's centre, one distance away. */
    CHECK_NEAR(render_camera_project(&c, target, &sx, &sy), 7.5, 1e-12);
    CHECK_NEAR(sx, 400, 1e-9);
    CHECK_NEAR(sy, 300, 1e-9);
    /* Seen from +y at 45 degrees, from distance 2: the camera's right is -x,
     * so (1, 0, 0) is at depth 2, one unit (scale px) left of the centre. */
    double o[3] = {0, 0, 0}, p[3] = {1, 0, 0}, q[3] = {0, 0, 0.5};
    CHECK_OK(render_camera_init(&c, o, 90, 45, 2, 100, 50, 10));
    CHECK_NEAR(render_camera_project(&c, p, &sx, &sy), 2, 1e-12);
    CHECK_NEAR(sx, 90, 1e-9);
    CHECK_NEAR(sy, 50, 1e-9);
    /* Higher is up the picture (y grows downwards). */
    render_camera_project(&c, q, &sx, &sy);
    CHECK(sy < 50);
    CHECK(render_camera_init(&c, o, 0, 0.5, 2, 0, 0, 1) == NN_EINVAL);
    CHECK(render_camera_init(&c, o, 0, 90, 2, 0, 0, 1) == NN_EINVAL);
}

TEST(render3d_order_draws_far_cells_first)
{
    /* A flat 4 x 2 grid: three cells in a row along x. */
    double zw[8];
    for (int k = 0; k < 8; k++) zw[k] = 0.5;
    double target[3] = {0, 0, 0.5};
    render_camera c;
    size_t *ord, n;
    /* From +x the cell at the largest x is the nearest: it comes last. */
    CHECK_OK(render_camera_init(&c, target, 0, 30, 7.5, 0, 0, 1));
    CHECK_OK(render_3d_order(&c, zw, 4, 2, 1, 1, &ord, &n));
    CHECK(n == 3 && ord[0] == 0 && ord[1] == 1 && ord[2] == 2);
    free(ord);
    CHECK_OK(render_camera_init(&c, target, 180, 30, 7.5, 0, 0, 1));
    CHECK_OK(render_3d_order(&c, zw, 4, 2, 1, 1, &ord, &n));
    CHECK(n == 3 && ord[0] == 2 && ord[1] == 1 && ord[2] == 0);
    free(ord);
    /* Height counts: seen from above-ish, a raised cell is nearer. */
    double tall[8] = {0, 0, 3, 3, 0, 0, 3, 3};
    CHECK_OK(render_camera_init(&c, target, 90, 60, 7.5, 0, 0, 1));
    CHECK_OK(render_3d_order(&c, tall, 4, 2, 1, 1, &ord, &n));
    CHECK(n == 3 && ord[2] == 2);
    free(ord);
    /* A cell with a NaN corner is left out. */
    zw[1] = NAN;
    CHECK_OK(render_camera_init(&c, target, 0, 30, 7.5, 0, 0, 1));
    CHECK_OK(render_3d_order(&c, zw, 4, 2, 1, 1, &ord, &n));
    CHECK(n == 1 && ord[0] == 2);
    free(ord);
}

TEST(render3d_faces_towards_the_light_are_brighter)
{
    double target[3] = {0, 0, 0}, ctr[3] = {0, 0, 0};
    render_camera c;
    CHECK_OK(render_camera_init(&c, target, -60, 30, 7.5, 0, 0, 1));
    double l[3] = {0, 0, 2};
    double facing[3] = {0, 0, 1}, tilted[3] = {0, sin(0.3), cos(0.3)}, grazing[3] = {0, cos(0.1), sin(0.1)};
    double bf = render_3d_shade(&c, ctr, facing, l), bt = render_3d_shade(&c, ctr, tilted, l);
    double bg = render_3d_shade(&c, ctr, grazing, l);
    CHECK_NEAR(bf, 1, 1e-12);
    CHECK(bf > bt && bt > bg);
    /* Lambert: brightness - ambient goes as the cosine to the light. */
    double amb = render_3d_shade(&c, ctr, (double[3]){1, 0, 0}, l);
    CHECK(amb > 0.2 && amb < 0.6);
    CHECK_NEAR((bt - amb) / (bf - amb), cos(0.3), 1e-9);
    /* The underside of a face, seen by the camera, is lit as its own face. */
    double down[3] = {0, 0, -1};
    CHECK_NEAR(render_3d_shade(&c, ctr, down, l), bf, 1e-12);
}

TEST(render3d_heights_clip_and_log)
{
    double z[6] = {1, 2, 10, NAN, INFINITY, 4}, s[6];
    render_3d_opts o = {0};
    render_3d_info in;
    o.zmax = 5;
    render_3d_heights(z, 6, &o, s, &in);
    CHECK(s[0] == 1 && s[1] == 2 && s[2] == 5 && isnan(s[3]) && s[4] == 5 && s[5] == 4);
    CHECK(in.nclipped == 2 && in.nnan == 1 && in.zlo == 1 && in.zhi == 5);
    /* No clip: the top is the largest finite value, +inf drawn there. */
    o.zmax = 0;
    render_3d_heights(z, 6, &o, s, &in);
    CHECK(s[2] == 10 && s[4] == 10 && in.zhi == 10 && in.nclipped == 1);
    /* Log: log10 of the values, clipped above zmax, <= 0 at the smallest positive. */
    double w[5] = {-1, 0.01, 1, 100, 0}, t[5];
    o.log_z = 1;
    o.zmax = 10;
    render_3d_heights(w, 5, &o, t, &in);
    CHECK_NEAR(t[1], -2, 1e-12);
    CHECK_NEAR(t[2], 0, 1e-12);
    CHECK_NEAR(t[3], 1, 1e-12);
    CHECK_NEAR(t[0], -2, 1e-12);
    CHECK_NEAR(t[4], -2, 1e-12);
    CHECK(in.nclamped == 2 && in.nclipped == 1 && in.zlo == 0.01 && in.zhi == 10);
}

/* Pixels left of the colorbar that are near the colormap's low end (dark
 * purple) and high end (yellow) of viridis, even shaded. */
static void count_ends(const render_image *im, int x1, int *lo, int *hi, int *ink)
{
    *lo = *hi = *ink = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < x1; x++) {
            render_rgb p = render_image_get(im, x, y);
            *lo += p.b > p.g + 25 && p.r > p.g + 15 && p.r < 110;
            *hi += p.r > 150 && p.g > 130 && p.b < 90;
            *ink += p.r + p.g + p.b < 3 * 235;
        }
}

static void bowl(double *z, int n, double tilt)
{
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double x = -1 + 2.0 * i / (n - 1), y = -1 + 2.0 * j / (n - 1);
            z[j * n + i] = 0.2 + 2 * x * x + y * y + tilt * x;
        }
}

TEST(render3d_picture_has_the_size_and_colours_asked)
{
    enum { N = 21 };
    double z[N * N];
    bowl(z, N, 0.3);
    render_3d_opts o = {0};
    o.width = 640;
    o.height = 480;
    o.title = "bowl";
    render_mark m = {0, 0, RENDER_MARK_DIAMOND, "trained model (origin)", 0};
    o.marks = &m;
    o.nmarks = 1;
    render_image im;
    render_3d_info in;
    CHECK_OK(render_3d(&im, z, N, N, -1, 1, -1, 1, &o, &in));
    CHECK(im.w == 640 && im.h == 480);
    CHECK(in.nquads == (N - 1) * (N - 1));
    CHECK(in.cbar_x0 > 320 && in.cbar_x1 < 640);
    int lo, hi, ink;
    count_ends(&im, in.cbar_x0 - 4, &lo, &hi, &ink);
    CHECK_MSG(lo > 200 && hi > 20, "low-end pixels %d, high-end %d", lo, hi);
    CHECK_MSG(ink > 640 * 480 / 8, "only %d pixels drawn", ink);
    render_image_free(&im);

    /* A point not computed takes its four cells out; a view from behind
     * is another picture of the same surface. */
    z[10 * N + 10] = NAN;
    o.azim = 120;
    o.elev = 50;
    CHECK_OK(render_3d(&im, z, N, N, -1, 1, -1, 1, &o, &in));
    CHECK(in.nquads == (N - 1) * (N - 1) - 4 && in.nnan == 1 && strstr(in.note, "not computed"));
    render_image_free(&im);

    /* Nothing computed: a picture that says so, with no surface colours. */
    for (int k = 0; k < N * N; k++) z[k] = NAN;
    CHECK_OK(render_3d(&im, z, N, N, -1, 1, -1, 1, &o, &in));
    CHECK(in.nquads == 0);
    count_ends(&im, in.cbar_x0 - 4, &lo, &hi, &ink);
    CHECK(lo == 0 && hi == 0);
    render_image_free(&im);
    o.elev = 95;
    CHECK(render_3d(&im, z, N, N, -1, 1, -1, 1, &o, &in) == NN_EINVAL);
    CHECK(render_3d(&im, z, N, 1, -1, 1, -1, 1, NULL, NULL) == NN_EINVAL);
}

TEST(render3d_clipped_log_picture_says_so)
{
    enum { N = 15 };
    double z[N * N];
    bowl(z, N, 0);
    for (int k = 0; k < N * N; k++) z[k] = exp(3 * z[k]) * 1e-3;
    render_3d_opts o = {0};
    o.log_z = 1;
    o.zmax = 1;
    render_image im;
    render_3d_info in;
    CHECK_OK(render_3d(&im, z, N, N, 0, 2, 0, 1, &o, &in));
    CHECK(in.zhi == 1 && in.nclipped > 0 && strstr(in.note, "above 1 drawn at 1"));
    CHECK(in.hx == 1 && in.hy < 1); /* the box keeps the data's aspect */
    int lo, hi, ink;
    count_ends(&im, in.cbar_x0 - 4, &lo, &hi, &ink);
    CHECK(lo > 100 && hi > 20);
    render_image_free(&im);
}

TEST(render3d_draws_a_path_on_the_surface_and_the_floor)
{
    enum { N = 21 };
    double z[N * N], xy[2 * 9];
    bowl(z, N, 0);
    for (int i = 0; i < 9; i++) xy[2 * i] = -0.8 + 0.2 * i, xy[2 * i + 1] = 0.3;
    render_3d_opts o = {0};
    o.width = 500;
    o.height = 420;
    render_image a, b;
    render_3d_info in;
    CHECK_OK(render_3d(&a, z, N, N, -1, 1, -1, 1, &o, &in));
    render_path p = {xy, 9, "training path", RENDER_HEX(0xff0000)};
    o.paths = &p;
    o.npaths = 1;
    CHECK_OK(render_3d(&b, z, N, N, -1, 1, -1, 1, &o, &in));
    /* Red where the path is: on the floor and on the surface, two lines
     * apart on the picture (and in the legend below). */
    int red = 0, rows[2] = {0, 0};
    for (int y = 0; y < b.h; y++)
        for (int x = 0; x < in.cbar_x0; x++) {
            render_rgb q = render_image_get(&b, x, y), r = render_image_get(&a, x, y);
            int is = q.r > 200 && q.g < 60 && q.b < 60 && !(r.r > 200 && r.g < 60 && r.b < 60);
            red += is;
            if (is && y < in.cam.cy) rows[0]++;
            if (is && y > in.cam.cy) rows[1]++;
        }
    CHECK_MSG(red > 300 && rows[0] > 50 && rows[1] > 50, "red %d, above %d, below %d", red, rows[0], rows[1]);
    render_image_free(&a);
    render_image_free(&b);
}
