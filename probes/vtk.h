/* A 2-D loss surface as a VTK legacy structured grid (ASCII): the points
 * are (x, y, loss), so ParaView shows the surface in 3-D, with the loss,
 * the accuracy and a validity flag as point data. The route the
 * loss-landscape community takes into ParaView, without HDF5. */
#ifndef SADDLE_VTK_H
#define SADDLE_VTK_H

/* loss, acc [ny][nx] on the grid x0..x1 (nx points) by y0..y1 (ny points);
 * acc may be NULL. A non-finite loss (a diverged point) is written at the
 * largest finite loss with valid = 0, since VTK readers do not take NaN.
 * Written atomically. NN_EINVAL when no point is finite. */
int vtk_write_surface(const char *path, const char *title, const double *loss, const double *acc,
                      int nx, int ny, double x0, double x1, double y0, double y1);

#endif
