/* whatif_cli.h — `ladderctl what-if` (whatif_cli.c). */
#ifndef LD_WHATIF_CLI_H
#define LD_WHATIF_CLI_H

/* Runs the subcommand; argv[0] is "what-if". Returns the exit code. */
int ld_ctl_whatif(int argc, char **argv);

#endif
