/* Reading a model PyTorch saved (no saddle metadata): which tensors are
 * which layer, in what order, and what was converted on the way. */
#ifndef SADDLE_CKPT_IMPORT_H
#define SADDLE_CKPT_IMPORT_H

#include "nn.h"

#define CKPT_STEM_MAX 96 /* a module's name, as st_tensor names are bounded */

/* The architecture of f from its Linear layers' shapes, and each layer's
 * module name stems[l] (its tensors are "<stem>.weight" and "<stem>.bias").
 * The order is map's ("fc1,fc2,out") when given; else a Sequential's index
 * order (keys "0.", "1." after a Flatten, "net.3." ...); else the one order
 * in which the shapes chain (an error names two when there are more).
 * *how says which of the three (static text). */
int ckpt_import_spec(const char *path, const st_file *f, int act, int loss, const char *map,
                     model_spec *spec, char (*stems)[CKPT_STEM_MAX], const char **how);

/* A line for the user about tensors stored in another dtype than F32, and
 * what converting them to float cost (malloc'd), or NULL when all were F32
 * (*out stays NULL, NN_OK) or on NN_ENOMEM. */
int ckpt_import_note(const char *path, const st_file *f, char **out);

#endif
