/* Resuming an interrupted `saddle critical`: the saved starts read back and checked. */
#ifndef SADDLE_CRITICAL_RESUME_H
#define SADDLE_CRITICAL_RESUME_H

#include "../probes/critical.h"
#include "probe.h"

/* The starts an interrupted run left in json (NAME.json), npy
 * (NAME_points.npy) and pdir (NAME/point-KK.safetensors), when its
 * invocation, options, parameters and data equal those of `now` (this
 * run's sidecar) and start k came from labels [k]. Every field, count, size
 * and number is checked; the end points must be finite and the point files
 * must hold them. Returns how many starts were restored: their entries are
 * appended to arr, and res, points [k][n] and bsteps [k][bstride] (the
 * search at each of the nb budgets) are filled; steps [max_iter + 1] is
 * scratch. Returns 0 with `why` saying what did not fit when the saved
 * starts cannot be used (why empty: nothing was saved yet). */
int critical_resume(const char *json, const char *npy, const char *pdir, const cJSON *now,
                    const char *const *labels, const crit_opts *opt, const int *budget, int nb,
                    int bstride, size_t n, int N, cJSON *arr, crit_result *res, double *points,
                    crit_step *bsteps, crit_step *steps, char *why, size_t wlen);

#endif
