/* The 3-D picture of a saved 2-D surface: the options that choose the
 * view (--3d, --azim, --elev, --zmax) and the drawing from a sidecar. */
#ifndef SADDLE_PROBE_3D_H
#define SADDLE_PROBE_3D_H

#include "probe.h"

typedef struct {
    int on;             /* --3d */
    double azim, elev;  /* degrees */
    double zmax;        /* clip above, 0 = none */
    int view_given;     /* --azim, --elev or --zmax appeared */
} probe_view3d;

void probe_3d_defaults(probe_view3d *v);
/* Consumes argv[*i] (and its value) when it is a 3-D option: 1 when
 * consumed, 0 when not, -1 on a bad value (message printed). */
int probe_3d_parse(const char *cmd, int argc, char **argv, int *i, probe_view3d *v);
/* After parsing: a view option without --3d is a usage error (-1). */
int probe_3d_check(const char *cmd, const probe_view3d *v);

/* The help lines of the options. */
extern const char PROBE_3D_HELP[];
/* probe_out_open's ignore entries: a picture's view changes no result. */
#define PROBE_3D_IGNORE "--3d", "--azim DEG", "--elev DEG", "--zmax Z"

/* Draws the saved 2-D surface of sidecar j (beside its .npy files in dir)
 * in 3-D to png, with a's --log, --levels and --cmap. NN_EINVAL for a
 * result that is a line. */
int probe_render_3d(const cJSON *j, const char *dir, const probe_args *a, const probe_view3d *v,
                    const char *png);

#endif
