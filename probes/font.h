/* saddle's built-in bitmap font: 5x9 cells (7 rows above the baseline, 2 of
 * descender) for printable ASCII and a few Greek letters, drawn at integer
 * scales, horizontally or rotated 90 degrees for vertical axis titles. */
#ifndef SADDLE_FONT_H
#define SADDLE_FONT_H

#include <stdint.h>

#define FONT_W 5      /* glyph cell width, font pixels */
#define FONT_H 9      /* cell height: FONT_ASCENT above the baseline + descender */
#define FONT_ASCENT 7 /* cap height */

/* Text directions for font_draw. */
enum { FONT_ROT_0 = 0, FONT_ROT_90 = 90 /* reads bottom to top */ };

/* The bitmap of a code point: rows[FONT_H], bit (FONT_W-1-col) set when
 * column col is ink. Returns 1, or 0 (and '?''s bitmap) when the font has no
 * such glyph. Covers ASCII 32..126 and, for labels like "2/η" or "λ_max",
 * α β γ δ ε η θ λ μ σ Δ ∇ ² × ± · ∞ ≈ ≤ ≥. */
int font_glyph(uint32_t cp, uint8_t rows[FONT_H]);

/* Width in pixels of UTF-8 text at scale (1..4): glyphs are proportionally
 * spaced, but digits share one width so numbers line up in columns. */
int font_text_width(const char *s, int scale);
/* Height in pixels of one line of text: FONT_H * scale. */
int font_text_height(int scale);

/* Draws s into rgb [h][w][3] in color [3], clipped to the picture. The text
 * box is font_text_width x font_text_height; (x, y) is its top-left pixel
 * for FONT_ROT_0. For FONT_ROT_90 the box is turned counter-clockwise and
 * (x, y) is the top-left of the turned box (so it spans height columns and
 * width rows). Scale 1 draws crisp pixels; larger scales trace the strokes
 * with anti-aliased round pens so diagonals do not staircase. */
int font_draw(uint8_t *rgb, int w, int h, int x, int y, const char *s, int scale, int rot,
              const uint8_t color[3]);

#endif
