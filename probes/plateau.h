/* Plateaus in a training curve: long stretches where the loss hardly moves
 * and its gradient is small before it later falls, found from a log's step,
 * train_loss and grad_norm columns; and apart from them the converged tail,
 * where the loss has settled after falling. Pure computation on arrays;
 * reading the log and drawing are the caller's. */
#ifndef SADDLE_PLATEAU_H
#define SADDLE_PLATEAU_H

#include <stddef.h>

/* The rule, with u = ln(train_loss) (rows whose loss is not finite and
 * positive are skipped):
 *
 *   T    = last step - first step: the run's length.
 *   D    = max(max u - min u, ln(min_range)): how far the log-loss moved over
 *          the whole run, floored so that a run whose loss never moved much
 *          (a plateau never left) is judged against a decade, not its noise.
 *   R    = D / T: the run's average rate of log-loss change per step.
 *
 *   A window is the shortest run of consecutive rows, starting at some row,
 *   that spans at least window * T steps and holds at least min_rows rows.
 *   A window is flat when both hold:
 *     - loss: the least-squares slope of u against step over its rows is at
 *       most tol * R + 2 * sigma / sqrt(sum over its rows (step - mean)^2)
 *       in size, sigma being the window's row-to-row noise of u (1.4826 x
 *       the median |second difference| of u, / sqrt 6): the loss falls at
 *       under tol times the run's average rate, or not measurably faster
 *       than that given its noise. A fit with a two-standard-error
 *       allowance, so noise of a few percent does not split a plateau; a
 *       smooth stretch has sigma near 0 and gets no allowance;
 *     - gradient (only when grad_norm is given): the geometric mean of
 *       grad_norm / loss over its rows is at most grad_tol * G, where G is
 *       the median of grad_norm / loss on rows of fast windows (|slope| >=
 *       R: where training makes progress); when there is no fast window the
 *       condition holds. grad_norm / loss is the gradient of u, so the
 *       gradient is judged on the same log scale as the loss, and a
 *       geometric mean moves little for a single spike. On a plateau it is
 *       tens of times smaller than during the drop; it stays large where
 *       the loss is flat because steps bounce across a valley, and where a
 *       cross-entropy keeps falling in proportion to itself on separable
 *       data (which is progress, not a plateau).
 *   A flat stretch is a maximal run of consecutive rows each covered by at
 *   least one flat window (so it spans at least window * T steps and
 *   min_rows rows; windows overlap, so a single noisy window does not split
 *   it). Its level is the median loss over its rows, grad_norm_mean the mean
 *   grad_norm over them (NaN without the column). It is escaped when a later
 *   row has loss <= level / escape; escape_step is the first such row's step.
 *
 *   The converged tail starts at the first flat stretch that is not escaped
 *   and that the loss fell to: some row at or before its start had loss >=
 *   escape * level. From there on the loss never again falls by the factor
 *   escape, after having fallen by it: that is convergence, not a plateau,
 *   and it runs to the last row. Its level and grad_norm_mean are taken over
 *   all its rows.
 *
 *   A plateau is a flat stretch before the converged tail: one that training
 *   later escaped, or one it never left although the loss never fell to it
 *   (stuck from the start: a plateau that is final when it reaches the last
 *   row).
 *
 * Consequences a user can rely on: a loss that is flat for a stretch and then
 * drops is found, ending at the last row before the drop (a smooth fall into
 * a plateau may add a row or two at its start; two levels a small step apart
 * are one plateau, since windows over the step are still flat); a log-linear
 * (exponential) decay moves at the average rate everywhere and gives none;
 * a run that falls and settles at a loss floor (gradient -> 0, loss stays)
 * has a converged tail and no plateau; a loss that never moves is one final
 * plateau. */

typedef struct plateau_opts {
    double tol;        /* rate tolerance, fraction of the average rate (0.25) */
    double window;     /* window length, fraction of the run's steps (0.1) */
    int min_rows;      /* rows per window at least (5) */
    double grad_tol;   /* gradient tolerance, fraction of G (0.25) */
    double escape;     /* escaped when the loss falls to level / escape (2) */
    double min_range;  /* D is at least ln(min_range) (10: a decade) */
} plateau_opts;

typedef struct plateau {
    double start_step, end_step;   /* steps of its first and last rows */
    int start_row, end_row;        /* their indices in the input arrays */
    double level;                  /* median loss */
    double grad_norm_mean;         /* NaN without grad_norm */
    int escaped;                   /* a later loss <= level / escape */
    double escape_step;            /* first such step, NaN when not escaped */
    int final;                     /* reaches the last row (never left) */
} plateau;

typedef struct plateau_tail {
    int found;                     /* 0: the run did not converge by this rule */
    double start_step;             /* step of its first row; it ends at the last row */
    int start_row;                 /* index in the input arrays */
    double level;                  /* median loss over its rows */
    double grad_norm_mean;         /* NaN without grad_norm */
} plateau_tail;

void plateau_opts_default(plateau_opts *o);

/* Finds the plateaus of a curve of n rows: step [n] increasing, loss [n],
 * grad_norm [n] or NULL. *out is malloc'd (NULL when none; free it), *count
 * the number found, in step order. NN_EINVAL for bad options or steps that
 * do not increase; NN_ENOMEM. */
int plateau_find(const double *step, const double *loss, const double *grad_norm, int n,
                 const plateau_opts *o, plateau **out, int *count);
/* The same, and the converged tail into *tail (may be NULL). */
int plateau_analyze(const double *step, const double *loss, const double *grad_norm, int n,
                    const plateau_opts *o, plateau **out, int *count, plateau_tail *tail);

#endif
