/* Unit tests for gateway/session.c: nonces are single use and live five
 * minutes; sessions are found by their cookie only while live; both tables
 * stay within their bounds, a new entry ending the oldest; what is kept is
 * never the token itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/session.h"

#define NOW 1764115200

static void addr_of(struct ethaddr *a, uint8_t b)
{
    memset(a->bytes, b, sizeof a->bytes);
}

static void test_nonces(void **state)
{
    struct session_store *s;
    char n1[SESSION_NONCE_LEN + 1], n2[SESSION_NONCE_LEN + 1];
    struct fault f;
    size_t i, ns, nn;

    (void)state;
    assert_int_equal(session_store_new(&s, 4, 3, &f), 0);
    assert_int_equal(session_nonce_new(s, n1, NOW, &f), 0);
    assert_int_equal(session_nonce_new(s, n2, NOW, &f), 0);
    assert_int_equal(strlen(n1), SESSION_NONCE_LEN);
    for (i = 0; i < SESSION_NONCE_LEN; i++)
        assert_true((n1[i] >= 'A' && n1[i] <= 'Z') ||
                    (n1[i] >= 'a' && n1[i] <= 'z') ||
                    (n1[i] >= '0' && n1[i] <= '9'));
    assert_string_not_equal(n1, n2);
    /* Single use. */
    assert_int_equal(session_nonce_take(s, n1, strlen(n1), NOW + 10), 1);
    assert_int_equal(session_nonce_take(s, n1, strlen(n1), NOW + 10), 0);
    /* Case matters; other lengths are no nonce. */
    n2[0] = (char)(n2[0] ^ 0x20);
    if ((n2[0] >= 'A' && n2[0] <= 'Z') || (n2[0] >= 'a' && n2[0] <= 'z'))
        assert_int_equal(session_nonce_take(s, n2, strlen(n2), NOW), 0);
    n2[0] = (char)(n2[0] ^ 0x20);
    assert_int_equal(session_nonce_take(s, n2, 10, NOW), 0);
    /* Five minutes: live at 299 s, not at 300 s, and gone after either. */
    assert_int_equal(session_nonce_take(s, n2, strlen(n2), NOW + 299), 1);
    assert_int_equal(session_nonce_new(s, n1, NOW, &f), 0);
    assert_int_equal(session_nonce_take(s, n1, strlen(n1), NOW + 300), 0);
    assert_int_equal(session_nonce_take(s, n1, strlen(n1), NOW), 0);
    /* Expiry drops what is dead. */
    assert_int_equal(session_nonce_new(s, n1, NOW, &f), 0);
    assert_int_equal(session_nonce_new(s, n2, NOW + 100, &f), 0);
    session_counts(s, &ns, &nn);
    assert_int_equal(nn, 2);
    session_expire(s, NOW + 300);
    session_counts(s, &ns, &nn);
    assert_int_equal(nn, 1);
    assert_int_equal(session_nonce_take(s, n2, strlen(n2), NOW + 300), 1);
    session_store_free(s);
}

/* Three slots: the fourth nonce ends the first. */
static void test_nonce_bound(void **state)
{
    struct session_store *s;
    char n[5][SESSION_NONCE_LEN + 1];
    struct fault f;
    size_t i, ns, nn;

    (void)state;
    assert_int_equal(session_store_new(&s, 1, 3, &f), 0);
    for (i = 0; i < 4; i++)
        assert_int_equal(session_nonce_new(s, n[i], NOW, &f), 0);
    session_counts(s, &ns, &nn);
    assert_int_equal(nn, 3);
    assert_int_equal(session_nonce_take(s, n[0], SESSION_NONCE_LEN, NOW), 0);
    assert_int_equal(session_nonce_take(s, n[2], SESSION_NONCE_LEN, NOW), 1);
    /* The ring goes on over the hole: n[1] is the oldest now. */
    assert_int_equal(session_nonce_new(s, n[4], NOW, &f), 0);
    assert_int_equal(session_nonce_take(s, n[1], SESSION_NONCE_LEN, NOW), 0);
    assert_int_equal(session_nonce_take(s, n[3], SESSION_NONCE_LEN, NOW), 1);
    assert_int_equal(session_nonce_take(s, n[4], SESSION_NONCE_LEN, NOW), 1);
    session_counts(s, &ns, &nn);
    assert_int_equal(nn, 0);
    session_store_free(s);
}

static void test_sessions(void **state)
{
    struct session_store *s;
    char t1[SESSION_TOKEN_TEXT_SIZE], t2[SESSION_TOKEN_TEXT_SIZE];
    char t3[SESSION_TOKEN_TEXT_SIZE];
    struct ethaddr a, b, got;
    int64_t exp;
    struct fault f;
    size_t i, ns, nn;

    (void)state;
    addr_of(&a, 0xaa);
    addr_of(&b, 0xbb);
    assert_int_equal(session_store_new(&s, 2, 1, &f), 0);
    assert_int_equal(session_open(s, t1, &a, NOW + 60, NOW, &f), 0);
    assert_int_equal(strlen(t1), SESSION_TOKEN_TEXT_SIZE - 1);
    assert_memory_equal(t1, "0x", 2);
    for (i = 2; t1[i] != '\0'; i++)
        assert_true((t1[i] >= '0' && t1[i] <= '9') ||
                    (t1[i] >= 'a' && t1[i] <= 'f'));
    assert_int_equal(session_open(s, t2, &b, NOW + 120, NOW, &f), 0);
    assert_int_equal(session_find(s, &got, &exp, t1, strlen(t1), NOW), 1);
    assert_true(ethaddr_equal(&got, &a));
    assert_true(exp == NOW + 60);
    assert_int_equal(session_find(s, &got, &exp, t2, strlen(t2), NOW), 1);
    assert_true(ethaddr_equal(&got, &b));
    /* Hex digits in upper case name the same bytes. */
    for (i = 2; t2[i] != '\0'; i++)
        if (t2[i] >= 'a' && t2[i] <= 'f')
            t2[i] = (char)(t2[i] - 32);
    assert_int_equal(session_find(s, &got, &exp, t2, strlen(t2), NOW), 1);
    /* Malformed or unknown. */
    assert_int_equal(session_find(s, &got, &exp, t1, strlen(t1) - 1, NOW), 0);
    assert_true(ethaddr_is_zero(&got) && exp == 0);
    memcpy(t3, t1, sizeof t3);
    t3[10] = t3[10] == '0' ? '1' : '0';
    assert_int_equal(session_find(s, &got, &exp, t3, strlen(t3), NOW), 0);
    t3[0] = 'x';
    assert_int_equal(session_find(s, &got, &exp, t3, strlen(t3), NOW), 0);
    /* Expiry: live until the second it ends. */
    assert_int_equal(session_find(s, &got, &exp, t1, strlen(t1), NOW + 59), 1);
    assert_int_equal(session_find(s, &got, &exp, t1, strlen(t1), NOW + 60), 0);
    assert_int_equal(session_find(s, &got, &exp, t1, strlen(t1), NOW), 0);
    session_counts(s, &ns, &nn);
    assert_int_equal(ns, 1);
    /* Close. */
    assert_int_equal(session_close(s, t2, strlen(t2), NOW), 1);
    assert_int_equal(session_close(s, t2, strlen(t2), NOW), 0);
    assert_int_equal(session_find(s, &got, &exp, t2, strlen(t2), NOW), 0);
    /* Bound of two: a third session ends the oldest living one. */
    assert_int_equal(session_open(s, t1, &a, NOW + 60, NOW, &f), 0);
    assert_int_equal(session_open(s, t2, &b, NOW + 60, NOW, &f), 0);
    assert_int_equal(session_open(s, t3, &b, NOW + 60, NOW, &f), 0);
    assert_int_equal(session_find(s, &got, &exp, t1, strlen(t1), NOW), 0);
    assert_int_equal(session_find(s, &got, &exp, t2, strlen(t2), NOW), 1);
    assert_int_equal(session_find(s, &got, &exp, t3, strlen(t3), NOW), 1);
    session_expire(s, NOW + 60);
    session_counts(s, &ns, &nn);
    assert_int_equal(ns, 0);
    /* A session that would end at once is refused. */
    assert_int_equal(session_open(s, t1, &a, NOW, NOW, &f), -1);
    assert_string_equal(t1, "");
    session_store_free(s);
}

static void test_bounds(void **state)
{
    struct session_store *s = (void *)1;
    struct fault f;

    (void)state;
    assert_int_equal(session_store_new(&s, 0, 1, &f), -1);
    assert_null(s);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_int_equal(session_store_new(&s, 1, 0, &f), -1);
    assert_null(s);
    session_store_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonces),
        cmocka_unit_test(test_nonce_bound),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
