/* In-process HTTP tests of the one place that maps failures to answers
 * (gateway/problem.c): every fault kind's status, type and title as
 * DESIGN.md 3.9 lists them, details of internal faults kept out of the
 * answer, and problems as a client receives them, with the transport's
 * own statuses (405, 413, 417, 501, 505) in the same shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gateway/problem.h"
#include "tests/support/gwtest.h"

#define URN "urn:sluice:problem:"

static void test_every_kind(void **state)
{
    static const struct {
        enum fault_kind kind;
        int status;
        const char *type;
        int public_detail;
    } want[] = {
        {FAULT_NONE, 500, URN "internal", 0},
        {FAULT_INVALID, 400, URN "invalid", 1},
        {FAULT_UNAUTHORIZED, 401, URN "unauthorized", 1},
        {FAULT_PAYMENT, 402, URN "payment-required", 1},
        {FAULT_FORBIDDEN, 403, URN "forbidden", 1},
        {FAULT_NOT_FOUND, 404, URN "not-found", 1},
        {FAULT_CONFLICT, 409, URN "conflict", 1},
        {FAULT_TOO_LARGE, 413, URN "too-large", 1},
        {FAULT_RATE_LIMITED, 429, URN "rate-limited", 1},
        {FAULT_UNAVAILABLE, 503, URN "unavailable", 1},
        {FAULT_CORRUPT, 500, URN "stored-data-damaged", 0},
        {FAULT_IO, 500, URN "storage-error", 0},
        {FAULT_INTERNAL, 500, URN "internal", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct problem_kind p = problem_for(want[i].kind);
        struct fault f;
        json_t *doc;
        char *text;
        int status;

        assert_int_equal(p.status, want[i].status);
        assert_string_equal(p.type, want[i].type);
        assert_true(strlen(p.title) > 0);
        assert_int_equal(p.public_detail, want[i].public_detail);
        fault_clear(&f);
        fault_set(&f, want[i].kind, "name", "secret /var/path and SQL text");
        text = problem_render(&f, &status);
        assert_non_null(text);
        assert_int_equal(status, want[i].status);
        doc = json_loads(text, 0, NULL);
        assert_non_null(doc);
        assert_string_equal(json_string_value(json_object_get(doc, "type")),
                            want[i].type);
        assert_int_equal(json_integer_value(json_object_get(doc, "status")),
                         want[i].status);
        if (want[i].public_detail) {
            assert_string_equal(
                json_string_value(json_object_get(doc, "detail")),
                "secret /var/path and SQL text");
            assert_string_equal(
                json_string_value(json_object_get(doc, "field")), "name");
        } else {
            /* Internals go to the log, never to the client. */
            assert_null(strstr(text, "secret"));
            assert_null(json_object_get(doc, "field"));
        }
        json_decref(doc);
        free(text);
    }
}

static int setup(void **state)
{
    static struct gwtest t;

    gwtest_start(&t, NULL);
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    gwtest_stop(*state);
    return 0;
}

/* What a client gets: the same shape whichever layer refused. */
static void test_over_http(void **state)
{
    static const struct {
        const char *raw;
        int status;
        const char *type, *field;
    } cases[] = {
        {"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", 404, URN "not-found",
         "path"},
        {"DELETE /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 405,
         URN "method-not-allowed", NULL},
        {"BREW /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 501,
         URN "method-not-allowed", "method"},
        {"GET /healthz HTTP/1.1\r\nHost: a\r\nExpect: 1\r\n\r\n", 417,
         URN "invalid", "Expect"},
        {"GET /healthz HTTP/3.0\r\nHost: a\r\n\r\n", 505, URN "invalid",
         "request-line"},
        {"GET /healthz HTTP/1.1\r\n\r\n", 400, URN "invalid", "Host"},
        {"POST /v1/datasets HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000"
         "\r\n\r\n", 413, URN "too-large", "body"},
        {"GET /v1/datasets/0x12 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         URN "invalid", "id"},
        {"POST /v1/datasets HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n"
         "{}", 401, URN "unauthorized", "X-Sluice-Timestamp"},
    };
    struct gwtest *t = *state;
    struct gwtest_resp r;
    char ct[64];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *doc;

        gwtest_raw(t, cases[i].raw, strlen(cases[i].raw), 0, &r);
        if (r.status != cases[i].status)
            fail_msg("%s: %d %s", cases[i].raw, r.status, r.body);
        assert_non_null(gwtest_header(&r, "Content-Type", ct, sizeof ct));
        assert_string_equal(ct, "application/problem+json");
        doc = json_loads(r.body, 0, NULL);
        assert_non_null(doc);
        assert_string_equal(json_string_value(json_object_get(doc, "type")),
                            cases[i].type);
        assert_int_equal(json_integer_value(json_object_get(doc, "status")),
                         cases[i].status);
        assert_true(strlen(json_string_value(json_object_get(doc, "title")))
                    > 0);
        assert_true(strlen(json_string_value(json_object_get(doc, "detail")))
                    > 0);
        if (cases[i].field != NULL)
            assert_string_equal(
                json_string_value(json_object_get(doc, "field")),
                cases[i].field);
        json_decref(doc);
        gwtest_resp_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test_setup_teardown(test_over_http, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
