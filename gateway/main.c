/* sluiced: the sluice gateway and its operator commands. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cmd.h"
#include "gateway/settings.h"
#include "lib/fault.h"
#include "lib/log.h"

int main(int argc, char **argv)
{
    const struct cmd_entry *cmd;
    struct fault f;
    int rv;

    /* A peer that hangs up while we write must cost an EPIPE, not the
     * process. */
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        cmd_print_help(stdout);
        printf("\nsettings of sluiced serve (also `sluiced [flags]`):\n\n");
        settings_print_help(stdout);
        return 0;
    }
    if (argc < 2) {
        cmd_print_help(stderr);
        return 2;
    }
    /* Flags first: serve (`sluiced --data-dir ./var`). */
    if (argv[1][0] == '-') {
        cmd = cmd_find("serve");
        argv[0] = (char *)(uintptr_t)"serve";
        fault_clear(&f);
        rv = cmd->run(argc, argv, &f);
        goto report;
    }
    cmd = cmd_find(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "sluiced: unknown command '%s'; see sluiced --help\n",
                argv[1]);
        return 2;
    }
    fault_clear(&f);
    rv = cmd->run(argc - 1, argv + 1, &f);
report:
    if (rv < 0) {
        /* Name the field unless the sentence already does. */
        if (f.field[0] != '\0' && strstr(f.detail, f.field) == NULL)
            fprintf(stderr, "sluiced %s: %s: %s\n", cmd->name, f.field,
                    f.detail);
        else
            fprintf(stderr, "sluiced %s: %s\n", cmd->name,
                    f.detail[0] ? f.detail : "failed");
        return f.kind == FAULT_INVALID ? 2 : 1;
    }
    return rv;
}
