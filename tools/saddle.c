/* `saddle <command>`: dispatch, top-level help and the helpers shared by the
 * subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifdef SADDLE_MPI
#include <mpi.h>
#endif

static const char USAGE[] =
    "usage: saddle <command> [options]\n"
    "\n"
    "Train small MLPs and measure the minima they find.\n"
    "\n"
    "commands:\n"
    "  train CONFIG [--out DIR] [--set section.key=value ...] [--resume DIR]\n"
    "                 train a model from an INI config into a run directory\n"
    "  eval CHECKPOINT [--data train|test] [--limit N]\n"
    "                 loss and accuracy of a checkpoint\n"
    "  surface TARGET [--grid 51x51 | --grid 51] [--range -1:1]\n"
    "                 loss on a plane (or line) of filter-normalized random directions\n"
    "  interp A B [C] [--range -0.5:1.5]\n"
    "                 loss along the straight line between two checkpoints (plane through three)\n"
    "  pca RUN [RUN2 ...]\n"
    "                 the plane of the training trajectory, with the path drawn on it;\n"
    "                 several runs: one plane shared by all their paths\n"
    "  render JSON [--log] [--levels N]\n"
    "                 redraw a saved probe result\n"
    "  hessian TARGET [--top 5] [--trace] [--density] [--gn]\n"
    "                 Hessian eigenvalues, trace and spectral density from exact HVPs\n"
    "  sharpness TARGET [--eps 1e-3]\n"
    "                 epsilon-sharpness (Keskar), worst- and average-case, raw and filter-normalized\n"
    "  plot RUN       log.csv as pictures: loss curves with plateaus, lambda_max with the 2/lr line\n"
    "  study DIR      train the runs x seeds of DIR/study.ini, probe them all, write a report\n"
    "  compare RUN... the study report for existing run directories (RUN-sN are seeds)\n"
    "  rescale CHECKPOINT --layer L --factor C\n"
    "                 the same function with rescaled layers: raw vs filter-normalized sharpness\n"
    "  toy --surface NAME [--opt sgd,momentum,adam] [--starts 8]\n"
    "                 optimizer paths on an analytic 2-D surface, known critical points marked\n"
    "  restarts CONFIG --seeds N\n"
    "                 N trainings from different seeds: spread of final losses, pairwise barriers\n"
    "  critical RUN [--starts 20]\n"
    "                 critical points from snapshots and random inits (double precision,\n"
    "                 dense Hessian): saddle or minimum, index against loss\n"
    "  bench          training and surface throughput against this machine's floors\n"
    "\n"
    "`saddle help COMMAND` (or `saddle COMMAND --help`) describes a command;\n"
    "`saddle train --help` lists every config key with its default.\n"
    "`saddle --version` prints the version.\n";

#ifdef SADDLE_MPI
#define SADDLE_BUILD " (MPI)"
#else
#define SADDLE_BUILD ""
#endif

int cli_fail(const char *what, int rc)
{
    const char *msg = nn_errmsg()[0] ? nn_errmsg() : nn_strstatus(rc);
    /* Library messages often name their module or option already
     * ("rescale: ...", "--set a.b=c: ..."): said once, not as
     * "saddle: rescale: rescale: ...". */
    size_t L = strlen(what);
    if (!strncmp(msg, what, L) && (msg[L] == ':' || msg[L] == ' ')) fprintf(stderr, "saddle: %s\n", msg);
    else fprintf(stderr, "saddle: %s: %s\n", what, msg);
    return EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "saddle %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see `saddle %s --help`)\n", cmd);
    return EXIT_USAGE;
}

int cli_positional(const char *cmd, const char *arg, const char **slot)
{
    if (arg[0] == '-' && arg[1]) return cli_usage_error(cmd, "unknown option '%s'", arg);
    if (*slot) return cli_usage_error(cmd, "unexpected argument '%s'", arg);
    *slot = arg;
    return EXIT_OK;
}

void cli_config_resolve(config *c)
{
    if (c->data.seed == 0) c->data.seed = c->train.seed;
}

int cli_is_help(const char *arg) { return !strcmp(arg, "--help") || !strcmp(arg, "-h"); }

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
#ifdef SADDLE_MPI
    /* Under mpirun every rank runs the same command; probes split their
     * points across ranks and rank 0 writes. */
    MPI_Init(&argc, &argv);
    int rc = dispatch(argc, argv);
    MPI_Finalize();
    return rc;
#else
    return dispatch(argc, argv);
#endif
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1]) || (!strcmp(argv[1], "help") && argc == 2)) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("saddle %s%s\n", SADDLE_VERSION, SADDLE_BUILD);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "help")) {
        if (argc > 3) return cli_usage_error("help", "one command at a time, not '%s'", argv[3]);
        /* `saddle help CMD` is `saddle CMD --help`. */
        char *av[] = {argv[0], argv[2], "--help", NULL};
        return dispatch(3, av);
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train")) return cmd_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "surface")) return cmd_surface(argc - 1, argv + 1);
    if (!strcmp(cmd, "interp")) return cmd_interp(argc - 1, argv + 1);
    if (!strcmp(cmd, "pca")) return cmd_pca(argc - 1, argv + 1);
    if (!strcmp(cmd, "render")) return cmd_render(argc - 1, argv + 1);
    if (!strcmp(cmd, "hessian")) return cmd_hessian(argc - 1, argv + 1);
    if (!strcmp(cmd, "sharpness")) return cmd_sharpness(argc - 1, argv + 1);
    if (!strcmp(cmd, "study")) return cmd_study(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare")) return cmd_compare(argc - 1, argv + 1);
    if (!strcmp(cmd, "rescale")) return cmd_rescale(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot")) return cmd_plot(argc - 1, argv + 1);
    if (!strcmp(cmd, "toy")) return cmd_toy(argc - 1, argv + 1);
    if (!strcmp(cmd, "restarts")) return cmd_restarts(argc - 1, argv + 1);
    if (!strcmp(cmd, "critical")) return cmd_critical(argc - 1, argv + 1);
    fprintf(stderr, "saddle: unknown command '%s'\n\n%s", cmd, USAGE);
    return EXIT_USAGE;
}
