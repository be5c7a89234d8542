/* Unit tests for lib/jsonv.c: strict bodies, typed members, and misuse. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/jsonv.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* A fault as every refusal must leave it: the kind, the field exactly, a
 * detail with want in it that names the field, all valid UTF-8 (jansson's
 * json_string refuses anything else) and within bounds. */
static void check_fault(const struct fault *f, enum fault_kind kind,
                        const char *field, const char *want, const char *what)
{
    json_t *s;

    if (f->kind != kind)
        fail_msg("%s: kind %s, want %s (detail: %s)", what,
                 fault_kind_name(f->kind), fault_kind_name(kind), f->detail);
    if (field != NULL && strcmp(f->field, field) != 0)
        fail_msg("%s: field \"%s\", want \"%s\" (detail: %s)", what, f->field,
                 field, f->detail);
    if (f->detail[0] == '\0')
        fail_msg("%s: empty detail", what);
    if (want != NULL && strstr(f->detail, want) == NULL)
        fail_msg("%s: detail \"%s\" lacks \"%s\"", what, f->detail, want);
    if (kind == FAULT_INVALID && f->field[0] != '\0' &&
        strstr(f->detail, f->field) == NULL)
        fail_msg("%s: detail \"%s\" does not name field \"%s\"", what,
                 f->detail, f->field);
    assert_true(strlen(f->field) < FAULT_FIELD_MAX);
    assert_true(strlen(f->detail) < FAULT_DETAIL_MAX);
    s = json_string(f->field);
    if (s == NULL)
        fail_msg("%s: field is not valid UTF-8", what);
    json_decref(s);
    s = json_string(f->detail);
    if (s == NULL)
        fail_msg("%s: detail is not valid UTF-8", what);
    json_decref(s);
}

static json_t *parse_ok(const char *text)
{
    json_t *j = NULL;
    struct fault f;

    fault_clear(&f);
    if (jsonv_parse_object(&j, (const uint8_t *)text, strlen(text), &f) != 0)
        fail_msg("parse of %s failed: %s", text, f.detail);
    assert_non_null(j);
    return j;
}

/* --- jsonv_path_join --- */

static void test_path_join(void **state)
{
    char out[FAULT_FIELD_MAX];
    char small[8];
    char longkey[200];

    (void)state;
    jsonv_path_join(out, sizeof out, "", "a");
    assert_string_equal(out, "a");
    jsonv_path_join(out, sizeof out, NULL, "a");
    assert_string_equal(out, "a");
    jsonv_path_join(out, sizeof out, "price", "per_row");
    assert_string_equal(out, "price.per_row");
    jsonv_path_join(out, sizeof out, "price", "");
    assert_string_equal(out, "price");
    jsonv_path_join(out, sizeof out, "price", NULL);
    assert_string_equal(out, "price");
    jsonv_path_join(out, sizeof out, NULL, NULL);
    assert_string_equal(out, "");
    /* Exactly full: 7 characters in 8 bytes, not cut. */
    jsonv_path_join(small, sizeof small, "abc", "def");
    assert_string_equal(small, "abc.def");
    /* One more: cut, marked. */
    jsonv_path_join(small, sizeof small, "abc", "defg");
    assert_string_equal(small, "abc....");
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    jsonv_path_join(out, sizeof out, "price", longkey);
    assert_int_equal(strlen(out), sizeof out - 1);
    assert_memory_equal(out, "price.kkk", 9);
    assert_string_equal(out + sizeof out - 4, "...");
    /* A cut never splits a character: "é" is 2 bytes, "€" 3. */
    for (size_t pad = 0; pad < 4; pad++) {
        char key[256] = "";
        json_t *s;

        for (size_t i = 0; i < pad; i++)
            strcat(key, "x");
        for (int i = 0; i < 40; i++)
            strcat(key, i % 2 ? "\xc3\xa9" : "\xe2\x82\xac");
        jsonv_path_join(out, sizeof out, "", key);
        assert_true(strlen(out) < sizeof out);
        assert_string_equal(out + strlen(out) - 3, "...");
        s = json_string(out);
        assert_non_null(s);
        json_decref(s);
    }
    /* Tiny buffers. */
    jsonv_path_join(small, 3, "abc", "def");
    assert_string_equal(small, "");
    jsonv_path_join(small, 4, "abc", "def");
    assert_string_equal(small, "...");
    small[0] = 'Z';
    jsonv_path_join(small, 0, "abc", "def");
    assert_int_equal(small[0], 'Z');
    jsonv_path_join(NULL, 10, "abc", "def"); /* no crash */
}

/* --- jsonv_parse_object --- */

struct parse_case {
    const char *body;
    size_t len; /* 0: strlen(body) */
    int ok;
    const char *field;
    const char *detail_has;
};

static const struct parse_case parse_cases[] = {
    {"{}", 0, 1, NULL, NULL},
    {" {\"a\": 1} \n", 0, 1, NULL, NULL},
    {"{\"a\":{\"b\":[1,2,{\"c\":null}]},\"d\":\"\\u00e9\"}", 0, 1, NULL, NULL},
    /* Not an object. */
    {"", 0, 0, "body", "empty"},
    {"[]", 0, 0, "body", "JSON object, not an array"},
    {"\"x\"", 0, 0, "body", "not a string"},
    {"1", 0, 0, "body", "not an integer"},
    {"1.5", 0, 0, "body", "JSON object"},
    {"null", 0, 0, "body", "not null"},
    {"true", 0, 0, "body", "JSON object"},
    {" ", 0, 0, "body", "not valid JSON"},
    /* Syntax, with line and column. */
    {"{\"a\":1} x", 0, 0, "body", "not valid JSON (line 1, column 9)"},
    {"{\"a\":1,}", 0, 0, "body", "not valid JSON"},
    {"{'a':1}", 0, 0, "body", "line 1"},
    {"{\n\"a\": tru\n}", 0, 0, "body", "line 2"},
    {"{\"a\":1", 0, 0, "body", "not valid JSON"},
    {"{\"a\":01}", 0, 0, "body", "not valid JSON"},
    {"{\"a\":+1}", 0, 0, "body", "not valid JSON"},
    {"{\"a\":NaN}", 0, 0, "body", "not valid JSON"},
    {"{\"a\":\"\\x\"}", 0, 0, "body", "not valid JSON"},
    {"{\"a\":\"\\ud800\"}", 0, 0, "body", "not valid JSON"},
    {"\xef\xbb\xbf{}", 0, 0, "body", NULL}, /* a byte order mark */
    {"{\"a\":\"\x01\"}", 0, 0, "body", "control character"},
    /* Duplicate keys, named by their path. */
    {"{\"a\":1,\"a\":2}", 0, 0, "a", "twice"},
    {"{\"a\":1,\"b\":2,\"a\":1}", 0, 0, "a", "line 1, column 16"},
    {"{\"price\":{\"kind\":\"pass\",\"kind\":\"metered\"}}", 0, 0, "price.kind",
     "given twice"},
    {"{\"a\":[{\"b\":1,\"b\":2}]}", 0, 0, "a[0].b", "twice"},
    {"{\"a\":[1,{\"x\":0},[],{\"b\":1,\"b\":2}]}", 0, 0, "a[3].b", "twice"},
    {"{\"x\":{\"a\":1},\"y\":{\"a\":1,\"a\":1}}", 0, 0, "y.a", "twice"},
    {"{\"a\\u0062\":1,\"ab\":2}", 0, 0, "ab", "twice"},
    {"{\"t\":\"}\\\"{[,\",\"t\":1}", 0, 0, "t", "twice"},
    {"{\"\\\\\":1,\"\\\\\":2}", 0, 0, "\\", "twice"},
    {"{\"\xc3\xa9\":1,\"\\u00e9\":2}", 0, 0, "\xc3\xa9", "twice"},
    {"{\"\":1,\"\":2}", 0, 0, "body", "repeats a key"},
    {"{\"a\":{\"\":1,\"\":2}}", 0, 0, "body", "repeats a key"},
    {"{\"\":{\"a\":1,\"a\":2}}", 0, 0, "body", "repeats a key"},
    {"{\"a\":{},\"a\":{}}", 0, 0, "a", "twice"},
    /* Numbers out of range, named by their path. */
    {"{\"a\":99999999999999999999}", 0, 0, "a", "out of range"},
    {"{\"p\":{\"n\":-99999999999999999999}}", 0, 0, "p.n", "out of range"},
    {"{\"a\":[0,1e999]}", 0, 0, "a[1]", "out of range"},
    {"{\"a\":-1e999}", 0, 0, "a", "out of range"},
    /* NUL, raw or escaped. */
    {"{\"a\":\"x\\u0000y\"}", 0, 0, "a", "\\u0000"},
    {"{\"a\":[\"\\u0000\"]}", 0, 0, "a[0]", "\\u0000"},
    {"{\"a\\u0000\":1}", 0, 0, "body", "key"},
    {"{\"a\":\"x\0y\"}", 11, 0, "body", "NUL byte at offset 7"},
    {"\0{}", 3, 0, "body", "offset 0"},
    {"{}\0", 3, 0, "body", "offset 2"},
    /* Bad UTF-8. */
    {"{\"a\":\"\xff\"}", 0, 0, "body", "UTF-8"},
    {"{\"a\":\"\xc3\"}", 0, 0, "body", "UTF-8"},
    {"{\"a\":\"\xed\xa0\x80\"}", 0, 0, "body", "UTF-8"}, /* surrogate */
    {"{\"a\":\"\xc0\xaf\"}", 0, 0, "body", "UTF-8"},     /* overlong */
    {"{\"\xff\":1}", 0, 0, "body", "UTF-8"},
    /* jansson's context quotes raw input, here a cut character: the
     * detail stays valid UTF-8 ('?' for the stray byte). */
    {"{\"me\":\"\\\xdd\x92\"}", 0, 0, "body", "invalid escape near '\"\\?'"},
    {"{\"a\":\"\\\xe2\x82\xac\"}", 0, 0, "body", "invalid escape"},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];
        size_t len = c->len ? c->len : strlen(c->body);
        json_t *j = (json_t *)&j; /* not NULL: must be cleared */
        struct fault f;
        char what[64];
        int rv;

        snprintf(what, sizeof what, "parse case %zu", i);
        fault_clear(&f);
        rv = jsonv_parse_object(&j, (const uint8_t *)c->body, len, &f);
        if (c->ok) {
            if (rv != 0)
                fail_msg("%s refused: %s", what, f.detail);
            assert_true(json_is_object(j));
            assert_int_equal(f.kind, FAULT_NONE);
            json_decref(j);
        } else {
            if (rv != -1)
                fail_msg("%s accepted", what);
            assert_null(j);
            check_fault(&f, FAULT_INVALID, c->field, c->detail_has, what);
        }
    }
}

/* Keys are named however they are nested, cut to the field's size. */
static void test_parse_duplicate_paths(void **state)
{
    char body[4096];
    json_t *j;
    struct fault f;
    size_t n = 0;

    (void)state;
    /* 20 levels of {"k": ...}: "k.k.k...k" (39 bytes). */
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "{\"k\":");
    n += (size_t)snprintf(body + n, sizeof body - n, "{\"z\":1,\"z\":2}");
    for (int i = 0; i < 20; i++)
        body[n++] = '}';
    assert_int_equal(
        jsonv_parse_object(&j, (const uint8_t *)body, n, &f), -1);
    check_fault(&f, FAULT_INVALID, NULL, "twice", "deep duplicate");
    assert_int_equal(strncmp(f.field, "k.k.k.", 6), 0);
    assert_string_equal(f.field + strlen(f.field) - 2, ".z");

    /* 40 levels: deeper than the scanner keeps, so "body". */
    n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "[");
    n += (size_t)snprintf(body + n, sizeof body - n, "{\"z\":1,\"z\":2}");
    for (int i = 0; i < 40; i++)
        body[n++] = ']';
    body[n] = '\0';
    {
        char wrapped[4200];
        int wn = snprintf(wrapped, sizeof wrapped, "{\"a\":%s}", body);
        assert_int_equal(jsonv_parse_object(&j, (const uint8_t *)wrapped,
                                            (size_t)wn, &f),
                         -1);
        check_fault(&f, FAULT_INVALID, "body", "repeats a key", "too deep");
    }

    /* A long key: cut at 63 bytes with "...". */
    n = (size_t)snprintf(body, sizeof body, "{\"p\":{\"");
    for (int i = 0; i < 100; i++)
        body[n++] = 'q';
    n += (size_t)snprintf(body + n, sizeof body - n, "\":1,\"");
    for (int i = 0; i < 100; i++)
        body[n++] = 'q';
    n += (size_t)snprintf(body + n, sizeof body - n, "\":2}}");
    assert_int_equal(jsonv_parse_object(&j, (const uint8_t *)body, n, &f),
                     -1);
    check_fault(&f, FAULT_INVALID, NULL, "twice", "long key");
    assert_int_equal(strlen(f.field), FAULT_FIELD_MAX - 1);
    assert_int_equal(strncmp(f.field, "p.qqq", 5), 0);
    assert_string_equal(f.field + strlen(f.field) - 3, "...");
}

static void test_parse_deep(void **state)
{
    size_t depth = 5000, n = 0;
    char *body = malloc(2 * depth + 16);
    json_t *j;
    struct fault f;

    (void)state;
    assert_non_null(body);
    n += (size_t)sprintf(body, "{\"a\":");
    for (size_t i = 0; i < depth; i++)
        body[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        body[n++] = ']';
    body[n++] = '}';
    assert_int_equal(jsonv_parse_object(&j, (const uint8_t *)body, n, &f),
                     -1);
    assert_null(j);
    check_fault(&f, FAULT_INVALID, "body", "too deeply", "deep");
    free(body);
}

static void test_parse_misuse(void **state)
{
    json_t *j = (json_t *)&j;
    struct fault f;

    (void)state;
    fault_clear(&f);
    assert_int_equal(jsonv_parse_object(NULL, (const uint8_t *)"{}", 2, &f),
                     -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
    assert_int_equal(jsonv_parse_object(&j, NULL, 5, &f), -1);
    assert_null(j);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "body NULL");
    j = (json_t *)&j;
    assert_int_equal(jsonv_parse_object(&j, NULL, 0, &f), -1);
    assert_null(j);
    check_fault(&f, FAULT_INVALID, "body", "empty", "body NULL, len 0");
    /* f may be NULL. */
    assert_int_equal(jsonv_parse_object(&j, (const uint8_t *)"[", 1, NULL),
                     -1);
    assert_int_equal(jsonv_parse_object(&j, (const uint8_t *)"{}", 2, NULL),
                     0);
    json_decref(j);
    /* Only len bytes are read: a valid object followed by junk. */
    assert_int_equal(
        jsonv_parse_object(&j, (const uint8_t *)"{}garbage", 2, &f), 0);
    json_decref(j);
}

/* --- jsonv_check_keys --- */

static const char *const keys_ab[] = {"a", "b", NULL};
static const char *const keys_none[] = {NULL};

struct keys_case {
    const char *body;
    const char *const *allowed;
    const char *path;
    int ok;
    const char *field;
};

static const struct keys_case keys_cases[] = {
    {"{}", keys_ab, "", 1, NULL},
    {"{}", keys_none, "", 1, NULL},
    {"{\"a\":1}", keys_ab, "", 1, NULL},
    {"{\"b\":1,\"a\":null}", keys_ab, "price", 1, NULL},
    {"{\"c\":1}", keys_ab, "", 0, "c"},
    {"{\"c\":1}", keys_ab, "price", 0, "price.c"},
    {"{\"a\":1,\"c\":1,\"d\":2}", keys_ab, "", 0, "c"},
    {"{\"A\":1}", keys_ab, "", 0, "A"},
    {"{\"a \":1}", keys_ab, "", 0, "a "},
    {"{\"\":1}", keys_ab, "x", 0, "x"},
    {"{\"\":1}", keys_ab, "", 0, "body"},
    {"{\"a\":1,\"\":1}", keys_ab, "a.b", 0, "a.b"},
    {"{\"a\":1}", keys_none, "p", 0, "p.a"},
    {"{\"\xc3\xa9\":1}", keys_ab, "", 0, "\xc3\xa9"},
};

static void test_check_keys_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(keys_cases); i++) {
        const struct keys_case *c = &keys_cases[i];
        json_t *j = parse_ok(c->body);
        struct fault f;
        char what[64];
        int rv;

        snprintf(what, sizeof what, "keys case %zu", i);
        fault_clear(&f);
        rv = jsonv_check_keys(j, c->allowed, c->path, &f);
        if (c->ok) {
            if (rv != 0)
                fail_msg("%s refused: %s", what, f.detail);
        } else {
            if (rv != -1)
                fail_msg("%s accepted", what);
            check_fault(&f, FAULT_INVALID, c->field, "not a known member",
                        what);
        }
        json_decref(j);
    }
}

static void test_check_keys_misuse(void **state)
{
    json_t *s = json_string("x");
    json_t *a = json_array();
    json_t *o = json_object();
    struct fault f;

    (void)state;
    assert_int_equal(jsonv_check_keys(s, keys_ab, "price", &f), -1);
    check_fault(&f, FAULT_INVALID, "price", "not a string", "string");
    assert_int_equal(jsonv_check_keys(a, keys_ab, "", &f), -1);
    check_fault(&f, FAULT_INVALID, "body", "not an array", "array");
    assert_int_equal(jsonv_check_keys(NULL, keys_ab, NULL, &f), -1);
    check_fault(&f, FAULT_INVALID, "body", "JSON object", "NULL");
    assert_int_equal(jsonv_check_keys(json_null(), keys_ab, "p.q", &f), -1);
    check_fault(&f, FAULT_INVALID, "p.q", "not null", "null");
    assert_int_equal(jsonv_check_keys(o, NULL, "", &f), -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "allowed NULL");
    assert_int_equal(jsonv_check_keys(o, keys_ab, "", NULL), 0);
    assert_int_equal(jsonv_check_keys(s, keys_ab, "", NULL), -1);
    json_decref(s);
    json_decref(a);
    json_decref(o);
}

/* --- jsonv_get_uint --- */

struct uint_case {
    const char *value; /* the member's JSON text; NULL: absent */
    int required;
    uint64_t min, max;
    int ok;
    uint64_t want;
    const char *detail_has;
};

#define U53 9007199254740992ull

static const struct uint_case uint_cases[] = {
    {"0", 1, 0, U53, 1, 0, NULL},
    {"1", 1, 0, U53, 1, 1, NULL},
    /* jansson reads -0 as the integer 0; DESIGN.md 3.2 refuses it. */
    {"-0", 1, 0, U53, 0, 0, "negative"},
    {" -0 ", 1, 0, U53, 0, 0, "negative"},
    {"-0.0", 1, 0, U53, 0, 0, "negative"},
    {"-0e0", 1, 0, U53, 0, 0, "negative"},
    {"0e0", 1, 0, U53, 0, 0, "fraction or exponent"},
    {"1e-0", 1, 0, U53, 0, 0, "fraction or exponent"},
    {"86400", 0, 1, 315360000, 1, 86400, NULL},
    {"9007199254740992", 1, 0, U53, 1, U53, NULL},
    {"9007199254740992", 1, 0, UINT64_MAX, 1, U53, NULL},
    {"9007199254740993", 1, 0, UINT64_MAX, 0, 0, "between 0 and 9007199254740992"},
    {"9223372036854775807", 1, 0, UINT64_MAX, 0, 0, "between"},
    {"9223372036854775808", 1, 0, UINT64_MAX, 0, 0, NULL}, /* parse */
    {"18446744073709551616", 1, 0, UINT64_MAX, 0, 0, NULL}, /* parse */
    {"-1", 1, 0, U53, 0, 0, "negative"},
    {"-9223372036854775808", 1, 0, U53, 0, 0, "negative"},
    {"1.0", 1, 0, U53, 0, 0, "fraction or exponent"},
    {"1e3", 1, 0, U53, 0, 0, "fraction or exponent"},
    {"1E3", 1, 0, U53, 0, 0, "fraction or exponent"},
    {"0.5", 1, 0, U53, 0, 0, "fraction or exponent"},
    {"-1.0", 1, 0, U53, 0, 0, "fraction or exponent"},
    {"1e400", 1, 0, U53, 0, 0, NULL}, /* refused while parsing */
    {"\"5\"", 1, 0, U53, 0, 0, "not a string"},
    {"true", 1, 0, U53, 0, 0, "not true"},
    {"null", 0, 0, U53, 0, 0, "not null"},
    {"[]", 1, 0, U53, 0, 0, "not an array"},
    {"{}", 1, 0, U53, 0, 0, "not an object"},
    {"0", 1, 1, 10, 0, 0, "between 1 and 10"},
    {"10", 1, 1, 10, 1, 10, NULL},
    {"11", 1, 1, 10, 0, 0, "between 1 and 10"},
    {"5", 1, 5, 5, 1, 5, NULL},
    {NULL, 0, 1, 10, 1, 0, NULL},
    {NULL, 1, 1, 10, 0, 0, "required"},
};

static void test_get_uint_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(uint_cases); i++) {
        const struct uint_case *c = &uint_cases[i];
        char body[128], what[64];
        json_t *j = NULL;
        struct fault f;
        uint64_t v = 77;
        int present = 77, rv;

        snprintf(what, sizeof what, "uint case %zu (%s)", i,
                 c->value ? c->value : "absent");
        if (c->value)
            snprintf(body, sizeof body, "{\"x\":1,\"n\":%s}", c->value);
        else
            snprintf(body, sizeof body, "{\"x\":1}");
        fault_clear(&f);
        rv = jsonv_parse_object(&j, (const uint8_t *)body, strlen(body), &f);
        if (rv != 0) {
            /* Out of range for jansson: refused while parsing, named. */
            if (c->ok)
                fail_msg("%s refused while parsing: %s", what, f.detail);
            check_fault(&f, FAULT_INVALID, "n", "out of range", what);
            continue;
        }
        rv = jsonv_get_uint(&v, &present, j, "n", c->required, c->min, c->max,
                            "p", &f);
        if (c->ok) {
            if (rv != 0)
                fail_msg("%s refused: %s", what, f.detail);
            assert_int_equal(v, c->want);
            assert_int_equal(present, c->value != NULL);
        } else {
            if (rv != -1)
                fail_msg("%s accepted", what);
            assert_int_equal(v, 0);
            assert_int_equal(present, 0);
            check_fault(&f, FAULT_INVALID, "p.n", c->detail_has, what);
        }
        json_decref(j);
    }
}

/* Where "-0" is written, the parsed body holds the real -0.0 (so that
 * integer fields refuse it); everything else is as jansson read it. Each
 * case names the paths (a/b/[2] style, walked below) that must be -0.0;
 * every other number in the body must keep its type. */
struct negzero_case {
    const char *body;
    const char *zeros[4]; /* paths of the -0.0 values; NULL ends */
};

static const struct negzero_case negzero_cases[] = {
    {"{\"n\":-0}", {"n"}},
    {"{\"n\":0}", {NULL}},
    {"{\"n\" : -0 , \"m\":-0}", {"n", "m"}},
    {"{\"a\":{\"b\":[1,-0,2,-0]}}", {"a/b/[1]", "a/b/[3]"}},
    {"{\"a\":[{\"b\":-0},{\"c\":\"-0\"}]}", {"a/[0]/b"}},
    {"{\"k\\\"ey\":-0,\"x\":\"2024-01-01\"}", {"k\"ey"}},
    {"{\"\\u00e9t\\u00e9\":[[-0]]}", {"\xc3\xa9t\xc3\xa9/[0]/[0]"}},
    {"{\"-0\":\"-0\",\"e\":1e-0,\"f\":-1,\"g\":-10,\"h\":-0.5}", {NULL}},
    {"{\"s\":\"a\\\"-0\",\"t\":[\"-0\"],\"u\":-0}", {"u"}},
    {"{\"deep\":[[[[[[[[{\"x\":[0,0,-0]}]]]]]]]]}",
     {"deep/[0]/[0]/[0]/[0]/[0]/[0]/[0]/[0]/x/[2]"}},
};

/* The value at path in j (components split by '/'; "[i]" indexes). */
static json_t *negzero_at(json_t *j, const char *path)
{
    char buf[256], *save = NULL, *tok;

    snprintf(buf, sizeof buf, "%s", path);
    for (tok = strtok_r(buf, "/", &save); tok && j;
         tok = strtok_r(NULL, "/", &save))
        j = tok[0] == '[' ? json_array_get(j, strtoul(tok + 1, NULL, 10))
                          : json_object_get(j, tok);
    return j;
}

/* Count the numbers in v that are -0.0 reals. */
static size_t negzero_count(json_t *v)
{
    const char *k;
    json_t *e;
    size_t i, n = 0;

    if (json_is_real(v))
        return json_real_value(v) == 0.0 && signbit(json_real_value(v));
    if (json_is_object(v))
        json_object_foreach(v, k, e) n += negzero_count(e);
    if (json_is_array(v))
        json_array_foreach(v, i, e) n += negzero_count(e);
    return n;
}

static void test_parse_negative_zero(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(negzero_cases); i++) {
        const struct negzero_case *c = &negzero_cases[i];
        json_t *j = parse_ok(c->body), *v;
        size_t want = 0;

        for (size_t z = 0; z < COUNT(c->zeros) && c->zeros[z]; z++, want++) {
            v = negzero_at(j, c->zeros[z]);
            if (!json_is_real(v) || json_real_value(v) != 0.0 ||
                !signbit(json_real_value(v)))
                fail_msg("case %zu (%s): %s is not -0.0", i, c->body,
                         c->zeros[z]);
        }
        if (negzero_count(j) != want)
            fail_msg("case %zu (%s): %zu values are -0.0, want %zu", i,
                     c->body, negzero_count(j), want);
        json_decref(j);
    }
}

/* Every integer field refuses -0, wherever it sits. */
static void test_get_uint_negative_zero(void **state)
{
    json_t *j = parse_ok("{\"chunking\":{\"rows\":-0},\"preview_rows\":-0,"
                         "\"price\":{\"duration_s\":-0},\"ok\":0}");
    struct fault f;
    uint64_t v;
    int present;

    (void)state;
    assert_int_equal(jsonv_get_uint(&v, &present, j, "preview_rows", 0, 0,
                                    100, "", &f), -1);
    check_fault(&f, FAULT_INVALID, "preview_rows", "negative", "top");
    assert_int_equal(jsonv_get_uint(&v, &present,
                                    json_object_get(j, "chunking"), "rows", 0,
                                    0, 100, "chunking", &f), -1);
    check_fault(&f, FAULT_INVALID, "chunking.rows", "negative", "nested");
    assert_int_equal(jsonv_get_uint(&v, &present, json_object_get(j, "price"),
                                    "duration_s", 1, 1, 100, "price", &f), -1);
    check_fault(&f, FAULT_INVALID, "price.duration_s", "negative", "plan");
    assert_int_equal(jsonv_get_uint(&v, &present, j, "ok", 1, 0, 1, "", &f),
                     0);
    assert_int_equal(v, 0);
    assert_int_equal(present, 1);
    json_decref(j);
}

/* --- jsonv_check_text, jsonv_trim_space --- */

struct text_case {
    const char *text;
    enum jsonv_text rules;
    int ok;
    const char *detail_has; /* for a refusal */
};

static const struct text_case text_cases[] = {
    {"", JSONV_TEXT_LABEL, 1, NULL},
    {"Weather 2024", JSONV_TEXT_LABEL, 1, NULL},
    {"\xc3\xa9t\xc3\xa9 \xe6\xb0\x94 \xf0\x9f\x98\x80", JSONV_TEXT_LABEL, 1,
     NULL},
    {"a\xc2\xa0" "b", JSONV_TEXT_LABEL, 1, NULL},      /* NBSP is a space */
    {"a\tb", JSONV_TEXT_LABEL, 0, "U+0009 (a control character), at byte 1"},
    {"a\nb", JSONV_TEXT_LABEL, 0, "U+000A"},
    {"\x01", JSONV_TEXT_LABEL, 0, "U+0001"},
    {"ab\x7f", JSONV_TEXT_LABEL, 0, "U+007F (a control character), at byte 2"},
    {"\xc2\x80", JSONV_TEXT_LABEL, 0, "U+0080"},
    {"\xc2\x85", JSONV_TEXT_LABEL, 0, "U+0085"},
    {"\xc2\x9f", JSONV_TEXT_LABEL, 0, "U+009F"},
    {"\xc2\xa0", JSONV_TEXT_LABEL, 1, NULL},
    {"x\xe2\x80\xa8", JSONV_TEXT_LABEL, 0, "U+2028 (a line or paragraph"},
    {"\xe2\x80\xa9", JSONV_TEXT_LABEL, 0, "U+2029"},
    {"abc\xe2\x80\xaetxt.exe", JSONV_TEXT_LABEL, 0,
     "U+202E (a bidirectional control), at byte 3"},
    {"\xe2\x80\xaa", JSONV_TEXT_LABEL, 0, "U+202A"},
    {"\xe2\x81\xa6", JSONV_TEXT_LABEL, 0, "U+2066"},
    {"\xe2\x81\xa9", JSONV_TEXT_LABEL, 0, "U+2069"},
    {"\xe2\x80\x8e", JSONV_TEXT_LABEL, 0, "U+200E"},
    {"\xe2\x80\x8f", JSONV_TEXT_LABEL, 0, "U+200F"},
    {"\xd8\x9c", JSONV_TEXT_LABEL, 0, "U+061C"},
    {"a\xe2\x80\x8b" "b", JSONV_TEXT_LABEL, 0, "U+200B (a zero-width"},
    {"\xe2\x80\x8c", JSONV_TEXT_LABEL, 0, "U+200C"},
    {"\xe2\x80\x8d", JSONV_TEXT_LABEL, 0, "U+200D"},
    {"\xe2\x81\xa0", JSONV_TEXT_LABEL, 0, "U+2060"},
    {"\xef\xbb\xbfname", JSONV_TEXT_LABEL, 0, "U+FEFF"},
    {"\xe2\x81\xa5", JSONV_TEXT_LABEL, 1, NULL},       /* U+2065: unassigned */
    {"\xe2\x80\xaf", JSONV_TEXT_LABEL, 1, NULL},       /* U+202F: a space */
    {"\xff", JSONV_TEXT_LABEL, 0, "not valid UTF-8 (at byte 0)"},
    {"ok\xe2\x80", JSONV_TEXT_LABEL, 0, "not valid UTF-8 (at byte 2)"},
    {"line one\nline two\n\tindented", JSONV_TEXT_PROSE, 1, NULL},
    {"\xe2\x80\xae \xe2\x80\x8d \xe2\x80\xa8", JSONV_TEXT_PROSE, 1, NULL},
    {"a\r\nb", JSONV_TEXT_PROSE, 0, "U+000D (a control character), at byte 1"},
    {"\x0b", JSONV_TEXT_PROSE, 0, "U+000B"},
    {"\x1b[31m", JSONV_TEXT_PROSE, 0, "U+001B"},
    {"\x7f", JSONV_TEXT_PROSE, 0, "U+007F"},
    {"\xc2\x9b", JSONV_TEXT_PROSE, 0, "U+009B"},
};

static void test_check_text_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(text_cases); i++) {
        const struct text_case *c = &text_cases[i];
        char what[64];
        struct fault f;
        int rv;

        snprintf(what, sizeof what, "text case %zu", i);
        fault_clear(&f);
        rv = jsonv_check_text(c->text, strlen(c->text), c->rules, "tags[3]",
                              &f);
        if (c->ok && rv != 0)
            fail_msg("%s refused: %s", what, f.detail);
        if (!c->ok) {
            if (rv != -1)
                fail_msg("%s accepted", what);
            check_fault(&f, FAULT_INVALID, "tags[3]", c->detail_has, what);
        }
    }
    /* A NUL inside the length is a control character; misuse. */
    {
        struct fault f;
        assert_int_equal(jsonv_check_text("a\0b", 3, JSONV_TEXT_PROSE, "d",
                                          &f), -1);
        check_fault(&f, FAULT_INVALID, "d", "U+0000", "NUL");
        assert_int_equal(jsonv_check_text(NULL, 0, JSONV_TEXT_LABEL, "d",
                                          &f), -1);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "NULL text");
        assert_int_equal(jsonv_check_text("\x01", 1, JSONV_TEXT_LABEL, NULL,
                                          &f), -1);
        check_fault(&f, FAULT_INVALID, "", "the text", "no field");
    }
}

struct trim_case {
    const char *text;
    const char *want;
};

static const struct trim_case trim_cases[] = {
    {"", ""},
    {"abc", "abc"},
    {"  abc  ", "abc"},
    {" \t\n\r\x0b\x0c" "a b" " \t", "a b"},
    {"\xc2\xa0x\xc2\xa0", "x"},                        /* U+00A0 */
    {"\xe3\x80\x80\xe5\xad\x97\xe3\x80\x80", "\xe5\xad\x97"}, /* U+3000 */
    {"\xe2\x80\x80\xe2\x80\x8a" "a\xe2\x80\xaf", "a"},  /* U+2000, 200A, 202F */
    {"\xe1\x9a\x80" "b\xe2\x81\x9f", "b"},              /* U+1680, U+205F */
    {"\xc2\x85" "c\xe2\x80\xa8\xe2\x80\xa9", "c"},      /* U+0085, 2028, 2029 */
    {"\xe2\x80\x8b" "d\xe2\x80\x8b", "\xe2\x80\x8b" "d\xe2\x80\x8b"}, /* ZWSP */
    {"   ", ""},
    {"\xe3\x80\x80\xc2\xa0 ", ""},
    {" a  b ", "a  b"},
    {" \xff ", "\xff"},                                 /* not UTF-8: text */
};

static void test_trim_space_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(trim_cases); i++) {
        const struct trim_case *c = &trim_cases[i];
        size_t off = 99, n = 99;

        jsonv_trim_space(&off, &n, c->text, strlen(c->text));
        if (n != strlen(c->want) ||
            (n > 0 && memcmp(c->text + off, c->want, n) != 0))
            fail_msg("trim case %zu: got %zu bytes at %zu", i, n, off);
        assert_true(off + n <= strlen(c->text));
    }
}

static void test_get_uint_misuse(void **state)
{
    json_t *j = parse_ok("{\"n\":5}");
    struct fault f;
    uint64_t v = 9;
    int present = 9;

    (void)state;
    assert_int_equal(jsonv_get_uint(&v, &present, j, "n", 1, 6, 5, "", &f),
                     -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "min > max");
    assert_int_equal(v, 0);
    assert_int_equal(present, 0);
    assert_int_equal(
        jsonv_get_uint(&v, &present, j, "n", 1, U53 + 1, UINT64_MAX, "", &f),
        -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "min above 2^53");
    assert_int_equal(jsonv_get_uint(NULL, &present, j, "n", 1, 0, 9, "", &f),
                     -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
    v = 9;
    assert_int_equal(jsonv_get_uint(&v, NULL, j, "n", 1, 0, 9, "", &f), -1);
    assert_int_equal(v, 0);
    assert_int_equal(jsonv_get_uint(&v, &present, j, NULL, 1, 0, 9, "", &f),
                     -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "key NULL");
    assert_int_equal(
        jsonv_get_uint(&v, &present, json_null(), "n", 0, 0, 9, "", &f), -1);
    check_fault(&f, FAULT_INVALID, "body", "JSON object", "obj null");
    assert_int_equal(
        jsonv_get_uint(&v, &present, NULL, "n", 0, 0, 9, "price", &f), -1);
    check_fault(&f, FAULT_INVALID, "price", "JSON object", "obj NULL");
    /* Top-level path: the member alone. */
    assert_int_equal(jsonv_get_uint(&v, &present, j, "n", 1, 0, 4, "", &f),
                     -1);
    check_fault(&f, FAULT_INVALID, "n", "between 0 and 4", "top level");
    assert_int_equal(jsonv_get_uint(&v, &present, j, "n", 1, 0, 9, NULL, NULL),
                     0);
    assert_int_equal(v, 5);
    json_decref(j);
}

/* --- jsonv_get_bool --- */

static void test_get_bool(void **state)
{
    static const struct {
        const char *value;
        int required, ok, want;
        const char *detail_has;
    } cases[] = {
        {"true", 1, 1, 1, NULL},     {"false", 1, 1, 0, NULL},
        {NULL, 0, 1, 0, NULL},       {NULL, 1, 0, 0, "required"},
        {"1", 1, 0, 0, "true or false, not an integer"},
        {"0", 0, 0, 0, "true or false"},
        {"\"true\"", 1, 0, 0, "not a string"},
        {"null", 0, 0, 0, "not null"},
        {"[true]", 1, 0, 0, "not an array"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char body[64], what[64];
        json_t *j;
        struct fault f;
        int v = 7, present = 7, rv;

        snprintf(what, sizeof what, "bool case %zu", i);
        if (cases[i].value)
            snprintf(body, sizeof body, "{\"b\":%s}", cases[i].value);
        else
            snprintf(body, sizeof body, "{}");
        j = parse_ok(body);
        rv = jsonv_get_bool(&v, &present, j, "b", cases[i].required, "", &f);
        if (cases[i].ok) {
            if (rv != 0)
                fail_msg("%s refused: %s", what, f.detail);
            assert_int_equal(v, cases[i].want);
            assert_int_equal(present, cases[i].value != NULL);
        } else {
            if (rv != -1)
                fail_msg("%s accepted", what);
            assert_int_equal(v, 0);
            assert_int_equal(present, 0);
            check_fault(&f, FAULT_INVALID, "b", cases[i].detail_has, what);
        }
        json_decref(j);
    }
    {
        json_t *j = parse_ok("{\"b\":true}");
        int v, present;
        struct fault f;

        assert_int_equal(jsonv_get_bool(NULL, &present, j, "b", 1, "", &f),
                         -1);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
        assert_int_equal(jsonv_get_bool(&v, NULL, j, "b", 1, "", &f), -1);
        assert_int_equal(jsonv_get_bool(&v, &present, j, NULL, 1, "", &f),
                         -1);
        assert_int_equal(
            jsonv_get_bool(&v, &present, json_true(), "b", 1, "q", &f), -1);
        check_fault(&f, FAULT_INVALID, "q", "not true", "obj true");
        json_decref(j);
    }
}

/* --- jsonv_get_string --- */

static void test_get_string(void **state)
{
    static const struct {
        const char *value;
        int required;
        size_t max_len;
        int ok;
        const char *want;
        const char *detail_has;
    } cases[] = {
        {"\"abc\"", 1, 3, 1, "abc", NULL},
        {"\"abcd\"", 1, 3, 0, NULL, "at most 3 bytes"},
        {"\"\"", 1, 0, 1, "", NULL},
        {"\"\"", 1, 10, 1, "", NULL},
        {"\"\\u00e9\"", 1, 2, 1, "\xc3\xa9", NULL},
        {"\"\\u00e9\"", 1, 1, 0, NULL, "at most 1 bytes"},
        {"\"\\ud83d\\ude00\"", 1, 4, 1, "\xf0\x9f\x98\x80", NULL},
        {NULL, 0, 3, 1, NULL, NULL},
        {NULL, 1, 3, 0, NULL, "required"},
        {"null", 0, 3, 0, NULL, "not null"},
        {"1", 1, 3, 0, NULL, "not an integer"},
        {"[\"a\"]", 1, 3, 0, NULL, "not an array"},
        {"{}", 1, 3, 0, NULL, "not an object"},
        {"false", 1, 3, 0, NULL, "not false"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char body[64], what[64];
        json_t *j;
        struct fault f;
        const char *v = "junk";
        int rv;

        snprintf(what, sizeof what, "string case %zu", i);
        if (cases[i].value)
            snprintf(body, sizeof body, "{\"name\":%s}", cases[i].value);
        else
            snprintf(body, sizeof body, "{}");
        j = parse_ok(body);
        rv = jsonv_get_string(&v, j, "name", cases[i].required,
                              cases[i].max_len, "d", &f);
        if (cases[i].ok) {
            if (rv != 0)
                fail_msg("%s refused: %s", what, f.detail);
            if (cases[i].want == NULL)
                assert_null(v);
            else
                assert_string_equal(v, cases[i].want);
        } else {
            if (rv != -1)
                fail_msg("%s accepted", what);
            assert_null(v);
            check_fault(&f, FAULT_INVALID, "d.name", cases[i].detail_has,
                        what);
        }
        json_decref(j);
    }
    {
        /* A NUL can only come from an object built in code. */
        json_t *j = json_object();
        const char *v = "junk";
        struct fault f;

        json_object_set_new(j, "s", json_stringn("a\0b", 3));
        assert_int_equal(jsonv_get_string(&v, j, "s", 1, 10, "", &f), -1);
        assert_null(v);
        check_fault(&f, FAULT_INVALID, "s", "NUL", "NUL");
        assert_int_equal(jsonv_get_string(NULL, j, "s", 1, 10, "", &f), -1);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
        v = "junk";
        assert_int_equal(jsonv_get_string(&v, j, NULL, 1, 10, "", &f), -1);
        assert_null(v);
        v = "junk";
        assert_int_equal(jsonv_get_string(&v, NULL, "s", 0, 10, "", &f), -1);
        assert_null(v);
        check_fault(&f, FAULT_INVALID, "body", "JSON object", "obj NULL");
        json_decref(j);
    }
}

/* --- jsonv_get_decimal and jsonv_check_decimal --- */

#define U256_MAX                                                             \
    "115792089237316195423570985008687907853269984665640564039457584007913" \
    "129639935"
#define U256                                                                 \
    "115792089237316195423570985008687907853269984665640564039457584007913" \
    "129639936"
#define DIGITS78                                                             \
    "999999999999999999999999999999999999999999999999999999999999999999999" \
    "999999999"
#define DIGITS79 DIGITS78 "9"

struct decimal_case {
    const char *value; /* JSON text of the member; NULL: absent */
    int ok;
    const char *detail_has;
};

static const struct decimal_case decimal_cases[] = {
    {"\"0\"", 1, NULL},
    {"\"1\"", 1, NULL},
    {"\"1000000000\"", 1, NULL},
    {"\"18446744073709551616\"", 1, NULL},
    {"\"" U256_MAX "\"", 1, NULL},
    {"\"" U256 "\"", 0, "too large"},
    {"\"" DIGITS78 "\"", 0, "too large"},
    {"\"" DIGITS79 "\"", 0, "too large"},
    {"\"007\"", 0, "leading zero"},
    {"\"00\"", 0, "leading zero"},
    {"\"01\"", 0, "leading zero"},
    {"\"+5\"", 0, "only the digits"},
    {"\"-1\"", 0, "only the digits"},
    {"\"-0\"", 0, "only the digits"},
    {"\"\"", 0, "empty"},
    {"\"1.0\"", 0, "only the digits"},
    {"\"1e3\"", 0, "only the digits"},
    {"\" 1\"", 0, "only the digits"},
    {"\"1 \"", 0, "only the digits"},
    {"\"0x10\"", 0, "only the digits"},
    {"\"1_000\"", 0, "only the digits"},
    {"\"\xef\xbc\x91\"", 0, "only the digits"}, /* fullwidth one */
    {"\"\\u0661\"", 0, "only the digits"},      /* Arabic-Indic one */
    {"5", 0, "amounts are decimal strings"},
    {"0", 0, "amounts are decimal strings"},
    {"1.5", 0, "amounts are decimal strings"},
    {"1e3", 0, "amounts are decimal strings"},
    {"-1", 0, "amounts are decimal strings"},
    {"true", 0, "decimal string, not true"},
    {"null", 0, "decimal string, not null"},
    {"[\"1\"]", 0, "not an array"},
    {"{}", 0, "not an object"},
    {NULL, 1, NULL},
};

static void test_get_decimal_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(decimal_cases); i++) {
        const struct decimal_case *c = &decimal_cases[i];
        char body[256], what[64];
        json_t *j;
        struct fault f;
        const char *v = "junk";
        int rv;

        snprintf(what, sizeof what, "decimal case %zu", i);
        if (c->value)
            snprintf(body, sizeof body, "{\"amount\":%s}", c->value);
        else
            snprintf(body, sizeof body, "{}");
        j = parse_ok(body);
        fault_clear(&f);
        rv = jsonv_get_decimal(&v, j, "amount", 0, "price", &f);
        if (c->ok) {
            if (rv != 0)
                fail_msg("%s refused: %s", what, f.detail);
            if (c->value == NULL) {
                assert_null(v);
            } else {
                /* The text, borrowed from the object. */
                assert_ptr_equal(v, json_string_value(
                                        json_object_get(j, "amount")));
                assert_int_equal(jsonv_check_decimal(v, "a", &f), 0);
            }
        } else {
            if (rv != -1)
                fail_msg("%s accepted", what);
            assert_null(v);
            check_fault(&f, FAULT_INVALID, "price.amount", c->detail_has,
                        what);
            /* The same text alone agrees, when it is a string. */
            if (c->value[0] == '"') {
                const char *s =
                    json_string_value(json_object_get(j, "amount"));
                assert_int_equal(jsonv_check_decimal(s, "a", &f), -1);
                check_fault(&f, FAULT_INVALID, "a", c->detail_has, what);
            }
        }
        json_decref(j);
    }
}

static void test_get_decimal_misuse(void **state)
{
    json_t *j = parse_ok("{\"a\":\"1\"}");
    const char *v = "junk";
    struct fault f;

    (void)state;
    assert_int_equal(jsonv_get_decimal(&v, j, "b", 1, "", &f), -1);
    assert_null(v);
    check_fault(&f, FAULT_INVALID, "b", "required", "required");
    assert_int_equal(jsonv_get_decimal(NULL, j, "a", 1, "", &f), -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
    v = "junk";
    assert_int_equal(jsonv_get_decimal(&v, j, NULL, 1, "", &f), -1);
    assert_null(v);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "key NULL");
    assert_int_equal(jsonv_check_decimal(NULL, "a", &f), -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "text NULL");
    /* field NULL: the detail still says what is wrong. */
    assert_int_equal(jsonv_check_decimal("01", NULL, &f), -1);
    check_fault(&f, FAULT_INVALID, "", "leading zero", "field NULL");
    assert_int_equal(jsonv_get_decimal(&v, j, "a", 1, "", NULL), 0);
    assert_string_equal(v, "1");
    json_decref(j);
}

/* --- jsonv_get_string_array --- */

struct array_case {
    const char *value; /* NULL: absent */
    int required;
    int ok;
    size_t want_count;
    const char *field;
    const char *detail_has;
};

static const struct array_case array_cases[] = {
    {"[\"a\",\"b\",\"c\"]", 1, 1, 3, NULL, NULL},
    {"[]", 1, 1, 0, NULL, NULL},
    {"[\"abcd\"]", 1, 1, 1, NULL, NULL},
    {NULL, 0, 1, 0, NULL, NULL},
    {NULL, 1, 0, 0, "x.tags", "required"},
    {"\"a\"", 1, 0, 0, "x.tags", "array of strings, not a string"},
    {"null", 0, 0, 0, "x.tags", "not null"},
    {"{}", 1, 0, 0, "x.tags", "not an object"},
    {"[\"a\",\"b\",\"c\",\"d\",\"e\"]", 1, 0, 0, "x.tags", "at most 4"},
    {"[1]", 1, 0, 0, "x.tags[0]", "not an integer"},
    {"[\"a\",null]", 1, 0, 0, "x.tags[1]", "not null"},
    {"[\"a\",[\"b\"]]", 1, 0, 0, "x.tags[1]", "not an array"},
    {"[\"a\",\"\"]", 1, 0, 0, "x.tags[1]", "empty"},
    {"[\"abcde\"]", 1, 0, 0, "x.tags[0]", "at most 4 bytes"},
    {"[\"a\",\"b\",\"a\"]", 1, 0, 0, "x.tags[2]", "repeats element 0"},
    {"[\"\\u0061\",\"a\"]", 1, 0, 0, "x.tags[1]", "repeats"},
    {"[\"A\",\"a\"]", 1, 1, 2, NULL, NULL}, /* case matters */
};

static void test_get_string_array_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(array_cases); i++) {
        const struct array_case *c = &array_cases[i];
        char body[128], what[64];
        const char *out[4];
        size_t count = 99;
        json_t *j;
        struct fault f;
        int rv;

        snprintf(what, sizeof what, "array case %zu", i);
        if (c->value)
            snprintf(body, sizeof body, "{\"tags\":%s}", c->value);
        else
            snprintf(body, sizeof body, "{}");
        j = parse_ok(body);
        for (size_t k = 0; k < COUNT(out); k++)
            out[k] = "junk";
        rv = jsonv_get_string_array(out, COUNT(out), &count, j, "tags",
                                    c->required, 4, "x", &f);
        if (c->ok) {
            if (rv != 0)
                fail_msg("%s refused: %s", what, f.detail);
            assert_int_equal(count, c->want_count);
            for (size_t k = 0; k < count; k++)
                assert_ptr_equal(out[k],
                                 json_string_value(json_array_get(
                                     json_object_get(j, "tags"), k)));
            for (size_t k = count; k < COUNT(out); k++)
                assert_null(out[k]);
        } else {
            if (rv != -1)
                fail_msg("%s accepted", what);
            assert_int_equal(count, 0);
            for (size_t k = 0; k < COUNT(out); k++)
                assert_null(out[k]);
            check_fault(&f, FAULT_INVALID, c->field, c->detail_has, what);
        }
        json_decref(j);
    }
}

static void test_get_string_array_misuse(void **state)
{
    json_t *j = parse_ok("{\"t\":[\"a\"],\"e\":[]}");
    const char *out[2];
    size_t count = 5;
    struct fault f;

    (void)state;
    assert_int_equal(
        jsonv_get_string_array(NULL, 2, &count, j, "t", 1, 9, "", &f), -1);
    assert_int_equal(count, 0);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
    assert_int_equal(jsonv_get_string_array(out, 2, NULL, j, "t", 1, 9, "", &f),
                     -1);
    assert_null(out[0]);
    assert_null(out[1]);
    assert_int_equal(
        jsonv_get_string_array(out, 2, &count, j, NULL, 1, 9, "", &f), -1);
    /* No room at all: only an empty array fits. */
    count = 5;
    assert_int_equal(
        jsonv_get_string_array(NULL, 0, &count, j, "e", 1, 9, "", &f), 0);
    assert_int_equal(count, 0);
    assert_int_equal(
        jsonv_get_string_array(NULL, 0, &count, j, "t", 1, 9, "", &f), -1);
    check_fault(&f, FAULT_INVALID, "t", "at most 0", "no room");
    /* A long path is cut, and the index with it. */
    {
        char path[100];
        memset(path, 'p', sizeof path - 1);
        path[sizeof path - 1] = '\0';
        json_t *k = parse_ok("{\"t\":[1]}");
        assert_int_equal(
            jsonv_get_string_array(out, 2, &count, k, "t", 1, 9, path, &f),
            -1);
        check_fault(&f, FAULT_INVALID, NULL, "not an integer", "long path");
        assert_string_equal(f.field + strlen(f.field) - 3, "...");
        json_decref(k);
    }
    json_decref(j);
}

/* --- jsonv_decimal_to_u64 --- */

static void test_decimal_to_u64(void **state)
{
    static const struct {
        const char *text;
        int ok;
        uint64_t want;
        const char *detail_has;
    } cases[] = {
        {"0", 1, 0, NULL},
        {"1", 1, 1, NULL},
        {"1000000000", 1, 1000000000ull, NULL},
        {"9223372036854775807", 1, 9223372036854775807ull, NULL},
        {"18446744073709551615", 1, UINT64_MAX, NULL},
        {"18446744073709551616", 0, 0, "too large"},
        {"20000000000000000000", 0, 0, "too large"},
        {"99999999999999999999", 0, 0, "too large"},
        {"100000000000000000000", 0, 0, "too large"},
        {DIGITS78, 0, 0, "too large"},
        {DIGITS79, 0, 0, "too large"},
        {"007", 0, 0, "leading zero"},
        {"", 0, 0, "empty"},
        {"+5", 0, 0, "only the digits"},
        {"-1", 0, 0, "only the digits"},
        {"1e3", 0, 0, "only the digits"},
        {"12a", 0, 0, "only the digits"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        uint64_t v = 77;
        struct fault f;
        char what[64];
        int rv;

        snprintf(what, sizeof what, "u64 case %zu (%s)", i, cases[i].text);
        rv = jsonv_decimal_to_u64(&v, cases[i].text, "price.per_row", &f);
        if (cases[i].ok) {
            if (rv != 0)
                fail_msg("%s refused: %s", what, f.detail);
            assert_int_equal(v, cases[i].want);
        } else {
            if (rv != -1)
                fail_msg("%s accepted", what);
            assert_int_equal(v, 0);
            check_fault(&f, FAULT_INVALID, "price.per_row",
                        cases[i].detail_has, what);
        }
    }
    {
        uint64_t v = 77;
        struct fault f;

        assert_int_equal(jsonv_decimal_to_u64(&v, NULL, "a", &f), -1);
        assert_int_equal(v, 0);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "text NULL");
        assert_int_equal(jsonv_decimal_to_u64(NULL, "1", "a", &f), -1);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
        assert_int_equal(
            jsonv_decimal_to_u64(&v, "18446744073709551616", NULL, &f), -1);
        check_fault(&f, FAULT_INVALID, "", "too large", "field NULL");
        assert_int_equal(jsonv_decimal_to_u64(&v, "42", NULL, NULL), 0);
        assert_int_equal(v, 42);
    }
}

/* A whole request body read the way a handler reads one. */
static void test_body_walkthrough(void **state)
{
    static const char *const top[] = {"name", "tags", "price", "preview_rows",
                                      "listed", NULL};
    static const char body[] =
        "{\"name\":\"weather\",\"tags\":[\"climate\",\"daily\"],"
        "\"price\":{\"per_row\":\"5\"},\"preview_rows\":10,\"listed\":true}";
    json_t *j;
    const char *name, *per_row, *tags[8];
    size_t ntags;
    uint64_t rows;
    int present, listed;
    struct fault f;

    (void)state;
    assert_int_equal(jsonv_parse_object(&j, (const uint8_t *)body,
                                        sizeof body - 1, &f),
                     0);
    assert_int_equal(jsonv_check_keys(j, top, "", &f), 0);
    assert_int_equal(jsonv_get_string(&name, j, "name", 1, 200, "", &f), 0);
    assert_string_equal(name, "weather");
    assert_int_equal(jsonv_get_string_array(tags, 8, &ntags, j, "tags", 0, 32,
                                            "", &f),
                     0);
    assert_int_equal(ntags, 2);
    assert_string_equal(tags[1], "daily");
    assert_int_equal(jsonv_get_decimal(&per_row, json_object_get(j, "price"),
                                       "per_row", 1, "price", &f),
                     0);
    assert_string_equal(per_row, "5");
    assert_int_equal(jsonv_get_uint(&rows, &present, j, "preview_rows", 0, 0,
                                    1000, "", &f),
                     0);
    assert_int_equal(rows, 10);
    assert_int_equal(
        jsonv_get_bool(&listed, &present, j, "listed", 0, "", &f), 0);
    assert_int_equal(listed, 1);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_join),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_duplicate_paths),
        cmocka_unit_test(test_parse_deep),
        cmocka_unit_test(test_parse_misuse),
        cmocka_unit_test(test_check_keys_table),
        cmocka_unit_test(test_check_keys_misuse),
        cmocka_unit_test(test_get_uint_table),
        cmocka_unit_test(test_get_uint_misuse),
        cmocka_unit_test(test_parse_negative_zero),
        cmocka_unit_test(test_check_text_table),
        cmocka_unit_test(test_trim_space_table),
        cmocka_unit_test(test_get_uint_negative_zero),
        cmocka_unit_test(test_get_bool),
        cmocka_unit_test(test_get_string),
        cmocka_unit_test(test_get_decimal_table),
        cmocka_unit_test(test_get_decimal_misuse),
        cmocka_unit_test(test_get_string_array_table),
        cmocka_unit_test(test_get_string_array_misuse),
        cmocka_unit_test(test_decimal_to_u64),
        cmocka_unit_test(test_body_walkthrough),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
