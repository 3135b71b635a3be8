/* Reading PNG files back (tests and `render` compare pictures): libpng
 * decodes any PNG into 8-bit RGB, which becomes a raster picture. */
#include "render_priv.h"

#include <cairo.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../datasets/status.h"

#define PNG_MAX_SIDE 16384

typedef struct {
    const uint8_t *buf;
    size_t len, pos;
} png_memsrc;

static void png_mem_read(png_structp png, png_bytep out, png_size_t n)
{
    png_memsrc *s = png_get_io_ptr(png);
    if (n > s->len - s->pos) png_error(png, "file is truncated");
    memcpy(out, s->buf + s->pos, n);
    s->pos += n;
}

/* libpng reports through these; the message is kept for nn_err. */
static void png_on_error(png_structp png, png_const_charp msg)
{
    char *why = png_get_error_ptr(png);
    snprintf(why, 200, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

int render_png_read(const char *path, render_image *im)
{
    char why[200] = "unknown libpng error";
    uint8_t *file = NULL;
    size_t len;
    memset(im, 0, sizeof *im);
    int rc = file_read_all(path, (size_t)1 << 30, &file, &len);
    if (rc) return rc;
    if (len < 8 || png_sig_cmp(file, 0, 8)) {
        free(file);
        return nn_err(NN_EFORMAT, "%s: not a PNG file", path);
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, why, png_on_error,
                                             png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, NULL, NULL);
        free(file);
        return nn_err(NN_ENOMEM, "%s: cannot set up libpng", path);
    }
    png_memsrc src = {file, len, 0};
    uint8_t *volatile px = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(file);
        free(px);
        free(rows);
        return nn_err(NN_EFORMAT, "%s: bad PNG: %s", path, why);
    }
    png_set_read_fn(png, &src, png_mem_read);
    png_set_user_limits(png, PNG_MAX_SIDE, PNG_MAX_SIDE);
    png_read_info(png, info);
    /* Whatever the file holds becomes 8-bit RGB. */
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) png_error(png, "unexpected row layout");
    px = malloc((size_t)w * h * 3);
    if (!px) png_error(png, "out of memory");
    rows = malloc(h * sizeof *rows);
    if (!rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = px + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(file);
    rc = render_image_init(im, (int)w, (int)h, RGB(0, 0, 0));
    if (!rc) {
        cairo_surface_flush(im->surface);
        for (png_uint_32 y = 0; y < h; y++)
            for (png_uint_32 x = 0; x < w; x++) {
                const uint8_t *p = px + ((size_t)y * w + x) * 3;
                uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
                memcpy(im->px + (size_t)y * (size_t)im->stride + (size_t)x * 4, &v, 4);
            }
        cairo_surface_mark_dirty(im->surface);
    }
    free(px);
    return rc;
}
