/* colorder: classifying and comparing column values, the running bounds of
 * a chunk, and the planner's keep/skip answer, checked against tables, a
 * model of the bounds, and brute force over the rows of chunks cut by the
 * real splitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/colorder.h"
#include "storage/jsonrow.h"
#include "storage/numtext.h"
#include "storage/splitter.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t rnd(size_t n)
{
    return n ? (size_t)(rng() % n) : 0;
}

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

/* ---- values for the randomized tests ------------------------------------ */

static const char *const num_pool[] = {
    "0", "-0", "0.0", "-0.00", "1", "-1", "7", "8", "10", "99", "100",
    "1e3", "1000", "1E3", "1e+3", "1000.000", "1e-3", "0.001", "1.5",
    "1.50", "-1.5", "21.53", "-47.1", "99.99", "37.54", "15.39", "-3.21",
    "1e400", "9e399", "-1e400", "1e-400", "5e-99999999999999999999",
    "1e99999999999999999999", "123456789012345678901234567890",
    "123456789012345678901234567891", "0.1", "0.1000000000000000000000000001",
    "3.14159265358979323846264338327950288", "12345678.12345678",
    "-12345678.12345678", "2.5E-3", "-2.5e-3", "1.7976931348623157e308",
};

static const char *const text_pool[] = {
    "a", "b", "ab", "abc", "A", "Z", "zzz", "e", "f", "x y", "-", "NaN",
    "007", "+5", ".5", "1.", " 1", "0x1F", "sensor-0042", "2024-01-01",
    "\xc3\xa9", "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
    "\xef\xbf\xbf", "abcdefghijklmnop", "abcdefghijklmnopq",
    "abcdefghijklmnoq", "abcdefghijklmnopqrstuvwxyz",
    "abcdefghijklmno\xff\xff\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    "\xff\xff\xff\xff\xff\xff\xff\xff", "with,comma", "with \"quote\"",
    "37x54", "07.54",
};

#define NPOOL(a) (sizeof(a) / sizeof(a)[0])

/* A random number of many shapes into buf (NUL-terminated). */
static void gen_number(char *buf, size_t cap)
{
    size_t n = 0, k, d;

    if (rnd(3) == 0) {
        snprintf(buf, cap, "%s", num_pool[rnd(NPOOL(num_pool))]);
        return;
    }
    if (rnd(3) == 0)
        buf[n++] = '-';
    d = rnd(8) == 0 ? 1 + rnd(30) : 1 + rnd(4);
    if (rnd(5) == 0 || d == 1) {
        buf[n++] = (char)('0' + rnd(10));
    } else {
        buf[n++] = (char)('1' + rnd(9));
        for (k = 1; k < d; k++)
            buf[n++] = (char)('0' + rnd(10));
    }
    if (rnd(2)) {
        d = rnd(8) == 0 ? 1 + rnd(30) : 1 + rnd(3);
        buf[n++] = '.';
        for (k = 0; k < d; k++)
            buf[n++] = (char)('0' + rnd(10));
    }
    if (rnd(5) == 0) {
        buf[n++] = rnd(2) ? 'e' : 'E';
        if (rnd(2))
            buf[n++] = rnd(2) ? '-' : '+';
        d = rnd(10) == 0 ? 25 : 1 + rnd(2);
        for (k = 0; k < d; k++)
            buf[n++] = (char)('0' + rnd(10));
    }
    buf[n] = '\0';
    (void)cap;
}

/* A random text into buf (NUL-terminated, no NUL inside); utf8: valid
 * UTF-8 only. */
static void gen_text(char *buf, size_t cap, int utf8)
{
    static const char *const bits[] = {"a", "b", "z", "A", "0", "9", "-", ".",
                                       " ", "\xc3\xa9", "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80", "\xff", "~"};
    size_t n = 0, k, len;

    if (rnd(3) == 0) {
        snprintf(buf, cap, "%s", text_pool[rnd(NPOOL(text_pool))]);
    } else {
        if (rnd(3) == 0)
            n = (size_t)snprintf(buf, cap, "abcdefghijklmno");
        len = 1 + rnd(rnd(4) == 0 ? 30 : 6);
        for (k = 0; k < len; k++) {
            const char *b = bits[rnd(NPOOL(bits))];
            size_t bl = strlen(b);
            memcpy(buf + n, b, bl);
            n += bl;
        }
        buf[n] = '\0';
    }
    if (utf8 && !jsonrow_utf8_valid((const uint8_t *)buf, strlen(buf)))
        snprintf(buf, cap, "x%zu", rnd(100));
}

/* ---- the folds against a model ----------------------------------------- */

struct mval {
    uint8_t *p; /* with COLORDER_PAD bytes after it */
    size_t n;
    enum colorder_kind kind;
};

static uint8_t *padded(const void *p, size_t n)
{
    uint8_t *b = malloc(n + COLORDER_PAD);

    assert_non_null(b);
    memcpy(b, p, n);
    memset(b + n, 0x5a, COLORDER_PAD);
    return b;
}

/* The cut of a text bound as the index stores it; 0 when there is none
 * (a max of 0xff bytes only). */
static int model_cut(uint8_t *out, size_t *outn, const struct mval *v,
                     int is_max, size_t lim)
{
    size_t n = v->n < lim ? v->n : lim;

    memcpy(out, v->p, n);
    if (is_max && v->n > lim) {
        while (n > 0 && out[n - 1] == 0xff)
            n--;
        if (n == 0)
            return 0;
        out[n - 1]++;
    }
    *outn = n;
    return 1;
}

static void assert_bytes(const uint8_t *got, size_t gotn, const uint8_t *want,
                         size_t wantn, const char *what)
{
    if (got == NULL)
        fail_msg("%s: no bound", what);
    if (gotn != wantn || memcmp(got, want, wantn) != 0)
        fail_msg("%s: got \"%.*s\", want \"%.*s\"", what, (int)gotn,
                 (const char *)got, (int)wantn, (const char *)want);
    assert_int_equal(got[gotn], 0);
}

/* Check the bounds taken for one chunk against its values vals[0..n). */
static void check_taken(const struct mval *vals, size_t n, size_t lim,
                        const struct colorder_bound *num,
                        const struct colorder_bound *text)
{
    const struct mval *nmin = NULL, *nmax = NULL, *tmin = NULL, *tmax = NULL;
    int poison = 0;
    uint8_t want[512];
    size_t wn, i;

    for (i = 0; i < n; i++) {
        const struct mval *v = &vals[i];
        if (v->kind == COLORDER_NONE)
            continue;
        if (v->kind == COLORDER_NUMBER) {
            poison |= v->n > lim;
            if (!nmin || colorder_compare(COLORDER_NUMBER, v->p, v->n,
                                          nmin->p, nmin->n) < 0)
                nmin = v;
            if (!nmax || colorder_compare(COLORDER_NUMBER, v->p, v->n,
                                          nmax->p, nmax->n) > 0)
                nmax = v;
        }
        if (!tmin ||
            colorder_compare(COLORDER_TEXT, v->p, v->n, tmin->p, tmin->n) < 0)
            tmin = v;
        if (!tmax ||
            colorder_compare(COLORDER_TEXT, v->p, v->n, tmax->p, tmax->n) > 0)
            tmax = v;
    }
    if (nmin == NULL || poison) {
        assert_null(num->min);
        assert_null(num->max);
    } else {
        assert_bytes(num->min, num->min_len, nmin->p, nmin->n, "num min");
        assert_bytes(num->max, num->max_len, nmax->p, nmax->n, "num max");
    }
    if (tmin == NULL) {
        assert_null(text->min);
        assert_null(text->max);
        return;
    }
    assert_true(model_cut(want, &wn, tmin, 0, lim));
    assert_bytes(text->min, text->min_len, want, wn, "text min");
    if (model_cut(want, &wn, tmax, 1, lim))
        assert_bytes(text->max, text->max_len, want, wn, "text max");
    else
        assert_null(text->max);
}

/* Values folded every way the splitter folds them: CSV fields from a
 * scratch copy (colorder_fold; the copy is scribbled over at once, so the
 * column must keep nothing of it), CSV fields that stay in place
 * (colorder_fold_at; now and then the place moves: settle, copy, scribble,
 * colorder_ctx_moved), JSON numbers, strings and other values
 * (colorder_fold_json), JSON strings in place (colorder_fold_json_at). Each chunk's bounds and the column's type are
 * checked against the model. */
static void test_fold_model(void **state)
{
    size_t round;

    (void)state;
    for (round = 0; round < 3000; round++) {
        struct colorder_ctx ctx;
        struct colorder_col col;
        struct fault f;
        size_t lim = rnd(2) ? 16 : 256, chunk, nchunks = 1 + rnd(4);
        int seen_num = 0, seen_text = 0;
        uint64_t t_clock = rnd(1000);

        assert_int_equal(colorder_ctx_init(&ctx, lim, &f), 0);
        colorder_col_init(&col);
        for (chunk = 0; chunk < nchunks; chunk++) {
            struct mval vals[40];
            struct colorder_bound num, text;
            /* the values that stay in place: one arena per chunk */
            uint8_t *arena = calloc(40, 512 + COLORDER_PAD);
            size_t nv = rnd(40), i, at = 0;
            int rising = rnd(3) == 0;

            assert_non_null(arena);
            for (i = 0; i < nv; i++) {
                char buf[480];
                size_t way = rnd(12);
                struct mval *v = &vals[i];
                if (rising && rnd(4)) {
                    t_clock += rnd(3);
                    if (rnd(6) == 0) /* now and then back a little */
                        t_clock -= t_clock < 40 ? t_clock : rnd(40);
                    snprintf(buf, sizeof buf, "2024-01-01T%02llu:%02llu:%02lluZ",
                             (unsigned long long)(t_clock / 3600 % 24),
                             (unsigned long long)(t_clock / 60 % 60),
                             (unsigned long long)(t_clock % 60));
                } else if (rnd(2)) {
                    gen_number(buf, sizeof buf);
                    if (rnd(30) == 0)
                        memset(buf, '1', 300), buf[300] = '\0';
                } else if (rnd(8)) {
                    gen_text(buf, sizeof buf, way >= 7);
                } else {
                    buf[0] = '\0';
                }
                v->n = strlen(buf);
                v->p = padded(buf, v->n);
                if (way < 3) { /* a CSV field from a scratch copy */
                    uint8_t *tmp = padded(buf, v->n);
                    v->kind = colorder_classify_field(v->p, v->n);
                    assert_int_equal(colorder_fold(&ctx, &col, tmp, v->n, &f),
                                     0);
                    memset(tmp, 0xee, v->n + COLORDER_PAD);
                    free(tmp);
                } else if (way < 7) { /* a CSV field in place */
                    uint8_t *place = arena + at;
                    memcpy(place, buf, v->n);
                    at += v->n + COLORDER_PAD;
                    v->kind = colorder_classify_field(v->p, v->n);
                    assert_int_equal(
                        colorder_fold_at(&ctx, &col, place, v->n, &f), 0);
                    if (rnd(10) == 0) { /* the place moves */
                        uint8_t *moved = calloc(40, 512 + COLORDER_PAD);
                        assert_non_null(moved);
                        assert_int_equal(colorder_col_settle(&ctx, &col, &f),
                                         0);
                        memcpy(moved, arena, at);
                        memset(arena, 0xee, at);
                        free(arena);
                        arena = moved;
                        colorder_ctx_moved(&ctx);
                    }
                } else if (way < 8 || v->n == 0) { /* a JSON string */
                    v->kind = colorder_classify_json(COLORDER_JSON_STRING,
                                                     v->n);
                    assert_int_equal(
                        colorder_fold_json(&ctx, &col, COLORDER_JSON_STRING,
                                           v->p, v->n, NULL, &f),
                        0);
                } else if (way < 10) { /* a JSON string in place */
                    uint8_t *place = arena + at;
                    memcpy(place, buf, v->n);
                    at += v->n + COLORDER_PAD;
                    v->kind = COLORDER_TEXT;
                    assert_int_equal(
                        colorder_fold_json_at(&ctx, &col,
                                              COLORDER_JSON_STRING, place,
                                              v->n, NULL, &f),
                        0);
                } else { /* a JSON number, when it is one */
                    struct numtext_parts np;
                    if (numtext_parse(&np, buf, v->n)) {
                        v->kind = COLORDER_NUMBER;
                        assert_int_equal(
                            (way == 10 ? colorder_fold_json
                                       : colorder_fold_json_at)(
                                &ctx, &col, COLORDER_JSON_NUMBER, v->p, v->n,
                                &np, &f),
                            0);
                    } else {
                        v->kind = COLORDER_NONE; /* null, say */
                        assert_int_equal(
                            colorder_fold_json(&ctx, &col,
                                               COLORDER_JSON_OTHER, v->p,
                                               v->n, NULL, &f),
                            0);
                    }
                }
                seen_num |= v->kind == COLORDER_NUMBER;
                seen_text |= v->kind == COLORDER_TEXT;
                assert_int_equal(colorder_col_type(&col),
                                 colorder_type_of(seen_num, seen_text));
            }
            assert_int_equal(colorder_col_take(&ctx, &col, &num, &text, &f),
                             0);
            colorder_ctx_moved(&ctx); /* the chunk is cut */
            memset(arena, 0xee, 40 * (512 + COLORDER_PAD));
            free(arena);
            check_taken(vals, nv, lim, &num, &text);
            colorder_bound_free(&num);
            colorder_bound_free(&text);
            assert_null(num.min);
            for (i = 0; i < nv; i++)
                free(vals[i].p);
        }
        assert_int_equal(colorder_col_type(&col),
                         colorder_type_of(seen_num, seen_text));
        colorder_col_release(&col);
        colorder_ctx_release(&ctx);
    }
}

static void test_ctx_misuse(void **state)
{
    struct colorder_ctx ctx;
    struct fault f;

    (void)state;
    fault_clear(&f);
    assert_int_equal(colorder_ctx_init(&ctx, 15, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "max_index_value");
    assert_null(ctx.shapes);
    colorder_ctx_release(&ctx);
    colorder_ctx_release(NULL);
    colorder_bound_free(NULL);
    assert_int_equal(colorder_ctx_init(&ctx, 16, &f), 0);
    colorder_ctx_release(&ctx);
    assert_null(ctx.shapes);
}

/* ---- the planner's answer against the rows of real chunks --------------- */

/* A data-set as generated: nrows x ncols values with their kinds. */
struct dset {
    size_t ncols, nrows;
    struct mval *v; /* row-major */
    char *buf;      /* the file */
    size_t len, cap;
};

static void dput(struct dset *d, const void *p, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        d->buf = realloc(d->buf, d->cap);
        assert_non_null(d->buf);
    }
    memcpy(d->buf + d->len, p, n);
    d->len += n;
}

static void dputs(struct dset *d, const char *s)
{
    dput(d, s, strlen(s));
}

static void dset_free(struct dset *d)
{
    size_t i;

    for (i = 0; i < d->ncols * d->nrows; i++)
        free(d->v[i].p);
    free(d->v);
    free(d->buf);
    memset(d, 0, sizeof *d);
}

/* Column styles: what a column holds. */
enum dstyle {
    DS_NUMBERS,   /* numbers of many shapes, some empty */
    DS_MIXED,     /* numbers and text */
    DS_TEXT,      /* text, some empty */
    DS_RISING,    /* long rising timestamps, repeats (the lazy max) */
    DS_LONGNUM,   /* numbers, some longer than max_index_value */
    DS_EMPTY,     /* nothing indexed */
    DS_COUNT
};

static void gen_value(char *buf, size_t cap, enum dstyle st, int jsonl,
                      uint64_t *clock)
{
    size_t k = rnd(10);

    if (st == DS_EMPTY || (st != DS_RISING && k == 0)) {
        buf[0] = '\0';
        return;
    }
    switch (st) {
    case DS_NUMBERS:
        gen_number(buf, cap);
        return;
    case DS_MIXED:
        if (k < 5)
            gen_number(buf, cap);
        else
            gen_text(buf, cap, jsonl);
        return;
    case DS_TEXT:
        gen_text(buf, cap, jsonl);
        return;
    case DS_RISING:
        *clock += rnd(3);
        if (rnd(12) == 0)
            *clock -= *clock < 30 ? *clock : rnd(30);
        snprintf(buf, cap, "2024-01-01T00:%02llu:%02llu.%06lluZ",
                 (unsigned long long)(*clock / 1000000 % 60),
                 (unsigned long long)(*clock / 10000 % 60),
                 (unsigned long long)(*clock % 1000000));
        return;
    case DS_LONGNUM:
        gen_number(buf, cap);
        if (rnd(8) == 0) {
            size_t n = 17 + rnd(20);
            memset(buf, '7', n);
            buf[n] = '\0';
        }
        return;
    case DS_EMPTY:
    case DS_COUNT:
        break;
    }
    buf[0] = '\0';
}

static void put_json_string(struct dset *d, const struct mval *v)
{
    char esc[8];
    size_t i;

    dputs(d, "\"");
    for (i = 0; i < v->n; i++) {
        uint8_t c = v->p[i];
        if (c == '"' || c == '\\') {
            dputs(d, c == '"' ? "\\\"" : "\\\\");
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            dputs(d, esc);
        } else {
            dput(d, &c, 1);
        }
    }
    dputs(d, "\"");
}

/* Generate a CSV or JSON Lines data-set, and the kind of each value as the
 * format makes it (CSV: by the number grammar; JSON: by JSON type). */
static void gen_dset(struct dset *d, int jsonl)
{
    enum dstyle style[4];
    uint64_t clock[4];
    size_t r, c;

    memset(d, 0, sizeof *d);
    d->ncols = 1 + rnd(4);
    d->nrows = 1 + rnd(80);
    d->v = calloc(d->ncols * d->nrows, sizeof *d->v);
    assert_non_null(d->v);
    for (c = 0; c < d->ncols; c++) {
        style[c] = (enum dstyle)rnd(DS_COUNT);
        clock[c] = rnd(100000);
        if (!jsonl) {
            char name[32];
            snprintf(name, sizeof name, "%sc%zu", c ? "," : "", c);
            dputs(d, name);
        }
    }
    if (!jsonl)
        dputs(d, "\n");
    for (r = 0; r < d->nrows; r++) {
        int members = 0;
        if (jsonl)
            dputs(d, "{");
        for (c = 0; c < d->ncols; c++) {
            struct mval *v = &d->v[r * d->ncols + c];
            char buf[480];
            gen_value(buf, sizeof buf, style[c], jsonl, &clock[c]);
            v->n = strlen(buf);
            v->p = padded(buf, v->n);
            if (!jsonl) {
                int quote = strpbrk(buf, ",\"") != NULL || rnd(8) == 0 ||
                            (v->n == 0 && d->ncols == 1);
                v->kind = colorder_classify_field(v->p, v->n);
                if (c)
                    dputs(d, ",");
                if (quote) {
                    const char *q;
                    dputs(d, "\"");
                    for (q = buf; *q; q++) {
                        if (*q == '"')
                            dputs(d, "\"");
                        dput(d, q, 1);
                    }
                    dputs(d, "\"");
                } else {
                    dputs(d, buf);
                }
                continue;
            }
            {
                char key[48];
                snprintf(key, sizeof key, "%s\"c%zu\": ",
                         members ? ", " : "", c);
                if (v->n == 0 && rnd(3) == 0)
                    continue; /* the key is missing */
                dputs(d, key);
                members++;
            }
            if (v->n == 0) {
                static const char *const none[] = {"\"\"", "null", "true",
                                                   "false", "[]", "{}",
                                                   "[1, \"a\"]"};
                v->kind = COLORDER_NONE;
                dputs(d, none[rnd(NPOOL(none))]);
            } else if (numtext_is_number(buf, v->n) && rnd(5)) {
                v->kind = COLORDER_NUMBER;
                dputs(d, buf);
            } else {
                v->kind = COLORDER_TEXT; /* a string, even "12" */
                put_json_string(d, v);
            }
        }
        dputs(d, jsonl ? "}\n" : (rnd(4) ? "\n" : "\r\n"));
    }
}

/* A condition value for a column of type type, near its values. */
static size_t gen_cond_value(char *buf, size_t cap, enum colorder_kind type,
                             const struct dset *d, size_t c, size_t lim)
{
    const struct mval *pick = &d->v[rnd(d->nrows) * d->ncols + c];
    size_t k = rnd(8), n;

    if (type == COLORDER_NUMBER) {
        if (k < 3 && pick->kind == COLORDER_NUMBER && pick->n + 4 < cap) {
            memcpy(buf, pick->p, pick->n);
            n = pick->n;
            /* the same value written otherwise, or a neighbour */
            switch (rnd(5)) {
            case 0:
                memcpy(buf + n, "e0", 2), n += 2;
                break;
            case 1:
                if (memchr(buf, '.', n) && !memchr(buf, 'e', n) &&
                    !memchr(buf, 'E', n))
                    buf[n++] = rnd(2) ? '0' : '1';
                break;
            case 2:
                memcpy(buf + n, "e-1", 3), n += 3;
                break;
            default:
                break;
            }
            buf[n] = '\0';
            if (!numtext_is_number(buf, n))
                gen_number(buf, cap);
        } else {
            gen_number(buf, cap);
        }
        return strlen(buf);
    }
    /* text: a value, a prefix or an extension of one, the cut length */
    if (k < 4 && pick->n > 0 && pick->n + 2 < cap) {
        memcpy(buf, pick->p, pick->n);
        n = pick->n;
        switch (rnd(6)) {
        case 0:
            n = rnd(n + 1);
            break;
        case 1:
            buf[n++] = rnd(2) ? '\x01' : '\xff';
            break;
        case 2:
            if (n > lim)
                n = lim + rnd(2);
            break;
        default:
            break;
        }
        return n;
    }
    if (k == 4)
        return 0; /* "" */
    gen_text(buf, cap, 0);
    return strlen(buf);
}

/* The condition on one row, by brute force: its value is indexed and
 * compares as op says (numbers by numtext_compare, text by memcmp). */
static int brute_match(enum colorder_kind type, enum colorder_op op,
                       const struct mval *v, const uint8_t *x, size_t xn)
{
    int cmp;

    if (v->kind == COLORDER_NONE)
        return 0;
    if (type == COLORDER_NUMBER) {
        assert_int_equal(v->kind, COLORDER_NUMBER);
        cmp = sgn(numtext_compare((const char *)v->p, v->n, (const char *)x,
                                  xn));
    } else {
        size_t m = v->n < xn ? v->n : xn;
        cmp = m ? sgn(memcmp(v->p, x, m)) : 0;
        if (cmp == 0)
            cmp = v->n < xn ? -1 : v->n > xn;
    }
    switch (op) {
    case COLORDER_EQ:
        return cmp == 0;
    case COLORDER_NE:
        return cmp != 0;
    case COLORDER_LT:
        return cmp < 0;
    case COLORDER_LE:
        return cmp <= 0;
    case COLORDER_GT:
        return cmp > 0;
    case COLORDER_GE:
        return cmp >= 0;
    }
    return 0;
}

/* Split d with the real splitter, then for random conditions on each
 * column check every chunk: when any row of it satisfies the condition,
 * colorder_cond_keep keeps it; and where the chunk's bounds are its true
 * min and max (not cut), the answer is exactly what those decide: for
 * < <= > >= and != whether a row satisfies the condition, for = whether
 * the value lies between them. colorder_cond_match agrees with brute
 * force on every row. */
static void diff_round(int jsonl, size_t round)
{
    struct dset d;
    struct splitter_config cfg;
    struct splitter *s = NULL;
    struct splitter_chunk **ch = NULL;
    struct splitter_chunk *one;
    struct fault f;
    size_t nch = 0, lim = rnd(2) ? 16 : 256, c, i;
    uint8_t *borrowed = NULL;

    gen_dset(&d, jsonl);
    splitter_config_default(&cfg, jsonl ? SPLITTER_JSONL : SPLITTER_CSV);
    if (rnd(2))
        cfg.chunk_rows = 1 + rnd(12);
    else
        cfg.chunk_bytes = 1 + rnd(600);
    cfg.max_index_value = lim;
    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    if (rnd(2)) {
        borrowed = padded(d.buf, d.len);
        assert_int_equal(splitter_borrow(s, borrowed, d.len, &f), 0);
        for (i = 0; i < d.len;) {
            size_t n = 1 + rnd(200);
            if (n > d.len - i)
                n = d.len - i;
            assert_int_equal(splitter_advance(s, n, &f), 0);
            i += n;
        }
    } else {
        for (i = 0; i < d.len;) {
            size_t n = 1 + rnd(300);
            if (n > d.len - i)
                n = d.len - i;
            if (splitter_feed(s, (const uint8_t *)d.buf + i, n, &f) < 0)
                fail_msg("round %zu: %s\n%.*s", round, f.detail, (int)d.len,
                         d.buf);
            i += n;
        }
    }
    if (splitter_finish(s, &f) < 0)
        fail_msg("round %zu: %s", round, f.detail);
    while ((one = splitter_next(s)) != NULL) {
        ch = realloc(ch, (nch + 1) * sizeof *ch);
        assert_non_null(ch);
        ch[nch++] = one;
    }
    assert_int_equal(splitter_total_rows(s), d.nrows);

    for (c = 0; c < d.ncols; c++) {
        char name[32];
        size_t sc, k, nseen_num = 0, nseen_text = 0, r;
        enum colorder_kind type;

        snprintf(name, sizeof name, "c%zu", c);
        for (sc = 0; sc < splitter_column_count(s); sc++)
            if (strcmp(splitter_column_name(s, sc), name) == 0)
                break;
        for (r = 0; r < d.nrows; r++) {
            nseen_num += d.v[r * d.ncols + c].kind == COLORDER_NUMBER;
            nseen_text += d.v[r * d.ncols + c].kind == COLORDER_TEXT;
        }
        type = colorder_type_of(nseen_num > 0, nseen_text > 0);
        if (sc < splitter_column_count(s))
            assert_int_equal(splitter_column_type(s, sc) == SPLITTER_COL_NUMBER
                                 ? COLORDER_NUMBER
                                 : COLORDER_TEXT,
                             type);
        for (k = 0; k < 30; k++) {
            struct colorder_cond cond;
            enum colorder_op op = (enum colorder_op)rnd(6);
            char xb[480];
            size_t xn = gen_cond_value(xb, sizeof xb, type, &d, c, lim);
            uint8_t *x = padded(xb, xn);

            assert_int_equal(colorder_cond_init(&cond, type, op, type, x, xn,
                                                NULL, &f),
                             0);
            for (i = 0; i < nch; i++) {
                const struct colorder_bound *b = NULL;
                const struct mval *lo = NULL, *hi = NULL;
                int any = 0, keep, lo_exact, hi_exact;
                for (r = ch[i]->first_row; r < ch[i]->first_row + ch[i]->rows;
                     r++) {
                    const struct mval *v = &d.v[r * d.ncols + c];
                    int m = brute_match(type, op, v, x, xn);
                    if (colorder_cond_match(&cond, v->kind, v->p, v->n) != m)
                        fail_msg("round %zu: match differs", round);
                    any |= m;
                    if (v->kind == COLORDER_NONE)
                        continue;
                    if (!lo || colorder_compare(type, v->p, v->n, lo->p,
                                                lo->n) < 0)
                        lo = v;
                    if (!hi || colorder_compare(type, v->p, v->n, hi->p,
                                                hi->n) > 0)
                        hi = v;
                }
                if (sc < ch[i]->ncols)
                    b = type == COLORDER_NUMBER ? &ch[i]->cols[sc].num
                                                : &ch[i]->cols[sc].text;
                keep = b ? colorder_cond_keep(&cond, b->min, b->min_len,
                                              b->max, b->max_len)
                         : 1;
                if (any && !keep)
                    fail_msg("round %zu (%s), column %zu, chunk %zu: a row "
                             "satisfies \"%s %.*s\" but the chunk is left "
                             "out",
                             round, jsonl ? "jsonl" : "csv", c, i,
                             colorder_op_name(op), (int)xn, (const char *)x);
                if (lo == NULL) {
                    assert_int_equal(keep, 1); /* no bounds */
                    continue;
                }
                /* Which bounds are exact: numbers always (or absent when
                 * one is too long), text when not cut. */
                if (type == COLORDER_NUMBER) {
                    lo_exact = hi_exact = b->min != NULL;
                    if (!lo_exact)
                        assert_int_equal(keep, 1);
                } else {
                    lo_exact = lo->n <= lim;
                    hi_exact = hi->n <= lim;
                }
                switch (op) {
                case COLORDER_LT:
                case COLORDER_LE:
                    if (lo_exact)
                        assert_int_equal(keep, any);
                    break;
                case COLORDER_GT:
                case COLORDER_GE:
                    if (hi_exact)
                        assert_int_equal(keep, any);
                    break;
                case COLORDER_NE:
                    if (lo_exact && hi_exact)
                        assert_int_equal(keep, any);
                    break;
                case COLORDER_EQ:
                    if (lo_exact && hi_exact)
                        assert_int_equal(
                            keep,
                            colorder_compare(type, lo->p, lo->n, x, xn) <= 0 &&
                                colorder_compare(type, hi->p, hi->n, x,
                                                 xn) >= 0);
                    break;
                }
            }
            free(x);
        }
    }
    for (i = 0; i < nch; i++)
        splitter_chunk_free(ch[i]);
    free(ch);
    splitter_free(s);
    free(borrowed);
    dset_free(&d);
}

static void test_diff_csv(void **state)
{
    size_t round;

    (void)state;
    for (round = 0; round < 1500; round++)
        diff_round(0, round);
}

static void test_diff_jsonl(void **state)
{
    size_t round;

    (void)state;
    for (round = 0; round < 1500; round++)
        diff_round(1, round);
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
        cmocka_unit_test(test_fold_model),
        cmocka_unit_test(test_ctx_misuse),
        cmocka_unit_test(test_diff_csv),
        cmocka_unit_test(test_diff_jsonl),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
