/* The study report as something to send: report.html needs nothing beside
 * it (every picture inside it, no fetch of anything), opens with its
 * provenance, hides the headless check's own line from readers, leaves out
 * a column no run has a value for and gives each column one number format.
 * Also the check on the headless screenshot that `make test-report` takes
 * (SADDLE_REPORT_SCREENSHOT names it): the page drew something. */
#include <cjson/cJSON.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "test.h"

/* What a screenshot shows: the share of pixels that are not white, the
 * share that are coloured (a picture, not text), distinct colours. */
typedef struct shot_stats {
    double nonwhite, colored;
    long colors;
} shot_stats;

static int shot_read(const char *path, shot_stats *st)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) return -1;
    im.format = PNG_FORMAT_RGB;
    size_t n = (size_t)im.width * im.height;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(im));
    uint8_t *seen = calloc(1 << 21, 1);   /* a bit per 24-bit colour */
    if (!px || !seen || !png_image_finish_read(&im, NULL, px, 0, NULL)) {
        png_image_free(&im);
        free(px);
        free(seen);
        return -1;
    }
    size_t nw = 0, col = 0;
    st->colors = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = px + 3 * i;
        uint8_t lo = p[0] < p[1] ? p[0] : p[1], hi = p[0] > p[1] ? p[0] : p[1];
        lo = p[2] < lo ? p[2] : lo, hi = p[2] > hi ? p[2] : hi;
        nw += lo < 240;
        col += hi - lo >= 48;
        uint32_t c = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
        if (!(seen[c >> 3] & (1u << (c & 7)))) seen[c >> 3] |= (uint8_t)(1u << (c & 7)), st->colors++;
    }
    st->nonwhite = (double)nw / (double)n;
    st->colored = (double)col / (double)n;
    free(px);
    free(seen);
    return 0;
}

/* A page with its pictures drawn: some ink, some colour, many colours. */
static int shot_has_content(const shot_stats *st)
{
    return st->nonwhite >= 0.02 && st->colored >= 0.005 && st->colors >= 64;
}

static int shot_write(const char *path, const uint8_t *rgb, int w, int h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = (png_uint_32)w;
    im.height = (png_uint_32)h;
    im.format = PNG_FORMAT_RGB;
    return png_image_write_to_file(&im, path, 0, rgb, 0, NULL) ? 0 : -1;
}

/* Without SADDLE_REPORT_SCREENSHOT the check is tried on made-up pages: a
 * white one and one of grey text alone are blank, one with a coloured
 * picture is not. With it, the screenshot must show content. */
TEST(report_screenshot_check)
{
    const char *env = getenv("SADDLE_REPORT_SCREENSHOT");
    shot_stats st = {0, 0, 0};
    if (env && *env) {
        CHECK_MSG(shot_read(env, &st) == 0, "%s: not a PNG", env);
        fprintf(stderr, "screenshot %s: %.1f%% ink, %.2f%% colour, %ld colours\n", env, 100 * st.nonwhite,
                100 * st.colored, st.colors);
        CHECK_MSG(shot_has_content(&st), "%s looks blank", env);
        return;
    }
    enum { W = 200, H = 300 };
    static uint8_t px[H][W][3];
    const char *f = test_path("shot.png");
    memset(px, 255, sizeof px);
    CHECK(shot_write(f, &px[0][0][0], W, H) == 0 && shot_read(f, &st) == 0);
    CHECK_MSG(!shot_has_content(&st) && st.colors == 1, "a white page passes: %ld colours", st.colors);
    /* Grey "text": every other row of short strokes in 200 shades. */
    for (int y = 0; y < H; y += 2)
        for (int x = 0; x < W; x++)
            if ((x / 3 + y) % 4 == 0) memset(px[y][x], (x * 7 + y) % 200, 3);
    CHECK(shot_write(f, &px[0][0][0], W, H) == 0 && shot_read(f, &st) == 0);
    CHECK_MSG(st.nonwhite > 0.05 && st.colors >= 64 && !shot_has_content(&st),
              "grey text alone passes (%.3f ink, %.3f colour, %ld colours)", st.nonwhite, st.colored, st.colors);
    /* Then a picture: a 60x60 colour ramp. */
    for (int y = 100; y < 160; y++)
        for (int x = 50; x < 110; x++)
            px[y][x][0] = (uint8_t)(4 * (x - 50)), px[y][x][1] = (uint8_t)(4 * (y - 100)), px[y][x][2] = 40;
    CHECK(shot_write(f, &px[0][0][0], W, H) == 0 && shot_read(f, &st) == 0);
    CHECK_MSG(shot_has_content(&st), "a page with a picture is blank (%.3f ink, %.3f colour, %ld colours)",
              st.nonwhite, st.colored, st.colors);
}

/* Rewrites a run's probes/hessian.json through fn. */
static void edit_hessian(const char *run, void (*fn)(cJSON *j, double v), double v)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/probes/hessian.json", run);
    size_t len;
    char *t = (char *)test_read_file(p, &len);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    free(t);
    CHECK(j != NULL);
    if (!j) return;
    fn(j, v);
    char *out = cJSON_Print(j);
    CHECK(out && test_write_file(p, out, strlen(out)) == 0);
    free(out);
    cJSON_Delete(j);
}

static void drop_trace(cJSON *j, double v)
{
    (void)v;
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "trace") != NULL);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "trace");
}

static void put_lmax(cJSON *j, double v)
{
    cJSON *top = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "lanczos"), "top");
    CHECK(cJSON_GetArraySize(top) >= 1);
    cJSON_SetNumberValue(cJSON_GetArrayItem(top, 0), v);
}

/* The cells of the column headed `col` in the first Markdown table after
 * `section`, as [rows][64]; returns the row count. */
static int md_column(const char *md, const char *section, const char *col, char cells[][64], int max)
{
    const char *s = strstr(md, section);
    const char *head = s ? strstr(s, "\n| ") : NULL;
    if (!head) return 0;
    head++;
    const char *eol = strchr(head, '\n'), *at = strstr(head, col);
    if (!eol || !at || at > eol) return 0;
    int k = 0;
    for (const char *p = head; p < at; p++) k += *p == '|';
    int n = 0;
    const char *row = strchr(eol + 1, '\n');   /* past the | --- | line */
    while (row && row[1] == '|' && n < max) {
        row++;
        const char *c = row;
        for (int i = 1; i < k && c; i++) c = strchr(c + 1, '|');
        const char *e = c ? strchr(c + 1, '|') : NULL;
        if (!e) break;
        snprintf(cells[n], 64, "%.*s", (int)(e - c - 1), c + 1);
        n++;
        row = strchr(row, '\n');
    }
    return n;
}

/* The shape of a number as printed: 'e' and digits after the point for
 * scientific notation, else the digits after the point. */
static int num_shape(const char *cell)
{
    const char *p = cell;
    while (*p == ' ' || *p == '-') p++;
    const char *dot = strchr(p, '.');
    const char *end = p + strspn(p, "0123456789.e+-");
    int dec = dot && dot < end ? (int)(strspn(dot + 1, "0123456789")) : 0;
    const char *e = memchr(p, 'e', (size_t)(end - p));
    return e ? 100 + dec : dec;
}

TEST(report_html_self_contained_with_provenance)
{
    char dir[512], run[2][600], args[4096];
    const char *out;
    snprintf(dir, sizeof dir, "%sreport-send", test_tmpdir());
    for (int k = 0; k < 2; k++) {
        snprintf(run[k], sizeof run[k], "%s/sb-s%d", dir, k + 1);
        snprintf(args, sizeof args,
                 "train configs/study/tiny/sb.ini --out %s --set train.seed=%d --set train.threads=1", run[k],
                 k + 1);
        CHECK_MSG(test_saddle(args, &out) == 0, "train: %s", out);
    }
    snprintf(args, sizeof args, "compare %s %s --out %s/cmp --limit 200", run[0], run[1], dir);
    CHECK_MSG(test_saddle(args, &out) == 0, "compare: %s", out);
    char p[2048];
    size_t len;
    snprintf(p, sizeof p, "%s/cmp/report.html", dir);
    char *html = (char *)test_read_file(p, &len);
    CHECK(html != NULL);
    if (!html) return;

    /* Nothing outside the page: every src is a data: URI, and there is no
     * link, stylesheet, import or address to fetch. */
    int nimg = 0, nsrc = 0;
    for (const char *s = html; (s = strstr(s, "<img ")); s++) nimg++;
    for (const char *s = html; (s = strstr(s, "src=")); s++) {
        nsrc++;
        CHECK_MSG(!strncmp(s, "src=\"data:image/png;base64,", 27), "a src that is not carried inside: %.60s", s);
    }
    CHECK_MSG(nimg >= 4 && nsrc == nimg, "%d images, %d src", nimg, nsrc);
    /* The rest of the page, the pictures' base64 taken out ('/' is one of its letters). */
    char *rest = malloc(len + 1);
    CHECK(rest != NULL);
    if (!rest) return;
    size_t nr = 0;
    for (const char *s = html; *s;) {
        if (!strncmp(s, ";base64,", 8)) s += strcspn(s, "\"");
        else rest[nr++] = *s++;
    }
    rest[nr] = 0;
    static const char *const outside[] = {"href=", "url(", "@import", "<link", "http:", "https:", "//",
                                          "<iframe", "<object", "<embed", "srcset"};
    for (size_t i = 0; i < sizeof outside / sizeof *outside; i++)
        CHECK_MSG(!strstr(rest, outside[i]), "report.html has '%s': %.80s", outside[i], strstr(rest, outside[i]));
    free(rest);
    /* The check's own line is for the headless browser, not for readers. */
    CHECK(strstr(html, "<div id=\"imgcheck\" hidden "));
    CHECK(!strstr(html, ">images loaded"));

    /* Provenance: what, when, which build, which command, which machine. */
    CHECK(strstr(html, "<title>Study: compare (saddle report)</title>"));
    const char *made = strstr(html, "<dt>Made</dt><dd>");
    CHECK_MSG(made && made[17] == '2' && made[21] == '-' && strstr(made, " UTC</dd>"), "no date");
    /* The build's version, as `saddle --version` prints it. */
    const char *vout;
    CHECK(test_saddle("--version", &vout) == 0);
    char ver[256] = "", vwant[300];
    sscanf(vout, "saddle %255s", ver);
    snprintf(vwant, sizeof vwant, "<dt>saddle</dt><dd>%s</dd>", ver);
    CHECK_MSG(ver[0] && strstr(html, vwant), "no version %s", vwant);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "<dt>Command</dt><dd><code>saddle compare %s %s --out %s/cmp --limit 200</code>",
             run[0], run[1], dir);
    CHECK_MSG(strstr(html, cmd), "no command line %s", cmd);
    CHECK(strstr(html, " cores; BLAS kernels: "));
    /* Each run's config.ini by its crc32, in that run's row. */
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/config.ini", run[k]);
        uint8_t *ini = test_read_file(p, &len);
        CHECK(ini != NULL);
        char want[1400];
        snprintf(want, sizeof want, "<td class=\"t\">%s</td><td class=\"t\">%08lx</td>", run[k],
                 crc32(0L, ini, (uInt)len));
        CHECK_MSG(strstr(html, want), "no row with %s", want);
        free(ini);
    }
    CHECK(strstr(html, "trace (Hutchinson)"));
    free(html);

    /* No trace in any sidecar: the column goes; values 12.5 and 0.1234:
     * one number format for both. */
    for (int k = 0; k < 2; k++) edit_hessian(run[k], drop_trace, 0);
    edit_hessian(run[0], put_lmax, 12.5);
    edit_hessian(run[1], put_lmax, 0.1234);
    CHECK_MSG(test_saddle(args, &out) == 0, "compare again: %s", out);
    CHECK_MSG(!strstr(out, "== saddle hessian"), "the edited probes were redone: %s", out);
    snprintf(p, sizeof p, "%s/cmp/report.html", dir);
    html = (char *)test_read_file(p, &len);
    snprintf(p, sizeof p, "%s/cmp/report.md", dir);
    char *md = (char *)test_read_file(p, &len);
    CHECK(html && md);
    if (html && md) {
        CHECK_MSG(!strstr(html, "trace (Hutchinson)") && !strstr(md, "trace (Hutchinson)"),
                  "an empty column is still there");
        CHECK(strstr(md, "| lambda_max |"));
        char cells[8][64];
        int n = md_column(md, "## Per seed", "lambda_max", cells, 8);
        CHECK_MSG(n == 2, "per-seed lambda_max: %d cells", n);
        if (n == 2) {
            CHECK_MSG(strtod(cells[0], NULL) == 12.5 && fabs(strtod(cells[1], NULL) - 0.1234) < 1e-9,
                      "cells '%s' '%s'", cells[0], cells[1]);
            CHECK_MSG(num_shape(cells[0]) == num_shape(cells[1]), "two formats in a column: '%s' and '%s'",
                      cells[0], cells[1]);
        }
        /* Every column of the per-seed table has one shape throughout. */
        static const char *const cols[] = {"train loss", "train acc", "test loss", "test acc", "lambda_max"};
        for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
            n = md_column(md, "## Per seed", cols[c], cells, 8);
            CHECK_MSG(n == 2, "%s: %d cells", cols[c], n);
            for (int r = 1; r < n; r++)
                CHECK_MSG(num_shape(cells[r]) == num_shape(cells[0]), "%s: '%s' and '%s'", cols[c], cells[0],
                          cells[r]);
        }
        /* The mean cell of the run table: the same format, sd included. */
        n = md_column(md, "## At matched epochs", "lambda_max", cells, 8);
        CHECK_MSG(n == 1 && strstr(cells[0], "6.3117 ± 8.7516"), "mean cell '%s'", n ? cells[0] : "");
    }
    free(html);
    free(md);
}
