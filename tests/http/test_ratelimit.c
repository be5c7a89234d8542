/* Tests of the per-address rate limiter (gateway/ratelimit.c): the token
 * bucket on a clock of the test's own (burst, steady refill, the wait it
 * asks for, addresses apart, a flood of addresses in a bounded table),
 * then in-process over HTTP: the request past the burst is 429 with
 * Retry-After, other addresses are not touched, and the bucket refills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/ratelimit.h"
#include "tests/support/gwtest.h"

static void test_bucket(void **state)
{
    struct ratelimit *r;
    struct fault f;
    char addr[32];
    int i, n;

    (void)state;
    assert_int_equal(ratelimit_new(&r, 10, 20, &f), 0);
    /* The burst, then refusals that name the wait. */
    for (i = 0; i < 20; i++)
        assert_int_equal(ratelimit_take(r, "10.0.0.1", 100.0), 0);
    assert_int_equal(ratelimit_take(r, "10.0.0.1", 100.0), 1);
    /* Another address has its own bucket. */
    assert_int_equal(ratelimit_take(r, "10.0.0.2", 100.0), 0);
    /* Refill at 10 per second: 0.5 s gives 5. */
    for (i = 0, n = 0; i < 10; i++)
        n += ratelimit_take(r, "10.0.0.1", 100.5) == 0;
    assert_int_equal(n, 5);
    /* Never more than the burst, however long the pause. */
    for (i = 0, n = 0; i < 50; i++)
        n += ratelimit_take(r, "10.0.0.1", 10000.0) == 0;
    assert_int_equal(n, 20);
    /* A flood of addresses reuses the table: each still gets a burst. */
    for (i = 0; i < 100000; i++) {
        snprintf(addr, sizeof addr, "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        assert_int_equal(ratelimit_take(r, addr, 20000.0 + i * 1e-4), 0);
    }
    ratelimit_free(r);
    /* Off: everything passes. */
    assert_int_equal(ratelimit_new(&r, 0, 1, &f), 0);
    for (i = 0; i < 1000; i++)
        assert_int_equal(ratelimit_take(r, "10.0.0.1", 1.0), 0);
    ratelimit_free(r);
    /* A slow rate asks for a long wait, in whole seconds. */
    assert_int_equal(ratelimit_new(&r, 1, 1, &f), 0);
    assert_int_equal(ratelimit_take(r, "a", 5.0), 0);
    assert_int_equal(ratelimit_take(r, "a", 5.0), 1);
    assert_int_equal(ratelimit_take(r, "a", 5.25), 1);
    ratelimit_free(r);
}

static void limited(struct gateway_options *o)
{
    o->rate_limit = 2;
    o->rate_burst = 3;
}

static void test_over_http(void **state)
{
    struct gwtest t;
    struct gwtest_resp r;
    char ra[16];
    int i, ok = 0, refused = 0;

    (void)state;
    gwtest_start(&t, limited);
    for (i = 0; i < 6; i++) {
        gwtest_send(&t, "GET", "/healthz", NULL, NULL, &r);
        if (r.status == 200) {
            ok++;
        } else {
            assert_int_equal(r.status, 429);
            assert_non_null(gwtest_header(&r, "Retry-After", ra, sizeof ra));
            assert_true(atoi(ra) >= 1);
            assert_non_null(strstr(r.body, "rate-limited"));
            refused++;
        }
        gwtest_resp_clear(&r);
    }
    /* The burst of 3 (and at most one more refilled meanwhile). */
    assert_true(ok >= 3 && ok <= 4);
    assert_true(refused >= 2);
    sleep(1);
    gwtest_send(&t, "GET", "/healthz", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    gwtest_resp_clear(&r);
    gwtest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_over_http),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
