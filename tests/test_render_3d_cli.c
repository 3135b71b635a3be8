/* `--3d` and `--vtk` from the command line: pictures of a saved surface
 * that never count as other options of the result, and the 3-D picture
 * redrawn by `render` under a name of its own. */
#include <stdlib.h>
#include <string.h>

#include "../probes/render.h"
#include "test.h"

static const char *fixture_run(void)
{
    return test_run("vtk-run", "--set train.epochs=2");
}

TEST(surface_3d_and_vtk_keep_the_result_they_draw)
{
    const char *run = fixture_run(), *out;
    char dir[512], args[2048], json[600], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("s3d-out"));
    snprintf(args, sizeof args, "surface %s --grid 7x6 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(json, sizeof json, "%s/surface.json", dir);
    size_t len0, len1;
    uint8_t *before = test_read_file(json, &len0);
    /* The same surface with pictures asked for: kept, and drawn. */
    snprintf(args, sizeof args, "surface %s --grid 7x6 --3d --limit 50 --vtk --azim 20 --elev 40 "
             "--zmax 3 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "nothing recomputed"), "%s", out);
    uint8_t *after = test_read_file(json, &len1);
    CHECK(before && after && len0 == len1 && !memcmp(before, after, len0));
    free(before);
    free(after);
    snprintf(p, sizeof p, "%s/surface-2.json", dir);
    CHECK_MSG(!test_exists(p), "a picture option made a second result: %s", out);
    snprintf(p, sizeof p, "%s/surface.vtk", dir);
    CHECK(test_exists(p));
    snprintf(p, sizeof p, "%s/surface_3d.png", dir);
    render_image im;
    CHECK_OK(render_png_read(p, &im));
    CHECK(im.w == 800 && im.h == 680);
    render_image_free(&im);
    /* ...and the other way round: a result made with them is the one
     * asked for without. */
    snprintf(dir, sizeof dir, "%s", test_path("s3d-first"));
    snprintf(args, sizeof args, "surface %s --grid 7x6 --limit 50 --3d --vtk --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "surface %s --grid 7x6 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "nothing recomputed"), "%s", out);
    snprintf(p, sizeof p, "%s/surface-2.json", dir);
    CHECK(!test_exists(p));
}

TEST(render_3d_draws_a_saved_surface_beside_it)
{
    const char *run = fixture_run(), *out;
    char dir[512], args[2048], p[700];
    snprintf(dir, sizeof dir, "%s", test_path("r3d-out"));
    snprintf(args, sizeof args, "surface %s --grid 6x5 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "render %s/surface.json --3d --log --cmap magma", dir);
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "surface_3d.png"), "%s", out);
    snprintf(p, sizeof p, "%s/surface_3d.png", dir);
    render_image im;
    CHECK_OK(render_png_read(p, &im));
    render_image_free(&im);
    /* Drawn again: a name of its own, the first picture stays. */
    CHECK_MSG(test_saddle(args, &out) == 0 && strstr(out, "surface_3d-render.png"), "%s", out);
    /* A line has no 3-D picture; view options need --3d; one output at a time. */
    snprintf(args, sizeof args, "surface %s --grid 9 --limit 50 --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "%s", out);
    snprintf(args, sizeof args, "render %s/slice.json --3d", dir);
    CHECK_MSG(test_saddle(args, &out) == 1 && strstr(out, "2-D"), "%s", out);
    snprintf(args, sizeof args, "render %s/surface.json --azim 10", dir);
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "--3d"), "%s", out);
    snprintf(args, sizeof args, "render %s/surface.json --3d --vtk", dir);
    CHECK(test_saddle(args, &out) == 2);
    snprintf(args, sizeof args, "render %s/surface.json --3d --elev 95", dir);
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "1..89"), "%s", out);
    snprintf(args, sizeof args, "surface %s --grid 9 --3d --out %s", run, dir);
    CHECK_MSG(test_saddle(args, &out) == 2 && strstr(out, "2-D grid"), "%s", out);
}
