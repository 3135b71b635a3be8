/* `saddle surface --curvature` (tools/surface_curvature.c). */
#ifndef SADDLE_SURFACE_CURVATURE_H
#define SADDLE_SURFACE_CURVATURE_H

#include "probe.h"

/* λmax and λmin at theta + x d1 + y d2 over the grid g (th, d1, d2 [o->n]):
 * writes DIR/NAME_lmax/_lmin/_ratio.npy, NAME_curvature.png and
 * NAME_convex.png, and records the method in j["curvature"]. */
int curvature_map(const objective *o, const float *th, const float *d1, const float *d2,
                  const grid_spec *g, const char *dir, const char *name, cJSON *j,
                  const probe_args *a, const char *arch);

#endif
