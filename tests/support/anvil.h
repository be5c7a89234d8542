/*
 * anvil: a fresh anvil node per test case, for unit tests that talk to a
 * real Ethereum JSON-RPC endpoint: started on 127.0.0.1 port 0 (the port
 * read back from its "Listening on" line), its output in a temporary
 * folder, killed with its parent (PR_SET_PDEATHSIG) and stopped by pid.
 *
 * The binary is $SLUICE_ANVIL, else node_modules/.bin/anvil found from the
 * working directory or up to four folders above it (tests run from the
 * repository root).
 */
#ifndef SLUICE_TESTS_ANVIL_H
#define SLUICE_TESTS_ANVIL_H

#include <sys/types.h>

struct anvil {
    pid_t pid;
    char url[64]; /* "http://127.0.0.1:<port>" */
    char *dir;    /* its log and data, removed by anvil_stop */
};

/* Start an anvil. Returns a new node (stop it with anvil_stop), or NULL
 * with the reason on stderr. */
struct anvil *anvil_start(void);

/* Stop a (SIGTERM, then wait), remove its folder and free it. a may be
 * NULL. */
void anvil_stop(struct anvil *a);

/* cmocka group or case setup and teardown: *state becomes the node. */
int anvil_setup(void **state);
int anvil_teardown(void **state);

#endif
