/*
 * cmd: sluiced's subcommands, as a table (tmux's cmd_table habit): each
 * entry is a name, a usage line, a summary and the function that runs it.
 * main() finds the entry and runs it; every failure comes back as a fault
 * and is printed once, by main.
 */
#ifndef SLUICE_GATEWAY_CMD_H
#define SLUICE_GATEWAY_CMD_H

#include <stdint.h>

#include "lib/fault.h"
#include "lib/units.h"

struct cmd_entry {
    const char *name;
    const char *usage;   /* the arguments after the name */
    const char *summary; /* one line for --help */
    /* Run with argv[0] = the command name. Return the exit status: 0 on
     * success, 1 when the command ran and found a problem (fsck, audit
     * verify), or -1
     * with f set on failure. */
    int (*run)(int argc, char **argv, struct fault *f);
};

/* Return the entry named name, or NULL. */
const struct cmd_entry *cmd_find(const char *name);

/* Print every command's usage and summary to stream (a FILE *). */
void cmd_print_help(void *stream);

/* Turn what getopt_long returned for a bad option (c is '?' or ':', with
 * an optstring that starts with ':') into a fault naming the option.
 * Always returns -1. */
int cmd_bad_option(int c, char **argv, struct fault *f);

/* Check the positional arguments argv[optind..argc): exactly want of
 * them, named what (e.g. "FILE"). Returns 0, or -1 with f saying which is
 * missing or unexpected. */
int cmd_positional(int argc, char **argv, int want, const char *what,
                   struct fault *f) __attribute__((warn_unused_result));

/* Check that a required option was given. Returns 0, or -1 with f set. */
int cmd_required(const char *value, const char *option, struct fault *f)
    __attribute__((warn_unused_result));

int cmd_serve(int argc, char **argv, struct fault *f);
int cmd_ingest(int argc, char **argv, struct fault *f);
int cmd_export(int argc, char **argv, struct fault *f);
int cmd_fsck(int argc, char **argv, struct fault *f);
int cmd_audit(int argc, char **argv, struct fault *f);

#endif
