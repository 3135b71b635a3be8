/* Colormaps and the qualitative palette. Each perceptual map is 33 anchor
 * colors at t = k/32, interpolated linearly; the anchors were measured from
 * the published maps so that interpolation stays within 2 levels of them
 * (6 for cividis, whose original is itself slightly noisy). */
#include "render_priv.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "../datasets/status.h"

#define CMAP_ANCHORS 33

static const uint32_t cmap_anchor[RENDER_CMAP_GRAY][CMAP_ANCHORS] = {
    [RENDER_CMAP_VIRIDIS] = {
        0x440154, 0x470d60, 0x48186a, 0x482374, 0x472d7b, 0x453681, 0x424086, 0x3f4989,
        0x3b528b, 0x375a8d, 0x33638d, 0x2f6a8e, 0x2c728e, 0x297a8e, 0x26818e, 0x23898e,
        0x21908c, 0x1f988b, 0x1f9f88, 0x21a685, 0x28ae80, 0x31b57b, 0x3ebc74, 0x4cc26c,
        0x5dc963, 0x6ece58, 0x82d34c, 0x96d83f, 0xabdc32, 0xc0df24, 0xd5e21a, 0xeae51a,
        0xfde725},
    [RENDER_CMAP_MAGMA] = {
        0x000004, 0x030311, 0x0a0822, 0x130d33, 0x1d1146, 0x28115a, 0x36106a, 0x430f76,
        0x50127c, 0x5d177f, 0x691c81, 0x762181, 0x822681, 0x8f2a81, 0x9c2e7f, 0xa9327d,
        0xb63779, 0xc33b75, 0xcf4170, 0xdb486a, 0xe65163, 0xee5c5e, 0xf5695c, 0xf9785d,
        0xfb8761, 0xfd9668, 0xfea571, 0xfeb47b, 0xfec387, 0xfed194, 0xfde0a2, 0xfceeb0,
        0xfcfdbf},
    [RENDER_CMAP_INFERNO] = {
        0x000004, 0x040312, 0x0b0724, 0x150b37, 0x210c4a, 0x2e0a5a, 0x3c0965, 0x4a0c6b,
        0x57106d, 0x63146e, 0x70196e, 0x7d1e6d, 0x89226a, 0x962766, 0xa32b61, 0xaf315c,
        0xbb3755, 0xc63e4d, 0xd14644, 0xdb4f3b, 0xe35932, 0xeb6528, 0xf1711e, 0xf67f14,
        0xf98d0a, 0xfb9c06, 0xfcab0f, 0xfbba1f, 0xf9ca32, 0xf5d949, 0xf2e865, 0xf3f586,
        0xfcffa4},
    [RENDER_CMAP_PLASMA] = {
        0x0d0887, 0x220690, 0x310596, 0x3f049c, 0x4c02a1, 0x5901a5, 0x6600a7, 0x7201a8,
        0x7e03a8, 0x8909a6, 0x9511a2, 0x9f1a9c, 0xa92396, 0xb22c8e, 0xbb3587, 0xc33e80,
        0xcb4778, 0xd25071, 0xd9596a, 0xe06263, 0xe66c5c, 0xeb7555, 0xf07f4f, 0xf48a48,
        0xf89441, 0xfb9f3a, 0xfdab33, 0xfeb72d, 0xfdc328, 0xfcd025, 0xf9dd25, 0xf5eb27,
        0xf0f921},
    [RENDER_CMAP_CIVIDIS] = {
        0x00224e, 0x00285b, 0x002e6a, 0x043371, 0x1a386f, 0x273e6e, 0x32436d, 0x3b496c,
        0x434e6c, 0x4b546c, 0x52596d, 0x5a5f6e, 0x61656f, 0x686a71, 0x6f7073, 0x757676,
        0x7c7b78, 0x848179, 0x8b8778, 0x938d78, 0x9b9376, 0xa39a75, 0xaba072, 0xb3a670,
        0xbbad6c, 0xc3b469, 0xccba64, 0xd4c15f, 0xddc958, 0xe6d051, 0xefd748, 0xf8df3c,
        0xfee838},
};

static const char *const cmap_names[RENDER_CMAP_COUNT] = {
    "viridis", "magma", "inferno", "plasma", "cividis", "gray",
};

render_rgb render_cmap(int cmap, double t)
{
    if (!(t > 0)) t = 0; /* also NaN */
    if (t > 1) t = 1;
    if (cmap < 0 || cmap >= RENDER_CMAP_COUNT) cmap = RENDER_CMAP_VIRIDIS;
    if (cmap == RENDER_CMAP_GRAY) {
        uint8_t g = (uint8_t)lrint(255 * t);
        return RGB(g, g, g);
    }
    double u = t * (CMAP_ANCHORS - 1);
    int k = (int)u;
    if (k >= CMAP_ANCHORS - 1) k = CMAP_ANCHORS - 2;
    double f = u - k;
    render_rgb a = render_rgb_hex(cmap_anchor[cmap][k]);
    render_rgb b = render_rgb_hex(cmap_anchor[cmap][k + 1]);
    return RGB((uint8_t)lrint(a.r + f * (b.r - a.r)), (uint8_t)lrint(a.g + f * (b.g - a.g)),
               (uint8_t)lrint(a.b + f * (b.b - a.b)));
}

const char *render_cmap_name(int cmap)
{
    return cmap >= 0 && cmap < RENDER_CMAP_COUNT ? cmap_names[cmap] : "?";
}

int render_cmap_parse(const char *name, int *cmap)
{
    for (int i = 0; i < RENDER_CMAP_COUNT; i++)
        if (name && !strcasecmp(name, cmap_names[i])) {
            *cmap = i;
            return NN_OK;
        }
    if (name && !strcasecmp(name, "grey")) {
        *cmap = RENDER_CMAP_GRAY;
        return NN_OK;
    }
    return nn_err(NN_EINVAL,
                  "unknown colormap '%s' (viridis, magma, inferno, plasma, cividis, gray)",
                  name ? name : "");
}

/* Okabe & Ito's colorblind-safe set, reordered so the first few series get
 * the most distinct hues and yellow (weak on white) comes last. */
static const uint32_t palette[8] = {
    0x0072b2, 0xd55e00, 0x009e73, 0xcc79a7, 0xe69f00, 0x56b4e9, 0x000000, 0xf0e442,
};

render_rgb render_palette(int i)
{
    return render_rgb_hex(palette[((i % 8) + 8) % 8]);
}
