/* sluiced: the sluice gateway and its operator commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cmd.h"
#include "lib/fault.h"
#include "lib/log.h"

int main(int argc, char **argv)
{
    const struct cmd_entry *cmd;
    struct fault f;
    int rv;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        cmd_print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    cmd = cmd_find(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "sluiced: unknown command '%s'; see sluiced --help\n",
                argv[1]);
        return 2;
    }
    if (getenv("SLUICE_LOG_LEVEL") && strcmp(getenv("SLUICE_LOG_LEVEL"), "debug") == 0)
        log_set_level(LOG_DEBUG);
    fault_clear(&f);
    rv = cmd->run(argc - 1, argv + 1, &f);
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
