/* colorder: classifying and comparing column values, and the planner's
 * keep/skip answer, checked against tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/colorder.h"

static int sgn(int v)
{
    return v < 0 ? -1 : v > 0;
}

#define U(s) ((const uint8_t *)(s))

/* ---- classifying and comparing ----------------------------------------- */

struct classify_case {
    const char *text;
    enum colorder_kind kind;
};

static const struct classify_case classify_cases[] = {
    {"", COLORDER_NONE},
    {"0", COLORDER_NUMBER},
    {"-0", COLORDER_NUMBER},
    {"1e3", COLORDER_NUMBER},
    {"1E+3", COLORDER_NUMBER},
    {"-12.50", COLORDER_NUMBER},
    {"123456789012345678901234567890", COLORDER_NUMBER},
    {"1e99999999999999999999", COLORDER_NUMBER},
    {"NaN", COLORDER_TEXT},
    {"007", COLORDER_TEXT},
    {"+5", COLORDER_TEXT},
    {".5", COLORDER_TEXT},
    {"1.", COLORDER_TEXT},
    {" 1", COLORDER_TEXT},
    {"1 ", COLORDER_TEXT},
    {"0x1F", COLORDER_TEXT},
    {"Infinity", COLORDER_TEXT},
    {"2024-01-01", COLORDER_TEXT},
    {"null", COLORDER_TEXT}, /* in CSV, the text null */
    {"\xc3\xa9", COLORDER_TEXT},
};

static void test_classify(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof classify_cases / sizeof classify_cases[0]; i++) {
        const struct classify_case *c = &classify_cases[i];
        if (colorder_classify_field(U(c->text), strlen(c->text)) != c->kind)
            fail_msg("classify \"%s\"", c->text);
    }
    assert_int_equal(colorder_classify_field(NULL, 0), COLORDER_NONE);
    /* JSON Lines: by JSON type; a string is text even when it reads as a
     * number, and the empty string is not indexed. */
    assert_int_equal(colorder_classify_json(COLORDER_JSON_NUMBER, 3),
                     COLORDER_NUMBER);
    assert_int_equal(colorder_classify_json(COLORDER_JSON_STRING, 2),
                     COLORDER_TEXT);
    assert_int_equal(colorder_classify_json(COLORDER_JSON_STRING, 0),
                     COLORDER_NONE);
    assert_int_equal(colorder_classify_json(COLORDER_JSON_OTHER, 4),
                     COLORDER_NONE);
    /* column types */
    assert_int_equal(colorder_type_of(1, 0), COLORDER_NUMBER);
    assert_int_equal(colorder_type_of(1, 1), COLORDER_TEXT);
    assert_int_equal(colorder_type_of(0, 1), COLORDER_TEXT);
    assert_int_equal(colorder_type_of(0, 0), COLORDER_TEXT);
}

struct compare_case {
    enum colorder_kind type;
    const char *a, *b;
    int want;    /* sign */
    size_t alen; /* 0: strlen(a) */
};

static const struct compare_case compare_cases[] = {
    {COLORDER_NUMBER, "0", "-0", 0, 0},
    {COLORDER_NUMBER, "1e3", "1000", 0, 0},
    {COLORDER_NUMBER, "1E+3", "1000.000", 0, 0},
    {COLORDER_NUMBER, "0.1", "1e-1", 0, 0},
    {COLORDER_NUMBER, "9", "10", -1, 0},
    {COLORDER_NUMBER, "-10", "-9", -1, 0},
    {COLORDER_NUMBER, "1e400", "9e399", 1, 0},
    {COLORDER_NUMBER, "-1e400", "-9e399", -1, 0},
    {COLORDER_NUMBER, "0.1000000000000000000000000001", "0.1", 1, 0},
    {COLORDER_NUMBER, "123456789012345678901234567890",
     "123456789012345678901234567891", -1, 0},
    {COLORDER_NUMBER, "5e-99999999999999999999", "0", 1, 0},
    {COLORDER_TEXT, "10", "9", -1, 0}, /* bytewise: '1' < '9' */
    {COLORDER_TEXT, "1e3", "1000", 1, 0},
    {COLORDER_TEXT, "-0", "0", -1, 0},
    {COLORDER_TEXT, "ab", "abc", -1, 0},
    {COLORDER_TEXT, "", "a", -1, 0},
    {COLORDER_TEXT, "B", "a", -1, 0},
    {COLORDER_TEXT, "e", "\xc3\xa9", -1, 0}, /* e < U+00E9 */
    /* U+FFFF < U+1F600 */
    {COLORDER_TEXT, "\xef\xbf\xbf", "\xf0\x9f\x98\x80", -1, 0},
    {COLORDER_TEXT, "a\x00" "b", "a", 1, 3},
    {COLORDER_TEXT, "a\x00" "b", "a\x01", -1, 3},
};

static void test_compare(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof compare_cases / sizeof compare_cases[0]; i++) {
        const struct compare_case *c = &compare_cases[i];
        size_t al = c->alen ? c->alen : strlen(c->a), bl = strlen(c->b);
        if (sgn(colorder_compare(c->type, U(c->a), al, U(c->b), bl)) !=
                c->want ||
            sgn(colorder_compare(c->type, U(c->b), bl, U(c->a), al)) !=
                -c->want)
            fail_msg("compare %d \"%s\" \"%s\"", c->type, c->a, c->b);
    }
    assert_int_equal(colorder_compare(COLORDER_TEXT, NULL, 0, NULL, 0), 0);
}

/* ---- ops and conditions ----------------------------------------------- */

static void test_ops(void **state)
{
    static const char *const good[] = {"=", "!=", "<", "<=", ">", ">="};
    static const char *const bad[] = {"",   "==", "<>", "=<", "=>", " =",
                                      "= ", "!",  "!==", "ne", "=\0"};
    enum colorder_op op;
    size_t i;

    (void)state;
    for (i = 0; i < 6; i++) {
        assert_int_equal(colorder_op_parse(&op, good[i], strlen(good[i])), 0);
        assert_string_equal(colorder_op_name(op), good[i]);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i]) + (strcmp(bad[i], "=") == 0);
        op = COLORDER_GE;
        assert_int_equal(colorder_op_parse(&op, bad[i], n), -1);
        assert_int_equal(op, COLORDER_EQ);
    }
    assert_int_equal(colorder_op_parse(&op, NULL, 0), -1);
    assert_string_equal(colorder_op_name((enum colorder_op)99), "?");
}

static void test_cond_init(void **state)
{
    struct colorder_cond c;
    struct fault f;

    (void)state;
    fault_clear(&f);
    assert_int_equal(colorder_cond_init(&c, COLORDER_NUMBER, COLORDER_LT,
                                        COLORDER_NUMBER, U("1e3"), 3,
                                        "where[0][2]", &f),
                     0);
    assert_int_equal(c.type, COLORDER_NUMBER);
    assert_int_equal(c.op, COLORDER_LT);
    /* the wrong JSON type for the column: 400 naming the field */
    memset(&c, 0xa5, sizeof c);
    assert_int_equal(colorder_cond_init(&c, COLORDER_NUMBER, COLORDER_EQ,
                                        COLORDER_TEXT, U("5"), 1,
                                        "where[1][2]", &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "where[1][2]");
    assert_null(c.v); /* cleared */
    assert_int_equal(c.vn, 0);
    fault_clear(&f);
    assert_int_equal(colorder_cond_init(&c, COLORDER_TEXT, COLORDER_EQ,
                                        COLORDER_NUMBER, U("5"), 1,
                                        "where[2][2]", &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "where[2][2]");
    /* a number that is not one */
    fault_clear(&f);
    assert_int_equal(colorder_cond_init(&c, COLORDER_NUMBER, COLORDER_EQ,
                                        COLORDER_NUMBER, U("007"), 3, NULL,
                                        &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "");
    /* misuse */
    fault_clear(&f);
    assert_int_equal(colorder_cond_init(&c, COLORDER_NONE, COLORDER_EQ,
                                        COLORDER_TEXT, U("a"), 1, NULL, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    assert_int_equal(colorder_cond_init(&c, COLORDER_TEXT,
                                        (enum colorder_op)6, COLORDER_TEXT,
                                        U("a"), 1, NULL, &f),
                     -1);
    assert_int_equal(colorder_cond_init(&c, COLORDER_TEXT, COLORDER_EQ,
                                        COLORDER_TEXT, NULL, 1, NULL, &f),
                     -1);
    assert_int_equal(colorder_cond_init(&c, COLORDER_TEXT, COLORDER_EQ,
                                        COLORDER_TEXT, U("a"), 1, NULL, NULL),
                     0);
    /* the empty string is a string: a text column takes it */
    assert_int_equal(colorder_cond_init(&c, COLORDER_TEXT, COLORDER_GE,
                                        COLORDER_TEXT, NULL, 0, NULL, &f),
                     0);
    assert_int_equal(colorder_cond_keep(&c, U("a"), 1, U("b"), 1), 1);
    assert_int_equal(colorder_cond_match(&c, COLORDER_TEXT, U("a"), 1), 1);
}

/* One row of the keep table: a column of type type, a chunk whose bounds
 * are min and max (NULL: missing), the condition "op value": keep? */
struct keep_case {
    enum colorder_kind type;
    const char *op;
    const char *value;
    const char *min, *max;
    int keep;
};

#define N COLORDER_NUMBER
#define T COLORDER_TEXT

static const struct keep_case keep_cases[] = {
    /* every op, numbers, value below, at and between the bounds, above */
    {N, "=", "0", "1", "5", 0},     {N, "=", "1", "1", "5", 1},
    {N, "=", "3", "1", "5", 1},     {N, "=", "5", "1", "5", 1},
    {N, "=", "6", "1", "5", 0},     {N, "!=", "0", "1", "5", 1},
    {N, "!=", "1", "1", "5", 1},    {N, "!=", "5", "1", "5", 1},
    {N, "<", "1", "1", "5", 0},     {N, "<", "1.5", "1", "5", 1},
    {N, "<", "0", "1", "5", 0},     {N, "<=", "1", "1", "5", 1},
    {N, "<=", "0.999", "1", "5", 0}, {N, ">", "5", "1", "5", 0},
    {N, ">", "4.999", "1", "5", 1}, {N, ">", "9", "1", "5", 0},
    {N, ">=", "5", "1", "5", 1},    {N, ">=", "5.0001", "1", "5", 0},
    {N, ">=", "-7", "1", "5", 1},
    /* equal min and max: != leaves it out only when both equal the value */
    {N, "!=", "3", "3", "3", 0},    {N, "!=", "3.0", "3", "3", 0},
    {N, "!=", "4", "3", "3", 1},    {N, "=", "3", "3", "3", 1},
    {N, "=", "3e0", "3", "3", 1},   {N, "<", "3", "3", "3", 0},
    {N, "<=", "3", "3", "3", 1},    {N, ">", "3", "3", "3", 0},
    {N, ">=", "3", "3", "3", 1},
    /* -0 is 0 */
    {N, "=", "0", "-0", "-0", 1},   {N, "!=", "0", "-0", "-0", 0},
    {N, "!=", "-0", "0", "0.000", 0}, {N, "<", "0", "-0", "2", 0},
    {N, ">", "-0", "-5", "0", 0},   {N, "<", "-0", "-0.0", "1", 0},
    /* 1e3 is 1000 */
    {N, "=", "1000", "1e3", "1e3", 1}, {N, "!=", "1000", "1e3", "1E+3", 0},
    {N, "!=", "1e3", "1000", "1000.0", 0}, {N, ">", "1e3", "10", "1000", 0},
    {N, ">=", "1e3", "10", "1000", 1}, {N, "<", "1000", "1e3", "2e3", 0},
    /* exponents */
    {N, ">", "9e399", "1", "1e400", 1}, {N, ">", "1e400", "1", "9e399", 0},
    {N, "<", "-1e400", "-9e399", "0", 0},
    {N, "<", "5e-99999999999999999999", "0", "1", 1},
    {N, "<=", "0", "5e-99999999999999999999", "1", 0},
    {N, "=", "1e99999999999999999999", "1", "1e400", 0},
    {N, "=", "0.00001", "1e-5", "1e-5", 1},
    /* long decimals, exactly */
    {N, ">", "0.1", "0", "0.1000000000000000000000000001", 1},
    {N, ">", "0.1000000000000000000000000001", "0", "0.1", 0},
    {N, "=", "123456789012345678901234567891",
     "123456789012345678901234567890", "123456789012345678901234567890", 0},
    {N, "<", "3.14159265358979323846264338327950288",
     "3.1415926535897932384626433832795029", "4", 0},
    {N, "<=", "3.14159265358979323846264338327950290",
     "3.1415926535897932384626433832795029", "4", 1},
    /* missing bounds prove nothing on their side */
    {N, "=", "7", NULL, NULL, 1},   {N, "!=", "7", NULL, NULL, 1},
    {N, "<", "7", NULL, "1", 1},    {N, "<", "7", "9", NULL, 0},
    {N, ">", "7", "1", NULL, 1},    {N, ">", "7", NULL, "5", 0},
    {N, "=", "7", NULL, "5", 0},    {N, "=", "7", "9", NULL, 0},
    {N, "!=", "7", "7", NULL, 1},   {N, "!=", "7", NULL, "7", 1},
    /* a number bound that is not a number (a damaged index): missing */
    {N, "<", "7", "x", "9", 1},     {N, ">", "7", "1", "NaN", 1},
    {N, "!=", "7", "7", "007", 1},
    /* text: bytewise */
    {T, "=", "b", "a", "c", 1},     {T, "=", "d", "a", "c", 0},
    {T, "<", "a", "a", "c", 0},     {T, "<", "a\x01", "a", "c", 1},
    {T, "<=", "a", "a", "c", 1},    {T, ">", "c", "a", "c", 0},
    {T, ">", "bzzz", "a", "c", 1},  {T, ">=", "c", "a", "c", 1},
    {T, "=", "10", "9", "9", 0},    /* numbers' text compares bytewise */
    {T, "<", "9", "10", "20", 1},   {T, ">", "9", "10", "20", 0},
    {T, "=", "", "a", "b", 0},      {T, "<", "", "a", "b", 0},
    {T, ">=", "", "a", "b", 1},     {T, "!=", "", "a", "b", 1},
    {T, "!=", "x", "x", "x", 0},    {T, "!=", "x", "x", "xa", 1},
    {T, "!=", "xa", "x", "xa", 1},
    /* UTF-8: code point order */
    {T, "=", "\xc3\xa9", "e", "f", 0},
    {T, ">", "z", "e", "\xc3\xa9", 1},
    {T, "<", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", 0},
    {T, ">", "\xef\xbf\xbf", "a", "\xf0\x9f\x98\x80", 1},
    {T, "=", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 1},
    /* bounds cut to max_index_value (16): the min is a prefix of the true
     * min, the max is cut and raised ("abcdefghijklmnop..." -> "...noq") */
    {T, "=", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop",
     "abcdefghijklmnoq", 1},
    {T, "=", "abcdefghijklmnop", "abcdefghijklmnop", "abcdefghijklmnoq", 1},
    {T, "=", "abcdefghijklmnoq", "abcdefghijklmnop", "abcdefghijklmnoq", 1},
    {T, "=", "abcdefghijklmnoqa", "abcdefghijklmnop", "abcdefghijklmnoq",
     0},
    {T, "<", "abcdefghijklmnop", "abcdefghijklmnop", "abcdefghijklmnoq",
     0},
    {T, "<", "abcdefghijklmnopA", "abcdefghijklmnop", "abcdefghijklmnoq",
     1},
    {T, ">", "abcdefghijklmnoq", "abcdefghijklmnop", "abcdefghijklmnoq",
     0},
    {T, ">", "abcdefghijklmnop\xff\xff", "abcdefghijklmnop",
     "abcdefghijklmnoq", 1},
    {T, ">=", "abcdefghijklmnoq", "abcdefghijklmnop", "abcdefghijklmnoq",
     1},
    {T, "!=", "abcdefghijklmnop", "abcdefghijklmnop", "abcdefghijklmnoq",
     1},
    /* a max of 0xff bytes could not be raised: no max */
    {T, ">", "\xff\xff\xff", "x", NULL, 1},
    {T, "<", "a", "x", NULL, 0},
};

#undef N
#undef T

static void test_keep_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof keep_cases / sizeof keep_cases[0]; i++) {
        const struct keep_case *k = &keep_cases[i];
        struct colorder_cond c;
        enum colorder_op op;
        struct fault f;
        int got;
        assert_int_equal(colorder_op_parse(&op, k->op, strlen(k->op)), 0);
        if (colorder_cond_init(&c, k->type, op, k->type, U(k->value),
                               strlen(k->value), "v", &f) < 0)
            fail_msg("case %zu: %s", i, f.detail);
        got = colorder_cond_keep(&c, U(k->min), k->min ? strlen(k->min) : 0,
                                 U(k->max), k->max ? strlen(k->max) : 0);
        if (got != k->keep)
            fail_msg("case %zu: %s column, [%s, %s] %s %s: keep %d, want %d",
                     i, k->type == COLORDER_NUMBER ? "number" : "text",
                     k->min ? k->min : "-", k->max ? k->max : "-", k->op,
                     k->value, got, k->keep);
    }
}

struct match_case {
    enum colorder_kind type;
    const char *op, *value;
    enum colorder_kind kind; /* of the row's value */
    const char *row;
    int match;
};

#define N COLORDER_NUMBER
#define T COLORDER_TEXT
#define X COLORDER_NONE

static const struct match_case match_cases[] = {
    {N, "=", "1000", N, "1e3", 1},   {N, "!=", "1000", N, "1e3", 0},
    {N, "=", "0", N, "-0", 1},       {N, "<", "0", N, "-0", 0},
    {N, ">", "1", N, "1.0000000000000000000001", 1},
    {N, "<=", "-1", N, "-1e0", 1},   {N, ">=", "2", N, "1e0", 0},
    /* not indexed: no condition holds, != included */
    {N, "!=", "5", X, "", 0},        {T, "!=", "a", X, "", 0},
    {T, "<", "a", X, "", 0},         {T, "=", "", X, "", 0},
    /* a number column's value that is not a number matches nothing */
    {N, "!=", "5", T, "x", 0},       {N, "=", "7", T, "7", 0},
    /* text compares bytewise, numbers' text included */
    {T, "=", "1e3", N, "1e3", 1},    {T, "=", "1000", N, "1e3", 0},
    {T, "<", "9", N, "10", 1},       {T, "!=", "a", T, "b", 1},
    {T, ">=", "\xc3\xa9", T, "\xc3\xa9t\xc3\xa9", 1},
    {T, ">", "", T, "a", 1},
};

#undef N
#undef T
#undef X

static void test_match_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        const struct match_case *m = &match_cases[i];
        struct colorder_cond c;
        enum colorder_op op;
        struct fault f;
        assert_int_equal(colorder_op_parse(&op, m->op, strlen(m->op)), 0);
        assert_int_equal(colorder_cond_init(&c, m->type, op, m->type,
                                            U(m->value), strlen(m->value),
                                            NULL, &f),
                         0);
        if (colorder_cond_match(&c, m->kind, U(m->row), strlen(m->row)) !=
            m->match)
            fail_msg("match case %zu", i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_cond_init),
        cmocka_unit_test(test_keep_table),
        cmocka_unit_test(test_match_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
