/* Unit tests for lib/textbuf.c: appends across growth, NUL termination,
 * and the sticky failure of an append that cannot fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/textbuf.h"

static void test_empty(void **state)
{
    struct textbuf b = TEXTBUF_INIT;

    (void)state;
    assert_null(b.p);
    textbuf_puts(&b, "");
    assert_non_null(b.p);
    assert_string_equal(b.p, "");
    assert_int_equal(b.len, 0);
    assert_false(b.failed);
    textbuf_free(&b);
    assert_null(b.p);
}

/* Many appends of every length up to 700 bytes cross several growths; the
 * text equals the pieces put together, NUL-terminated after each step. */
static void test_growth(void **state)
{
    static char want[300000];
    struct textbuf b = TEXTBUF_INIT;
    char piece[701];
    size_t n, off = 0;

    (void)state;
    for (n = 0; n <= 700; n++) {
        memset(piece, 'a' + (int)(n % 26), n);
        piece[n] = '\0';
        textbuf_put(&b, piece, n);
        memcpy(want + off, piece, n);
        off += n;
        assert_int_equal(b.len, off);
        assert_true(b.cap > b.len);
        assert_int_equal(b.p[b.len], '\0');
    }
    assert_false(b.failed);
    assert_memory_equal(b.p, want, off);
    textbuf_free(&b);
}

/* An append that cannot fit fails the buffer for good and keeps what it
 * held; a later small append adds nothing. */
static void test_failure_sticks(void **state)
{
    struct textbuf b = TEXTBUF_INIT;

    (void)state;
    textbuf_puts(&b, "kept");
    textbuf_put(&b, "x", (size_t)-1 / 2);
    assert_true(b.failed);
    assert_string_equal(b.p, "kept");
    textbuf_puts(&b, " more");
    assert_true(b.failed);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.p, "kept");
    textbuf_free(&b);
    assert_false(b.failed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_failure_sticks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
