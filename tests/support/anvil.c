#include "tests/support/anvil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/testutil.h"

#define ANVIL_LISTENING "Listening on 127.0.0.1:"

static int anvil_find(char *out, size_t cap)
{
    const char *env = getenv("SLUICE_ANVIL");
    char rel[64] = "node_modules/.bin/anvil";
    int up;

    if (env != NULL && env[0] != '\0') {
        snprintf(out, cap, "%s", env);
        return access(out, X_OK);
    }
    for (up = 0; up < 5; up++) {
        snprintf(out, cap, "%s", rel);
        if (access(out, X_OK) == 0)
            return 0;
        memmove(rel + 3, rel, strlen(rel) + 1);
        memcpy(rel, "../", 3);
    }
    return -1;
}

struct anvil *anvil_start(void)
{
    struct anvil *a = calloc(1, sizeof *a);
    char bin[512], log_path[512];
    uint8_t *text = NULL;
    size_t len;
    int i, fd, status;
    const char *p;
    unsigned long port;
    char *end;

    if (a == NULL || anvil_find(bin, sizeof bin) != 0) {
        fprintf(stderr, "anvil not found (set SLUICE_ANVIL or run from the "
                        "repository root after make bootstrap)\n");
        free(a);
        return NULL;
    }
    a->dir = testutil_mkdtemp();
    snprintf(log_path, sizeof log_path, "%s/anvil.log", a->dir);
    a->pid = fork();
    if (a->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        fd = open("/dev/null", O_RDONLY);
        if (fd >= 0)
            dup2(fd, 0);
        execl(bin, "anvil", "--host", "127.0.0.1", "--port", "0",
              (char *)NULL);
        _exit(127);
    }
    if (a->pid < 0)
        goto fail;
    for (i = 0; i < 1500; i++) { /* 30 s */
        free(text);
        text = NULL;
        if (testutil_read_file(log_path, &text, &len) == 0) {
            char *t = realloc(text, len + 1);
            if (t == NULL)
                goto fail;
            text = (uint8_t *)t;
            text[len] = '\0';
            p = strstr((char *)text, ANVIL_LISTENING);
            if (p != NULL && strchr(p, '\n') != NULL &&
                (port = strtoul(p + strlen(ANVIL_LISTENING), &end, 10)) >
                    0 &&
                port <= 65535 && *end == '\n') {
                snprintf(a->url, sizeof a->url, "http://127.0.0.1:%lu", port);
                free(text);
                return a;
            }
        }
        if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
            a->pid = 0;
            fprintf(stderr, "anvil exited before listening\n");
            goto fail;
        }
        usleep(20000);
    }
    fprintf(stderr, "anvil printed no Listening line in 30 s\n");
fail:
    free(text);
    if (a->pid > 0) {
        kill(a->pid, SIGKILL);
        waitpid(a->pid, &status, 0);
    }
    testutil_rmtree(a->dir);
    free(a);
    return NULL;
}

void anvil_stop(struct anvil *a)
{
    int status;

    if (a == NULL)
        return;
    if (a->pid > 0) {
        kill(a->pid, SIGTERM);
        waitpid(a->pid, &status, 0);
    }
    testutil_rmtree(a->dir);
    free(a);
}

int anvil_setup(void **state)
{
    struct anvil *a = anvil_start();

    if (a == NULL)
        return -1;
    *state = a;
    return 0;
}

int anvil_teardown(void **state)
{
    anvil_stop(*state);
    *state = NULL;
    return 0;
}
