/* In-process HTTP tests of the route table and its dispatcher
 * (gateway/router.c, gateway/routes.c, gateway/server.c): router_match's
 * rules as a table, then every route of the table reached over HTTP with
 * its method (found: never a 404 or 405 for the route itself), with
 * another method (405 and an Allow that lists the route's methods), as
 * HEAD for every GET route, and unknown paths (404 problem+json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/routes.h"
#include "tests/support/gwtest.h"

static const struct router_entry table[] = {
    {"GET", "/a", ROUTER_PUBLIC, ROUTER_BODY_NONE, "a", NULL, 0},
    {"PUT", "/a", ROUTER_SIGNED, ROUTER_BODY_JSON, "a_put", NULL, 0},
    {"GET", "/a/{x}", ROUTER_PUBLIC, ROUTER_BODY_NONE, "ax", NULL, 0},
    {"POST", "/a/{x}/b/{y}", ROUTER_SIGNED, ROUTER_BODY_RAW, "axby", NULL, 0},
    {"GET", "/{f}", ROUTER_PUBLIC, ROUTER_BODY_NONE, "file", NULL, 0},
};

struct match_case {
    const char *method, *path;
    enum router_result want;
    const char *name;       /* of the entry found */
    const char *p0, *p1;    /* its parameters */
    const char *allow;      /* for ROUTER_NO_METHOD */
};

static void test_router_match(void **state)
{
    static const struct match_case cases[] = {
        {"GET", "/a", ROUTER_FOUND, "a", NULL, NULL, NULL},
        {"HEAD", "/a", ROUTER_FOUND, "a", NULL, NULL, NULL},
        {"PUT", "/a", ROUTER_FOUND, "a_put", NULL, NULL, NULL},
        {"DELETE", "/a", ROUTER_NO_METHOD, NULL, NULL, NULL,
         "GET, HEAD, PUT"},
        {"GET", "/a/1", ROUTER_FOUND, "ax", "1", NULL, NULL},
        {"GET", "/a/", ROUTER_NO_PATH, NULL, NULL, NULL, NULL},
        {"GET", "/a/1/", ROUTER_NO_PATH, NULL, NULL, NULL, NULL},
        {"POST", "/a/x%2F/b/yy", ROUTER_FOUND, "axby", "x%2F", "yy", NULL},
        {"GET", "/a/x/b/y", ROUTER_NO_METHOD, NULL, NULL, NULL, "POST"},
        {"GET", "/index.html", ROUTER_FOUND, "file", "index.html", NULL,
         NULL},
        {"GET", "/", ROUTER_NO_PATH, NULL, NULL, NULL, NULL},
        {"GET", "//a", ROUTER_NO_PATH, NULL, NULL, NULL, NULL},
        {"GET", "/A", ROUTER_FOUND, "file", "A", NULL, NULL},
    };
    struct router_match m;
    char longpath[ROUTER_MAX_PATH + 8];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct match_case *c = &cases[i];
        enum router_result r = router_match(&m, table, 5, c->method, c->path);

        if (r != c->want)
            fail_msg("%s %s: result %d, want %d", c->method, c->path, r,
                     c->want);
        if (r == ROUTER_FOUND) {
            assert_string_equal(m.entry->name, c->name);
            if (c->p0 != NULL)
                assert_string_equal(m.params[0], c->p0);
            if (c->p1 != NULL)
                assert_string_equal(m.params[1], c->p1);
        } else {
            assert_null(m.entry);
        }
        if (r == ROUTER_NO_METHOD)
            assert_string_equal(m.allow, c->allow);
    }
    /* A path at the limit is no path; so is a parameter too long. */
    memset(longpath, 'a', sizeof longpath);
    longpath[0] = '/';
    longpath[ROUTER_MAX_PATH] = '\0';
    assert_int_equal(router_match(&m, table, 5, "GET", longpath),
                     ROUTER_NO_PATH);
}

/* The path of a route with its parameters filled in. */
static void route_path(char *out, size_t cap, const char *pattern)
{
    size_t n = 0;
    const char *p;

    for (p = pattern; *p != '\0' && n + 70 < cap; p++) {
        if (*p == '{') {
            const char *e = strchr(p, '}');
            if (strncmp(p, "{n}", 3) == 0)
                n += (size_t)snprintf(out + n, cap - n, "1");
            else if (strncmp(p, "{file}", 6) == 0)
                n += (size_t)snprintf(out + n, cap - n, "app.js");
            else if (strncmp(p, "{object_id}", 11) == 0)
                n += (size_t)snprintf(out + n, cap - n, "%064d", 0);
            else
                n += (size_t)snprintf(out + n, cap - n, "0x%064d", 0);
            p = e;
            continue;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
}

static void with_page(struct gateway_options *o)
{
    o->web_dir = "web"; /* tests run from the repository's root */
}

static int setup(void **state)
{
    static struct gwtest t;

    gwtest_start(&t, with_page);
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    gwtest_stop(*state);
    return 0;
}

static int is_problem(const struct gwtest_resp *r)
{
    char ct[64];

    return gwtest_header(r, "Content-Type", ct, sizeof ct) != NULL &&
           strcmp(ct, "application/problem+json") == 0;
}

/* Every route answers its own method (whatever the answer, it is the
 * route's: an unknown id is a 404 naming the id, never the route), and
 * 405 with Allow to another one. */
static void test_every_route(void **state)
{
    struct gwtest *t = *state;
    struct gwtest_resp r;
    char path[512], allow[128];
    size_t i;

    for (i = 0; i < routes_count; i++) {
        const struct router_entry *e = &routes_table[i];
        const char *other = strcmp(e->method, "PATCH") == 0 ? "GET" : "PATCH";

        route_path(path, sizeof path, e->pattern);
        gwtest_send(t, e->method, path,
                    e->body == ROUTER_BODY_NONE ? NULL : "{}", NULL, &r);
        if (r.status == 405 ||
            (r.status == 404 && strstr(r.body, "no such resource") != NULL))
            fail_msg("%s %s (%s): %d %s", e->method, path, e->name, r.status,
                     r.body);
        gwtest_resp_clear(&r);
        if (strcmp(e->method, "GET") == 0) {
            gwtest_send(t, "HEAD", path, NULL, NULL, &r);
            assert_int_equal(r.body_len, 0);
            assert_non_null(gwtest_header(&r, "Content-Length", allow,
                                          sizeof allow));
            gwtest_resp_clear(&r);
        }
        if (strcmp(e->pattern, "/{file}") == 0 ||
            strcmp(e->pattern, "/") == 0)
            continue;
        gwtest_send(t, other, path, NULL, NULL, &r);
        if (r.status != 405)
            fail_msg("%s %s: %d, want 405", other, path, r.status);
        assert_true(is_problem(&r));
        assert_non_null(gwtest_header(&r, "Allow", allow, sizeof allow));
        assert_non_null(strstr(allow, e->method));
        gwtest_resp_clear(&r);
    }
}

static void test_unknown_paths(void **state)
{
    static const char *const paths[] = {
        "/nope", "/v1", "/v1/datasets/0x00/nope", "/v1/objects",
        "/v1/datasets//chunks", "/.sluice/refused", "/v2/datasets"};
    struct gwtest *t = *state;
    struct gwtest_resp r;
    size_t i;

    for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        gwtest_send(t, "GET", paths[i], NULL, NULL, &r);
        if (r.status != 404 || !is_problem(&r))
            fail_msg("GET %s: %d %s", paths[i], r.status, r.body);
        assert_non_null(strstr(r.body, "\"field\":\"path\""));
        gwtest_resp_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_match),
        cmocka_unit_test_setup_teardown(test_every_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_paths, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
