/* log.csv as the trainer writes it: a header row naming the columns, then
 * one row of numbers per evaluation (a field may be empty: lambda_max). */
#include "runlog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../datasets/fileio.h"
#include "../datasets/status.h"

int run_log_col(const run_log *L, const char *name)
{
    for (int c = 0; c < L->ncols; c++)
        if (!strcmp(L->names[c], name)) return c;
    return -1;
}

int run_log_read(const char *path, run_log *L)
{
    uint8_t *buf;
    size_t len;
    memset(L, 0, sizeof *L);
    int rc = file_read_all(path, (size_t)1 << 30, &buf, &len);
    if (rc) return rc;
    char *text = (char *)buf, *save = NULL;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
    char *line = strtok_r(text, "\n", &save);
    if (!line || strncmp(line, "step,", 5) != 0) {
        free(buf);
        return nn_err(NN_EFORMAT, "%s: not a saddle log (no 'step,...' header)", path);
    }
    for (char *p = line; p && L->ncols < RUN_LOG_MAX_COLS; L->ncols++) {
        char *comma = strchr(p, ',');
        snprintf(L->names[L->ncols], sizeof L->names[0], "%.*s",
                 (int)(comma ? comma - p : (long)strlen(p)), p);
        p = comma ? comma + 1 : NULL;
    }
    L->v = malloc((lines + 1) * (size_t)L->ncols * sizeof *L->v);
    if (!L->v) {
        free(buf);
        return nn_err(NN_ENOMEM, "%s: out of memory", path);
    }
    int lineno = 1;
    while ((line = strtok_r(NULL, "\n", &save))) {
        lineno++;
        double *row = L->v + (size_t)L->nrows * (size_t)L->ncols;
        char *p = line;
        for (int c = 0; c < L->ncols; c++) {
            char *end;
            row[c] = NAN;
            if (!p) continue;
            if (*p != ',' && *p) {
                row[c] = strtod(p, &end);
                if (end == p || (*end && *end != ',')) {
                    free(buf);
                    free(L->v);
                    return nn_err(NN_EFORMAT, "%s:%d: column %s is not a number", path,
                                  lineno, L->names[c]);
                }
                p = end;
            }
            p = *p == ',' ? p + 1 : NULL;
        }
        L->nrows++;
    }
    free(buf);
    return NN_OK;
}

double *run_log_column(const run_log *L, int c)
{
    double *y = malloc(((size_t)L->nrows + 1) * sizeof *y);
    if (y)
        for (int r = 0; r < L->nrows; r++) y[r] = L->v[(size_t)r * (size_t)L->ncols + (size_t)c];
    return y;
}


void run_log_free(run_log *L)
{
    free(L->v);
    memset(L, 0, sizeof *L);
}
