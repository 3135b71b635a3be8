/* The glyph sheet of saddle's font and the text rasterizer. The sheet is
 * ASCII art so a glyph can be fixed by eye: each band holds ten glyphs of
 * 5 columns x 9 rows ('#' = ink), rows 0..6 above the baseline. */
#include "font.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/status.h"

#define BAND_GLYPHS 10
#define BAND_STRIDE (BAND_GLYPHS * (FONT_W + 1) + 1)

/* clang-format off */
static const char *const sheet[] = {
    /* ' '   '!'   '"'   '#'   '$'   '%'   '&'   '''   '('   ')'  */
    "|     |  #  | # # | # # |  #  |##   | ##  |  #  |   # | #   |",
    "|     |  #  | # # | # # | ####|##  #|#  # |  #  |  #  |  #  |",
    "|     |  #  |     |#####|# #  |   # |# #  |     | #   |   # |",
    "|     |  #  |     | # # | ### |  #  | #   |     | #   |   # |",
    "|     |  #  |     |#####|  # #| #   |# # #|     | #   |   # |",
    "|     |     |     | # # |#### |#  ##|#  # |     | #   |   # |",
    "|     |  #  |     | # # |  #  |   ##| ## #|     |  #  |  #  |",
    "|     |     |     |     |     |     |     |     |   # | #   |",
    "|     |     |     |     |     |     |     |     |     |     |",
    /* '*'   '+'   ','   '-'   '.'   '/'   '0'   '1'   '2'   '3'  */
    "|     |     |     |     |     |    #| ### |  #  | ### | ### |",
    "|  #  |  #  |     |     |     |    #|#   #| ##  |#   #|#   #|",
    "|# # #|  #  |     |     |     |   # |#   #|# #  |    #|    #|",
    "| ### |#####|     |#### |     |  #  |#   #|  #  |   # |  ## |",
    "|# # #|  #  |     |     |     | #   |#   #|  #  |  #  |    #|",
    "|  #  |  #  | ##  |     | ##  |#    |#   #|  #  | #   |#   #|",
    "|     |     |  #  |     | ##  |#    | ### | ### |#####| ### |",
    "|     |     | #   |     |     |     |     |     |     |     |",
    "|     |     |     |     |     |     |     |     |     |     |",
    /* '4'   '5'   '6'   '7'   '8'   '9'   ':'   ';'   '<'   '='  */
    "|   # |#####|  ## |#####| ### | ### |     |     |   # |     |",
    "|  ## |#    | #   |    #|#   #|#   #| ##  | ##  |  #  |     |",
    "| # # |#### |#    |   # |#   #|#   #| ##  | ##  | #   |#####|",
    "|#  # |    #|#### |  #  | ### | ####|     |     |#    |     |",
    "|#####|    #|#   #|  #  |#   #|    #|     |     | #   |#####|",
    "|   # |#   #|#   #|  #  |#   #|   # | ##  | ##  |  #  |     |",
    "|   # | ### | ### |  #  | ### | ##  | ##  |  #  |   # |     |",
    "|     |     |     |     |     |     |     | #   |     |     |",
    "|     |     |     |     |     |     |     |     |     |     |",
    /* '>'   '?'   '@'   'A'   'B'   'C'   'D'   'E'   'F'   'G'  */
    "|#    | ### | ### | ### |#### | ### |#### |#####|#####| ### |",
    "| #   |#   #|#   #|#   #|#   #|#   #|#   #|#    |#    |#   #|",
    "|  #  |    #|# ###|#   #|#   #|#    |#   #|#    |#    |#    |",
    "|   # |   # |# # #|#####|#### |#    |#   #|#### |#### |# ###|",
    "|  #  |  #  |# ###|#   #|#   #|#    |#   #|#    |#    |#   #|",
    "| #   |     |#    |#   #|#   #|#   #|#   #|#    |#    |#   #|",
    "|#    |  #  | ####|#   #|#### | ### |#### |#####|#    | ####|",
    "|     |     |     |     |     |     |     |     |     |     |",
    "|     |     |     |     |     |     |     |     |     |     |",
    /* 'H'   'I'   'J'   'K'   'L'   'M'   'N'   'O'   'P'   'Q'  */
    "|#   #| ### |  ###|#   #|#    |#   #|#   #| ### |#### | ### |",
    "|#   #|  #  |   # |#  # |#    |## ##|#   #|#   #|#   #|#   #|",
    "|#   #|  #  |   # |# #  |#    |# # #|##  #|#   #|#   #|#   #|",
    "|#####|  #  |   # |##   |#    |# # #|# # #|#   #|#### |#   #|",
    "|#   #|  #  |   # |# #  |#    |#   #|#  ##|#   #|#    |# # #|",
    "|#   #|  #  |#  # |#  # |#    |#   #|#   #|#   #|#    |#  # |",
    "|#   #| ### | ##  |#   #|#####|#   #|#   #| ### |#    | ## #|",
    "|     |     |     |     |     |     |     |     |     |     |",
    "|     |     |     |     |     |     |     |     |     |     |",
    /* 'R'   'S'   'T'   'U'   'V'   'W'   'X'   'Y'   'Z'   '['  */
    "|#### | ####|#####|#   #|#   #|#   #|#   #|#   #|#####| ### |",
    "|#   #|#    |  #  |#   #|#   #|#   #|#   #|#   #|    #| #   |",
    "|#   #|#    |  #  |#   #|#   #|#   #| # # | # # |   # | #   |",
    "|#### | ### |  #  |#   #|#   #|# # #|  #  |  #  |  #  | #   |",
    "|# #  |    #|  #  |#   #|#   #|# # #| # # |  #  | #   | #   |",
    "|#  # |    #|  #  |#   #| # # |# # #|#   #|  #  |#    | #   |",
    "|#   #|#### |  #  | ### |  #  | # # |#   #|  #  |#####| #   |",
    "|     |     |     |     |     |     |     |     |     | ### |",
    "|     |     |     |     |     |     |     |     |     |     |",
    /* '\'   ']'   '^'   '_'   '`'   'a'   'b'   'c'   'd'   'e'  */
    "|#    | ### |  #  |     | #   |     |#    |     |    #|     |",
    "|#    |   # | # # |     |  #  |     |#    |     |    #|     |",
    "| #   |   # |#   #|     |     | ### |#### | ### | ####| ### |",
    "|  #  |   # |     |     |     |    #|#   #|#   #|#   #|#   #|",
    "|   # |   # |     |     |     | ####|#   #|#    |#   #|#####|",
    "|    #|   # |     |     |     |#   #|#   #|#   #|#   #|#    |",
    "|    #|   # |     |     |     | ####|#### | ### | ####| ### |",
    "|     | ### |     |#####|     |     |     |     |     |     |",
    "|     |     |     |     |     |     |     |     |     |     |",
    /* 'f'   'g'   'h'   'i'   'j'   'k'   'l'   'm'   'n'   'o'  */
    "|  ## |     |#    |  #  |   # |#    | #   |     |     |     |",
    "| #  #|     |#    |     |     |#    | #   |     |     |     |",
    "| #   | ####|# ## | ##  |  ## |#  # | #   |## # |# ## | ### |",
    "|###  |#   #|##  #|  #  |   # |# #  | #   |# # #|##  #|#   #|",
    "| #   |#   #|#   #|  #  |   # |##   | #   |# # #|#   #|#   #|",
    "| #   |#   #|#   #|  #  |   # |# #  | #   |#   #|#   #|#   #|",
    "| #   | ####|#   #| ### |   # |#  # |  ## |#   #|#   #| ### |",
    "|     |    #|     |     |#  # |     |     |     |     |     |",
    "|     | ### |     |     | ##  |     |     |     |     |     |",
    /* 'p'   'q'   'r'   's'   't'   'u'   'v'   'w'   'x'   'y'  */
    "|     |     |     |     | #   |     |     |     |     |     |",
    "|     |     |     |     | #   |     |     |     |     |     |",
    "|#### | ####|# ## | ####|#### |#   #|#   #|#   #|#   #|#   #|",
    "|#   #|#   #|##  #|#    | #   |#   #|#   #|#   #| # # |#   #|",
    "|#   #|#   #|#    | ### | #   |#   #|#   #|# # #|  #  |#   #|",
    "|#   #|#   #|#    |    #| #  #|#  ##| # # |# # #| # # |#   #|",
    "|#### | ####|#    |#### |  ## | ## #|  #  | # # |#   #| ####|",
    "|#    |    #|     |     |     |     |     |     |     |    #|",
    "|#    |    #|     |     |     |     |     |     |     | ### |",
    /* 'z'   '{'   '|'   '}'   '~'                                */
    "|     |  ## |  #  | ##  |     |     |     |     |     |     |",
    "|     | #   |  #  |   # |     |     |     |     |     |     |",
    "|#####| #   |  #  |   # | #   |     |     |     |     |     |",
    "|   # |#    |  #  |    #|# # #|     |     |     |     |     |",
    "|  #  | #   |  #  |   # |   # |     |     |     |     |     |",
    "| #   | #   |  #  |   # |     |     |     |     |     |     |",
    "|#####| #   |  #  |   # |     |     |     |     |     |     |",
    "|     |  ## |  #  | ##  |     |     |     |     |     |     |",
    "|     |     |     |     |     |     |     |     |     |     |",
    /* alpha beta  eps   eta  theta lambda mu  sigma  sq  times   */
    "|     | ##  |     |     | ### |#    |     |     | ##  |     |",
    "|     |#  # |     |     |#   #| #   |     |     |   # |#   #|",
    "| ## #|# #  | ####|# ## |#   #| #   |#   #| ####|  #  | # # |",
    "|#  # |#  # |#    |##  #|#####|  #  |#   #|#  # | ### |  #  |",
    "|#  # |#   #| ### |#   #|#   #| # # |#   #|#   #|     | # # |",
    "|#  # |#   #|#    |#   #|#   #|#   #|#  ##|#   #|     |#   #|",
    "| ## #|#### | ####|#   #| ### |#   #|### #| ### |     |     |",
    "|     |#    |     |    #|     |     |#    |     |     |     |",
    "|     |#    |     |    #|     |     |#    |     |     |     |",
    /* delta gamma Delta nabla  +-   dot  infty approx  <=    >=   */
    "| ### |     |  #  |#####|     |     |     |     |    #|#    |",
    "|#    |     |  #  |#   #|  #  |     |     | #   |  ## | ##  |",
    "| #   |#   #| # # |#   #|  #  |     |     |# # #|##   |   ##|",
    "| ### |#   #| # # | # # |#####|  #  | # # |   # |  ## | ##  |",
    "|#   #| # # |#   #| # # |  #  |     |# # #| #   |    #|#    |",
    "|#   #| # # |#   #|  #  |  #  |     | # # |# # #|     |     |",
    "| ### |  #  |#####|  #  |#####|     |     |   # |#####|#####|",
    "|     |  #  |     |     |     |     |     |     |     |     |",
    "|     |  #  |     |     |     |     |     |     |     |     |",
};
/* clang-format on */

/* Code points of the glyphs after ASCII, in sheet order; they start on
 * the band after '~'. */
#define EXTRA_BASE 100
static const uint32_t extra_cp[] = {
    0x3b1, 0x3b2, 0x3b5, 0x3b7, 0x3b8, 0x3bb, 0x3bc, 0x3c3, 0xb2, 0xd7,
    0x3b4, 0x3b3, 0x394, 0x2207, 0xb1, 0xb7, 0x221e, 0x2248, 0x2264, 0x2265,
};
#define EXTRA_GLYPHS (int)(sizeof extra_cp / sizeof extra_cp[0])

/* Sheet index of a code point, or -1. */
static int glyph_index(uint32_t cp)
{
    if (cp >= 32 && cp <= 126) return (int)cp - 32;
    for (int i = 0; i < EXTRA_GLYPHS; i++)
        if (extra_cp[i] == cp) return EXTRA_BASE + i;
    return -1;
}

static int glyph_ink(int g, int row, int col)
{
    const char *line = sheet[(g / BAND_GLYPHS) * FONT_H + row];
    return line[1 + (g % BAND_GLYPHS) * (FONT_W + 1) + col] == '#';
}

int font_glyph(uint32_t cp, uint8_t rows[FONT_H])
{
    int g = glyph_index(cp), found = g >= 0;
    if (!found) g = '?' - 32;
    for (int r = 0; r < FONT_H; r++) {
        rows[r] = 0;
        for (int c = 0; c < FONT_W; c++)
            if (glyph_ink(g, r, c)) rows[r] |= (uint8_t)(1u << (FONT_W - 1 - c));
    }
    return found;
}

/* Next code point of UTF-8 text; malformed bytes come back as '?'. */
static uint32_t utf8_next(const char **sp)
{
    const unsigned char *s = (const unsigned char *)*sp;
    uint32_t cp = s[0];
    int extra = 0;
    if (cp < 0x80) extra = 0;
    else if ((cp & 0xe0) == 0xc0) { cp &= 0x1f; extra = 1; }
    else if ((cp & 0xf0) == 0xe0) { cp &= 0x0f; extra = 2; }
    else if ((cp & 0xf8) == 0xf0) { cp &= 0x07; extra = 3; }
    else { *sp += 1; return '?'; }
    for (int i = 1; i <= extra; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *sp += i;
            return '?';
        }
        cp = cp << 6 | (s[i] & 0x3f);
    }
    *sp += 1 + extra;
    return cp;
}

/* Ink columns [*lo, *hi] of a glyph as it is spaced; digits keep the full
 * cell so tick labels align. */
static void glyph_span(int g, uint32_t cp, int *lo, int *hi)
{
    *lo = FONT_W;
    *hi = -1;
    if (cp >= '0' && cp <= '9') {
        *lo = 0;
        *hi = FONT_W - 1;
        return;
    }
    for (int r = 0; r < FONT_H; r++)
        for (int c = 0; c < FONT_W; c++)
            if (glyph_ink(g, r, c)) {
                if (c < *lo) *lo = c;
                if (c > *hi) *hi = c;
            }
    if (*hi < 0) { /* space: a fixed advance of four columns */
        *lo = 0;
        *hi = 2;
    }
}

static int glyph_of(uint32_t cp)
{
    int g = glyph_index(cp);
    return g >= 0 ? g : '?' - 32;
}

int font_text_width(const char *s, int scale)
{
    int w = 0;
    if (!s || !*s) return 0;
    while (*s) {
        uint32_t cp = utf8_next(&s);
        int lo, hi;
        glyph_span(glyph_of(cp), cp, &lo, &hi);
        w += hi - lo + 2; /* one column of space after each glyph */
    }
    return (w - 1) * scale;
}

int font_text_height(int scale) { return FONT_H * scale; }

/* Max-combines a round-capped pen stroke from a to b of radius r into
 * mask [mh][mw] (coverage at pixel centers, one pixel of soft edge). */
static void mask_capsule(float *mask, int mw, int mh, double ax, double ay, double bx,
                         double by, double r)
{
    int x0 = (int)floor(fmin(ax, bx) - r - 1), x1 = (int)ceil(fmax(ax, bx) + r + 1);
    int y0 = (int)floor(fmin(ay, by) - r - 1), y1 = (int)ceil(fmax(ay, by) + r + 1);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > mw) x1 = mw;
    if (y1 > mh) y1 = mh;
    double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            double px = x + 0.5 - ax, py = y + 0.5 - ay;
            double t = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
            if (t < 0) t = 0;
            if (t > 1) t = 1;
            double ex = px - t * dx, ey = py - t * dy;
            double cov = r + 0.5 - sqrt(ex * ex + ey * ey);
            if (cov <= 0) continue;
            if (cov > 1) cov = 1;
            float *m = &mask[(size_t)y * (size_t)mw + (size_t)x];
            if (*m < cov) *m = (float)cov;
        }
}

/* Renders one glyph into the mask at column ox (mask pixels). */
static void glyph_render(float *mask, int mw, int mh, int g, int ox, int scale)
{
    if (scale == 1) {
        for (int r = 0; r < FONT_H; r++)
            for (int c = 0; c < FONT_W; c++)
                if (glyph_ink(g, r, c) && ox + c >= 0 && ox + c < mw)
                    mask[(size_t)r * (size_t)mw + (size_t)(ox + c)] = 1.0f;
        return;
    }
    /* Larger: join ink pixel centers to their ink neighbours with a pen as
     * wide as a font pixel. Orthogonal runs come out exactly as the blocks
     * would; a diagonal joins only where no orthogonal path turns the same
     * corner, so corners stay square and slants become smooth lines. */
    double s = scale, rad = 0.5 * s;
#define INK(r, c) ((r) >= 0 && (r) < FONT_H && (c) >= 0 && (c) < FONT_W && glyph_ink(g, r, c))
    for (int r = 0; r < FONT_H; r++)
        for (int c = 0; c < FONT_W; c++) {
            if (!INK(r, c)) continue;
            double cx = ox + (c + 0.5) * s, cy = (r + 0.5) * s;
            mask_capsule(mask, mw, mh, cx, cy, cx, cy, rad);
            if (INK(r, c + 1)) mask_capsule(mask, mw, mh, cx, cy, cx + s, cy, rad);
            if (INK(r + 1, c)) mask_capsule(mask, mw, mh, cx, cy, cx, cy + s, rad);
            if (INK(r + 1, c + 1) && !INK(r, c + 1) && !INK(r + 1, c))
                mask_capsule(mask, mw, mh, cx, cy, cx + s, cy + s, rad);
            if (INK(r + 1, c - 1) && !INK(r, c - 1) && !INK(r + 1, c))
                mask_capsule(mask, mw, mh, cx, cy, cx - s, cy + s, rad);
        }
#undef INK
}

int font_draw(uint8_t *rgb, int w, int h, int x, int y, const char *s, int scale, int rot,
              const uint8_t color[3])
{
    if (scale < 1 || scale > 4) return nn_err(NN_EINVAL, "font: scale %d (1..4)", scale);
    if (rot != FONT_ROT_0 && rot != FONT_ROT_90)
        return nn_err(NN_EINVAL, "font: rotation %d (0 or 90)", rot);
    int mw = font_text_width(s, scale), mh = font_text_height(scale);
    if (mw <= 0) return NN_OK;
    float *mask = calloc((size_t)mw * (size_t)mh, sizeof *mask);
    if (!mask) return nn_err(NN_ENOMEM, "font: cannot allocate a %dx%d text mask", mw, mh);
    int ox = 0;
    while (*s) {
        uint32_t cp = utf8_next(&s);
        int g = glyph_of(cp), lo, hi;
        glyph_span(g, cp, &lo, &hi);
        glyph_render(mask, mw, mh, g, ox - lo * scale, scale);
        ox += (hi - lo + 2) * scale;
    }
    for (int my = 0; my < mh; my++)
        for (int mx = 0; mx < mw; mx++) {
            float a = mask[(size_t)my * (size_t)mw + (size_t)mx];
            if (a <= 0) continue;
            /* Turning counter-clockwise puts the start of the text at the
             * bottom and the tops of the letters on the left. */
            int px = rot == FONT_ROT_0 ? x + mx : x + my;
            int py = rot == FONT_ROT_0 ? y + my : y + (mw - 1 - mx);
            if (px < 0 || py < 0 || px >= w || py >= h) continue;
            uint8_t *p = rgb + ((size_t)py * (size_t)w + (size_t)px) * 3;
            for (int k = 0; k < 3; k++)
                p[k] = (uint8_t)lrintf(p[k] + a * ((float)color[k] - p[k]));
        }
    free(mask);
    return NN_OK;
}
