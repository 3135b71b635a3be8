/* The shaded 3-D picture of a loss surface: a perspective mesh of the grid
 * drawn far to near, lit by one light, coloured by height, above its
 * contour map on the floor of an axes box. Drawn only through the
 * primitives of render.h, so every backend of those draws it. */
#ifndef SADDLE_RENDER_3D_H
#define SADDLE_RENDER_3D_H

#include "render.h"

/* A perspective camera looking at `target` from azimuth/elevation. */
typedef struct {
    double eye[3], target[3];
    double right[3], up[3], fwd[3]; /* orthonormal frame; fwd points from eye to target */
    double dist;                    /* |eye - target| */
    double cx, cy, scale;           /* the target's pixel; px per world unit at the target */
} render_camera;

/* Azimuth is measured in the x-y plane from +x towards +y, elevation up
 * from it (1..89 degrees: the floor is seen from above). NN_EINVAL else. */
int render_camera_init(render_camera *c, const double target[3], double azim_deg, double elev_deg,
                       double dist, double cx, double cy, double scale);
/* World point p [3] -> pixel (*sx, *sy), y down; returns its depth along
 * the view direction (> 0 in front of the camera). */
double render_camera_project(const render_camera *c, const double p[3], double *sx, double *sy);

/* Brightness factor of a face with normal n [3] (any length, either side:
 * the side facing the camera counts) under a light from direction l [3]
 * (towards the light): ambient plus Lambertian diffuse, in [ambient, 1]. */
double render_3d_shade(const render_camera *c, const double face_centre[3], const double n[3],
                       const double l[3]);

typedef struct {
    int width, height;           /* 0 -> 800 x 680 */
    const char *title, *subtitle;
    const char *xlabel, *ylabel; /* axis titles; 0 -> "x", "y" */
    const char *zlabel;          /* z axis and colorbar title; 0 -> "loss" */
    int cmap;                    /* RENDER_CMAP_*, 0 = viridis */
    int log_z;                   /* height and colour by log10 of the values */
    double zmax;                 /* clip: values above are drawn at zmax (flat top); 0 = none */
    double azim, elev;           /* degrees; both 0 -> -60, 30 */
    int ncontours;               /* contour lines on the floor map: 0 -> 10, < 0 -> none */
    int no_floor_map;            /* an empty floor instead of the contour map */
    int mesh;                    /* grid lines on the surface: 0 = when the grid is <= 41 wide,
                                    1 = always, -1 = never */
    const render_mark *marks;    /* points on the surface (the trained model ...) [nmarks] */
    int nmarks;
    const render_path *paths;    /* trajectories [npaths]: on the floor map and on the surface */
    int npaths;
    const render_target *target; /* format and density; NULL = PNG at 96 dpi */
} render_3d_opts;

typedef struct {
    double zlo, zhi;     /* height range drawn, data units (after clipping) */
    size_t nclipped;     /* values above zmax drawn at zmax */
    size_t nclamped;     /* log: values <= 0 drawn at the floor log_floor */
    double log_floor;
    size_t nnan;         /* cells not computed: their quads are left out */
    size_t nquads;       /* surface quads drawn */
    render_camera cam;   /* the camera used (world: x, y in [-hx, hx] x [-hy, hy], floor z = 0) */
    double hx, hy;
    int cbar_x0, cbar_y0, cbar_x1, cbar_y1; /* colorbar gradient, pixels */
    char note[200];      /* "123 values above 5 clipped", ... or "" */
} render_3d_info;

/* The heights drawn: z [n] to s [n] in scale units (log10 when log_z),
 * clipped to zmax, <= 0 on a log scale at the smallest positive value;
 * NaN stays NaN, +inf goes to the top. Fills zlo, zhi, nclipped,
 * nclamped, log_floor and nnan of info. */
void render_3d_heights(const double *z, size_t n, const render_3d_opts *o, double *s,
                       render_3d_info *info);

/* The cells of the grid zw [ny][nx] (world heights; x, y evenly over
 * [-hx, hx] x [-hy, hy]) that have no NaN corner, far to near from c:
 * cell k is column k % (nx-1), row k / (nx-1). *order is malloc'd [*n]. */
int render_3d_order(const render_camera *c, const double *zw, int nx, int ny, double hx, double hy,
                    size_t **order, size_t *n);

/* z [ny][nx] at x = x0 + i (x1-x0)/(nx-1), y = y0 + j (y1-y0)/(ny-1). NaN
 * cells are left out. im is initialized here (free it with
 * render_image_free); info may be NULL. */
int render_3d(render_image *im, const double *z, int nx, int ny, double x0, double x1, double y0,
              double y1, const render_3d_opts *o, render_3d_info *info);
/* Draws and writes path in o->target's format (PNG by default). */
int render_3d_write(const char *path, const double *z, int nx, int ny, double x0, double x1,
                  double y0, double y1, const render_3d_opts *o, render_3d_info *info);

#endif
