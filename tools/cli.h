/* Shared pieces of the `saddle` command: each subcommand's entry point and
 * the helpers they share (error printing, config assembly). The only layer
 * that prints to the terminal or decides exit codes. */
#ifndef SADDLE_CLI_H
#define SADDLE_CLI_H

#include "../nn/nn.h"

/* `git describe` at build time, or a release's VERSION (tools/version.c). */
extern const char saddle_version[];
#define SADDLE_VERSION saddle_version

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_surface(int argc, char **argv);
int cmd_interp(int argc, char **argv);
int cmd_pca(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_hessian(int argc, char **argv);
int cmd_sharpness(int argc, char **argv);
int cmd_study(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_rescale(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_toy(int argc, char **argv);
int cmd_restarts(int argc, char **argv);
int cmd_critical(int argc, char **argv);
/* `saddle bench --only critical` (tools/bench_critical.c), and the median
 * every bench table uses (tools/cmd_bench.c). */
int bench_critical(void);
double bench_median(double *v /* [n], sorted in place */, int n);

/* Prints "saddle: <what>: <status message>" (the message alone when it starts
 * with "<what>:" or "<what> ") and returns EXIT_FAIL. */
int cli_fail(const char *what, int rc);
/* Prints "saddle <cmd>: <message>" plus a hint to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The end of an argument loop: arg is an unknown option (usage error), the
 * command's one positional argument (stored in *slot, EXIT_OK), or one too
 * many (usage error). */
int cli_positional(const char *cmd, const char *arg, const char **slot);
/* Fills the data seed from the training seed where it was left 0. */
void cli_config_resolve(config *c);
int cli_is_help(const char *arg);

#endif
