#include "gateway/router.h"

#include <stdio.h>
#include <string.h>

/* Match one pattern against path; fill params. Returns 1 on a match. */
static int router_pattern_match(struct router_match *m, const char *pattern,
                                const char *path)
{
    const char *p = pattern, *s = path;
    size_t np = 0;

    while (*p != '\0') {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            const char *se = strchr(s, '/');
            size_t len;

            if (pe == NULL)
                return 0;
            len = se ? (size_t)(se - s) : strlen(s);
            if (len == 0 || len >= sizeof m->params[0] ||
                np == ROUTER_MAX_PARAMS)
                return 0;
            memcpy(m->params[np], s, len);
            m->params[np][len] = '\0';
            np++;
            p = pe + 1;
            s += len;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    if (*s != '\0')
        return 0;
    m->nparams = np;
    return 1;
}

static void router_allow_add(struct router_match *m, const char *method)
{
    size_t len = strlen(m->allow);

    if (strstr(m->allow, method) != NULL)
        return;
    snprintf(m->allow + len, sizeof m->allow - len, "%s%s",
             len ? ", " : "", method);
    if (strcmp(method, "GET") == 0)
        router_allow_add(m, "HEAD");
}

enum router_result router_match(struct router_match *m,
                                const struct router_entry *table, size_t n,
                                const char *method, const char *path)
{
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    int path_seen = 0;
    size_t i;

    memset(m, 0, sizeof *m);
    if (strlen(path) >= ROUTER_MAX_PATH)
        return ROUTER_NO_PATH;
    for (i = 0; i < n; i++) {
        if (!router_pattern_match(m, table[i].pattern, path))
            continue;
        if (strcmp(table[i].method, want) == 0) {
            m->entry = &table[i];
            m->allow[0] = '\0';
            return ROUTER_FOUND;
        }
        path_seen = 1;
        router_allow_add(m, table[i].method);
    }
    m->nparams = 0;
    return path_seen ? ROUTER_NO_METHOD : ROUTER_NO_PATH;
}
