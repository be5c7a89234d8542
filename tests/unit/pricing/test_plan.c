/* Unit tests for pricing/plan.c: strict plans, canonical output, misuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/jsonv.h"
#include "pricing/plan.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

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
    s = json_string(f->detail);
    if (s == NULL)
        fail_msg("%s: detail is not valid UTF-8", what);
    json_decref(s);
}

static void assert_zeroed(const struct plan *p)
{
    static const struct plan zero;
    assert_memory_equal(p, &zero, sizeof zero);
}

/* A plan as read: expected values of an accepted case. */
struct want {
    enum plan_kind kind;
    const char *unit_wei;
    uint64_t unit_wei_u64;
    uint64_t per_query, per_chunk, per_row, per_mib, min_purchase;
    uint64_t price, duration_s;
};

struct plan_case {
    const char *json; /* the plan object */
    int ok;
    struct want want;
    const char *field; /* relative to the plan: "" names the plan itself */
    const char *detail_has;
};

#define GWEI "1000000000"
#define MAX63 9223372036854775807ull
#define TEN_YEARS 315360000ull

static const struct plan_case plan_cases[] = {
    /* Accepted. */
    {"{\"kind\":\"metered\",\"per_row\":\"5\"}", 1,
     {PLAN_METERED, GWEI, 1000000000, 0, 0, 5, 0, 0, 0, 0}, NULL, NULL},
    {"{\"kind\":\"metered\",\"unit_wei\":\"1\",\"per_query\":\"1\","
     "\"per_chunk\":\"2\",\"per_row\":\"3\",\"per_mib\":\"4\","
     "\"min_purchase\":\"100\"}",
     1, {PLAN_METERED, "1", 1, 1, 2, 3, 4, 100, 0, 0}, NULL, NULL},
    {"{\"min_purchase\":\"0\",\"per_mib\":\"9223372036854775807\","
     "\"kind\":\"metered\"}",
     1, {PLAN_METERED, GWEI, 1000000000, 0, 0, 0, MAX63, 0, 0, 0}, NULL,
     NULL},
    {"{\"kind\":\"metered\",\"per_query\":\"1\",\"per_row\":\"0\"}", 1,
     {PLAN_METERED, GWEI, 1000000000, 1, 0, 0, 0, 0, 0, 0}, NULL, NULL},
    {"{\"kind\":\"metered\",\"per_chunk\":\"7\",\"unit_wei\":"
     "\"18446744073709551615\"}",
     1,
     {PLAN_METERED, "18446744073709551615", UINT64_MAX, 0, 7, 0, 0, 0, 0, 0},
     NULL, NULL},
    {"{\"kind\":\"metered\",\"per_chunk\":\"7\",\"unit_wei\":"
     "\"18446744073709551616\"}",
     1, {PLAN_METERED, "18446744073709551616", 0, 0, 7, 0, 0, 0, 0, 0}, NULL,
     NULL},
    {"{\"kind\":\"metered\",\"per_chunk\":\"7\",\"unit_wei\":"
     "\"1000000000000000000000000000000\"}",
     1,
     {PLAN_METERED, "1000000000000000000000000000000", 0, 0, 7, 0, 0, 0, 0,
      0},
     NULL, NULL},
    {"{\"kind\":\"pass\",\"price\":\"100\",\"duration_s\":86400}", 1,
     {PLAN_PASS, GWEI, 1000000000, 0, 0, 0, 0, 0, 100, 86400}, NULL, NULL},
    {"{\"duration_s\":1,\"price\":\"1\",\"unit_wei\":\"1\",\"kind\":\"pass\"}",
     1, {PLAN_PASS, "1", 1, 0, 0, 0, 0, 0, 1, 1}, NULL, NULL},
    {"{\"kind\":\"pass\",\"price\":\"9223372036854775807\",\"duration_s\":"
     "315360000}",
     1, {PLAN_PASS, GWEI, 1000000000, 0, 0, 0, 0, 0, MAX63, TEN_YEARS}, NULL,
     NULL},

    /* kind. */
    {"{}", 0, {0}, "kind", "required"},
    {"{\"per_row\":\"1\"}", 0, {0}, "kind", "required"},
    {"{\"kind\":\"free\"}", 0, {0}, "kind", "\"metered\" or \"pass\""},
    {"{\"kind\":\"Metered\",\"per_row\":\"1\"}", 0, {0}, "kind", "metered"},
    {"{\"kind\":\"\"}", 0, {0}, "kind", "metered"},
    {"{\"kind\":1}", 0, {0}, "kind", "not an integer"},
    {"{\"kind\":null}", 0, {0}, "kind", "not null"},
    {"{\"kind\":[\"pass\"]}", 0, {0}, "kind", "not an array"},

    /* Metered amounts. */
    {"{\"kind\":\"metered\"}", 0, {0}, "", "charges nothing"},
    {"{\"kind\":\"metered\",\"per_row\":\"0\",\"per_query\":\"0\","
     "\"per_chunk\":\"0\",\"per_mib\":\"0\",\"min_purchase\":\"5\"}",
     0, {0}, "", "charges nothing"},
    {"{\"kind\":\"metered\",\"per_row\":5}", 0, {0}, "per_row",
     "amounts are decimal strings"},
    {"{\"kind\":\"metered\",\"per_row\":5.0}", 0, {0}, "per_row",
     "amounts are decimal strings"},
    {"{\"kind\":\"metered\",\"per_row\":\"007\"}", 0, {0}, "per_row",
     "leading zero"},
    {"{\"kind\":\"metered\",\"per_row\":\"+5\"}", 0, {0}, "per_row",
     "only the digits"},
    {"{\"kind\":\"metered\",\"per_row\":\"-5\"}", 0, {0}, "per_row",
     "only the digits"},
    {"{\"kind\":\"metered\",\"per_row\":\"\"}", 0, {0}, "per_row", "empty"},
    {"{\"kind\":\"metered\",\"per_row\":\"1.5\"}", 0, {0}, "per_row",
     "only the digits"},
    {"{\"kind\":\"metered\",\"per_row\":\"9223372036854775808\"}", 0, {0},
     "per_row", "at most 9223372036854775807 ledger units"},
    {"{\"kind\":\"metered\",\"per_row\":\"18446744073709551616\"}", 0, {0},
     "per_row", "too large"},
    {"{\"kind\":\"metered\",\"per_row\":"
     "\"1234567890123456789012345678901234567890123456789012345678901234567890"
     "123456789\"}",
     0, {0}, "per_row", "too large"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"per_mib\":null}", 0, {0},
     "per_mib", "not null"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"min_purchase\":true}", 0, {0},
     "min_purchase", "not true"},
    {"{\"kind\":\"metered\",\"per_query\":\"1\",\"per_chunk\":[]}", 0, {0},
     "per_chunk", "not an array"},

    /* Members of the other kind, or of none. */
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"price\":\"5\"}", 0, {0},
     "price", "not a known member of a metered plan"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"duration_s\":5}", 0, {0},
     "duration_s", "not a known member of a metered plan"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"extra\":1}", 0, {0}, "extra",
     "not a known member"},
    {"{\"kind\":\"pass\",\"price\":\"1\",\"duration_s\":1,\"\":1}", 0, {0}, "",
     "empty key"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"Per_row\":\"1\"}", 0, {0},
     "Per_row", "not a known member"},
    {"{\"kind\":\"pass\",\"price\":\"1\",\"duration_s\":1,\"per_row\":\"1\"}",
     0, {0}, "per_row", "not a known member of a pass plan"},
    {"{\"kind\":\"pass\",\"price\":\"1\",\"duration_s\":1,"
     "\"min_purchase\":\"1\"}",
     0, {0}, "min_purchase", "not a known member"},

    /* Pass. */
    {"{\"kind\":\"pass\",\"duration_s\":10}", 0, {0}, "price", "required"},
    {"{\"kind\":\"pass\",\"price\":\"0\",\"duration_s\":10}", 0, {0}, "price",
     "above 0"},
    {"{\"kind\":\"pass\",\"price\":100,\"duration_s\":10}", 0, {0}, "price",
     "amounts are decimal strings"},
    {"{\"kind\":\"pass\",\"price\":\"9223372036854775808\",\"duration_s\":1}",
     0, {0}, "price", "too large"},
    {"{\"kind\":\"pass\",\"price\":\"10\"}", 0, {0}, "duration_s",
     "required"},
    {"{\"kind\":\"pass\",\"price\":\"10\",\"duration_s\":0}", 0, {0},
     "duration_s", "between 1 and 315360000"},
    {"{\"kind\":\"pass\",\"price\":\"10\",\"duration_s\":315360001}", 0, {0},
     "duration_s", "between 1 and 315360000"},
    {"{\"kind\":\"pass\",\"price\":\"10\",\"duration_s\":\"10\"}", 0, {0},
     "duration_s", "not a string"},
    {"{\"kind\":\"pass\",\"price\":\"10\",\"duration_s\":1.0}", 0, {0},
     "duration_s", "fraction or exponent"},
    {"{\"kind\":\"pass\",\"price\":\"10\",\"duration_s\":1e3}", 0, {0},
     "duration_s", "fraction or exponent"},
    {"{\"kind\":\"pass\",\"price\":\"10\",\"duration_s\":-1}", 0, {0},
     "duration_s", "negative"},
    {"{\"kind\":\"pass\",\"price\":\"10\",\"duration_s\":9007199254740993}", 0,
     {0}, "duration_s", "between"},

    /* unit_wei. */
    {"{\"kind\":\"pass\",\"unit_wei\":\"0\",\"price\":\"1\",\"duration_s\":1}",
     0, {0}, "unit_wei", "at least 1"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"unit_wei\":"
     "\"1000000000000000000000000000001\"}",
     0, {0}, "unit_wei", "10^30"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"unit_wei\":"
     "\"99999999999999999999999999999999\"}",
     0, {0}, "unit_wei", "10^30"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"unit_wei\":1000000000}", 0,
     {0}, "unit_wei", "amounts are decimal strings"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"unit_wei\":\"1e9\"}", 0, {0},
     "unit_wei", "only the digits"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"unit_wei\":\"01\"}", 0, {0},
     "unit_wei", "leading zero"},
    {"{\"kind\":\"metered\",\"per_row\":\"1\",\"unit_wei\":null}", 0, {0},
     "unit_wei", "not null"},

    /* Not an object. */
    {"\"metered\"", 0, {0}, "", "JSON object, not a string"},
    {"[]", 0, {0}, "", "JSON object, not an array"},
    {"null", 0, {0}, "", "JSON object, not null"},
    {"5", 0, {0}, "", "JSON object"},
};

/* The field a case names when the plan is read at path. */
static void case_field(char *out, size_t cap, const char *path,
                       const char *rel)
{
    if (rel[0] == '\0')
        snprintf(out, cap, "%s", path[0] ? path : "body");
    else
        jsonv_path_join(out, cap, path, rel);
}

static void check_want(const struct plan *p, const struct want *w)
{
    assert_int_equal(p->kind, w->kind);
    assert_string_equal(p->unit_wei, w->unit_wei);
    assert_int_equal(p->unit_wei_u64, w->unit_wei_u64);
    assert_int_equal(p->per_query, w->per_query);
    assert_int_equal(p->per_chunk, w->per_chunk);
    assert_int_equal(p->per_row, w->per_row);
    assert_int_equal(p->per_mib, w->per_mib);
    assert_int_equal(p->min_purchase, w->min_purchase);
    assert_int_equal(p->price, w->price);
    assert_int_equal(p->duration_s, w->duration_s);
}

/* Every way back and forth gives the same plan and the same text. */
static void check_round_trips(const struct plan *p)
{
    struct plan q, r;
    json_t *j;
    char *text, *text2;
    struct fault f;

    assert_int_equal(plan_check(p, &f), 0);
    j = plan_to_json(p);
    assert_non_null(j);
    memset(&q, 0xa5, sizeof q);
    assert_int_equal(plan_from_json(&q, j, "price", &f), 0);
    assert_memory_equal(&q, p, sizeof q);
    json_decref(j);

    assert_int_equal(plan_to_text(&text, p, &f), 0);
    memset(&r, 0xa5, sizeof r);
    assert_int_equal(plan_from_text(&r, text, strlen(text), &f), 0);
    assert_memory_equal(&r, p, sizeof r);
    assert_int_equal(plan_to_text(&text2, &r, &f), 0);
    assert_string_equal(text, text2);
    free(text);
    free(text2);
}

static void run_plan_case(const struct plan_case *c, size_t i, int nested)
{
    const char *path = nested ? "price" : "";
    char body[512], what[64], field[FAULT_FIELD_MAX];
    json_t *doc = NULL;
    const json_t *j;
    struct plan p;
    struct fault f;
    int rv;

    snprintf(what, sizeof what, "plan case %zu%s", i,
             nested ? " (at price)" : " (top level)");
    if (nested)
        snprintf(body, sizeof body, "{\"name\":\"x\",\"price\":%s}", c->json);
    else
        snprintf(body, sizeof body, "%s", c->json);
    fault_clear(&f);
    if (c->json[0] != '{' && !nested) {
        /* Not an object: the body itself is refused on reading. */
        assert_int_equal(jsonv_parse_object(&doc, (const uint8_t *)body,
                                            strlen(body), &f),
                         -1);
        check_fault(&f, FAULT_INVALID, "body", "JSON object", what);
        /* And plan_from_json refuses the value read any other way. */
        doc = json_loads(body, JSON_DECODE_ANY, NULL);
        assert_non_null(doc);
        memset(&p, 0xa5, sizeof p);
        assert_int_equal(plan_from_json(&p, doc, "", &f), -1);
        assert_zeroed(&p);
        check_fault(&f, FAULT_INVALID, "body", c->detail_has, what);
        json_decref(doc);
        return;
    }
    if (jsonv_parse_object(&doc, (const uint8_t *)body, strlen(body), &f) != 0)
        fail_msg("%s: body refused: %s", what, f.detail);
    j = nested ? json_object_get(doc, "price") : doc;
    memset(&p, 0xa5, sizeof p);
    rv = plan_from_json(&p, j, path, &f);
    if (c->ok) {
        if (rv != 0)
            fail_msg("%s refused: %s", what, f.detail);
        check_want(&p, &c->want);
        check_round_trips(&p);
    } else {
        if (rv != -1)
            fail_msg("%s accepted", what);
        assert_zeroed(&p);
        case_field(field, sizeof field, path, c->field);
        check_fault(&f, FAULT_INVALID, field, c->detail_has, what);
    }
    json_decref(doc);
}

static void test_plan_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(plan_cases); i++) {
        run_plan_case(&plan_cases[i], i, 1);
        run_plan_case(&plan_cases[i], i, 0);
    }
}

/* Refusals that happen while the body is read, named all the same. */
static void test_plan_body_refusals(void **state)
{
    static const struct {
        const char *body;
        const char *field;
        const char *detail_has;
    } cases[] = {
        {"{\"price\":{\"kind\":\"pass\",\"kind\":\"metered\"}}", "price.kind",
         "twice"},
        {"{\"price\":{\"kind\":\"metered\",\"per_row\":\"1\",\"per_row\":"
         "\"2\"}}",
         "price.per_row", "twice"},
        {"{\"price\":{\"kind\":\"pass\",\"price\":\"1\",\"duration_s\":"
         "99999999999999999999}}",
         "price.duration_s", "out of range"},
        {"{\"price\":{\"kind\":\"pass\\u0000\"}}", "price.kind", "\\u0000"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *j = (json_t *)&j;
        struct fault f;
        char what[32];

        snprintf(what, sizeof what, "body case %zu", i);
        assert_int_equal(jsonv_parse_object(&j, (const uint8_t *)cases[i].body,
                                            strlen(cases[i].body), &f),
                         -1);
        assert_null(j);
        check_fault(&f, FAULT_INVALID, cases[i].field, cases[i].detail_has,
                    what);
    }
}

static void test_plan_canonical(void **state)
{
    static const struct {
        const char *in;
        const char *text;
    } cases[] = {
        {"{\"kind\":\"metered\",\"per_row\":\"5\"}",
         "{\"kind\":\"metered\",\"min_purchase\":\"0\",\"per_chunk\":\"0\","
         "\"per_mib\":\"0\",\"per_query\":\"0\",\"per_row\":\"5\","
         "\"unit_wei\":\"1000000000\"}"},
        {" { \"per_row\" : \"5\" , \"unit_wei\":\"1000000000\",\n"
         "\"kind\" : \"metered\", \"per_mib\": \"0\" } ",
         "{\"kind\":\"metered\",\"min_purchase\":\"0\",\"per_chunk\":\"0\","
         "\"per_mib\":\"0\",\"per_query\":\"0\",\"per_row\":\"5\","
         "\"unit_wei\":\"1000000000\"}"},
        {"{\"kind\":\"pass\",\"price\":\"100\",\"duration_s\":86400}",
         "{\"duration_s\":86400,\"kind\":\"pass\",\"price\":\"100\","
         "\"unit_wei\":\"1000000000\"}"},
        {"{\"kind\":\"pass\",\"unit_wei\":\"1000000000000000000000000000000\","
         "\"price\":\"1\",\"duration_s\":315360000}",
         "{\"duration_s\":315360000,\"kind\":\"pass\",\"price\":\"1\","
         "\"unit_wei\":\"1000000000000000000000000000000\"}"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct plan p;
        struct fault f;
        char *text = NULL;
        json_t *j;

        assert_int_equal(
            plan_from_text(&p, cases[i].in, strlen(cases[i].in), &f), 0);
        assert_int_equal(plan_to_text(&text, &p, &f), 0);
        assert_string_equal(text, cases[i].text);
        free(text);

        /* plan_to_json: every member present, with its JSON type, in the
         * order of DESIGN.md 4. */
        j = plan_to_json(&p);
        assert_non_null(j);
        assert_string_equal(
            json_string_value(json_object_iter_value(json_object_iter(j))),
            plan_kind_name(p.kind));
        assert_true(json_is_string(json_object_get(j, "unit_wei")));
        if (p.kind == PLAN_METERED) {
            assert_int_equal(json_object_size(j), 7);
            assert_true(json_is_string(json_object_get(j, "per_query")));
            assert_true(json_is_string(json_object_get(j, "per_chunk")));
            assert_true(json_is_string(json_object_get(j, "per_row")));
            assert_true(json_is_string(json_object_get(j, "per_mib")));
            assert_true(json_is_string(json_object_get(j, "min_purchase")));
        } else {
            assert_int_equal(json_object_size(j), 4);
            assert_true(json_is_string(json_object_get(j, "price")));
            assert_true(json_is_integer(json_object_get(j, "duration_s")));
        }
        json_decref(j);
    }
}

static struct plan good_metered(void)
{
    struct plan p;

    memset(&p, 0, sizeof p);
    p.kind = PLAN_METERED;
    memcpy(p.unit_wei, GWEI, sizeof GWEI);
    p.unit_wei_u64 = 1000000000;
    p.per_row = 5;
    return p;
}

static struct plan good_pass(void)
{
    struct plan p;

    memset(&p, 0, sizeof p);
    p.kind = PLAN_PASS;
    memcpy(p.unit_wei, "1", 2);
    p.unit_wei_u64 = 1;
    p.price = 10;
    p.duration_s = 3600;
    return p;
}

/* Plans built in code that plan_from_json could never give. */
static void test_plan_check_misuse(void **state)
{
    struct plan bad[24];
    size_t n = 0;

    (void)state;
    bad[n] = good_metered(), bad[n].kind = (enum plan_kind)0, n++;
    bad[n] = good_metered(), bad[n].kind = (enum plan_kind)3, n++;
    bad[n] = good_metered(), bad[n].unit_wei[0] = '\0', n++;
    bad[n] = good_metered(), memcpy(bad[n].unit_wei, "01", 3), n++;
    bad[n] = good_metered(), memcpy(bad[n].unit_wei, "0", 2),
    bad[n].unit_wei_u64 = 0, n++;
    bad[n] = good_metered(), memset(bad[n].unit_wei, '1', sizeof bad[n].unit_wei),
    n++; /* not terminated */
    bad[n] = good_metered(), bad[n].unit_wei_u64 = 7, n++;
    bad[n] = good_metered(), bad[n].per_row = 0, n++;
    bad[n] = good_metered(), bad[n].per_row = MAX63 + 1, n++;
    bad[n] = good_metered(), bad[n].min_purchase = UINT64_MAX, n++;
    bad[n] = good_metered(), bad[n].price = 1, n++;
    bad[n] = good_metered(), bad[n].duration_s = 1, n++;
    bad[n] = good_pass(), bad[n].price = 0, n++;
    bad[n] = good_pass(), bad[n].price = MAX63 + 1, n++;
    bad[n] = good_pass(), bad[n].duration_s = 0, n++;
    bad[n] = good_pass(), bad[n].duration_s = TEN_YEARS + 1, n++;
    bad[n] = good_pass(), bad[n].per_query = 1, n++;
    bad[n] = good_pass(), bad[n].min_purchase = 1, n++;
    bad[n] = good_pass(), memcpy(bad[n].unit_wei, "1000000000000000000000000000001", 32), n++;

    {
        struct plan m = good_metered(), p = good_pass();
        struct fault f;

        assert_int_equal(plan_check(&m, &f), 0);
        assert_int_equal(plan_check(&p, &f), 0);
        check_round_trips(&m);
        check_round_trips(&p);
    }
    for (size_t i = 0; i < n; i++) {
        struct fault f;
        char *text = (char *)&text;
        char what[32];

        snprintf(what, sizeof what, "bad plan %zu", i);
        fault_clear(&f);
        if (plan_check(&bad[i], &f) != -1)
            fail_msg("%s passed plan_check", what);
        check_fault(&f, FAULT_INVALID, NULL, NULL, what);
        assert_null(plan_to_json(&bad[i]));
        assert_int_equal(plan_to_text(&text, &bad[i], &f), -1);
        assert_null(text);
        check_fault(&f, FAULT_INTERNAL, NULL, "not a valid plan", what);
    }
    {
        struct fault f;
        char *text = (char *)&text;

        assert_int_equal(plan_check(NULL, &f), -1);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "check NULL");
        assert_null(plan_to_json(NULL));
        assert_int_equal(plan_to_text(&text, NULL, &f), -1);
        assert_null(text);
        assert_int_equal(plan_to_text(NULL, &bad[0], &f), -1);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "to_text out NULL");
    }
    assert_null(plan_kind_name((enum plan_kind)0));
    assert_string_equal(plan_kind_name(PLAN_METERED), "metered");
    assert_string_equal(plan_kind_name(PLAN_PASS), "pass");
}

static void test_plan_from_misuse(void **state)
{
    struct plan p;
    struct fault f;
    json_t *j = json_object();

    (void)state;
    assert_int_equal(plan_from_json(NULL, j, "", &f), -1);
    check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
    memset(&p, 0xa5, sizeof p);
    assert_int_equal(plan_from_json(&p, NULL, "price", &f), -1);
    assert_zeroed(&p);
    check_fault(&f, FAULT_INVALID, "price", "JSON object", "j NULL");
    memset(&p, 0xa5, sizeof p);
    assert_int_equal(plan_from_json(&p, j, NULL, &f), -1);
    assert_zeroed(&p);
    check_fault(&f, FAULT_INVALID, "kind", "required", "path NULL");
    assert_int_equal(plan_from_json(&p, j, "", NULL), -1);
    json_decref(j);
}

static void test_plan_from_text_refusals(void **state)
{
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *detail_has;
    } cases[] = {
        {"", 0, "empty"},
        {"{", 0, "not valid JSON"},
        {"[]", 0, "JSON object"},
        {"{\"kind\":\"metered\"}", 0, "charges nothing"},
        {"{\"kind\":\"pass\",\"price\":\"1\",\"duration_s\":1,\"x\":0}", 0,
         "x is not a known member"},
        {"{\"kind\":\"pass\",\"kind\":\"pass\",\"price\":\"1\","
         "\"duration_s\":1}",
         0, "kind is given twice"},
        {"{\"kind\":\"pass\",\"price\":\"1\",\"duration_s\":1}\0", 43, "NUL"},
        {"{\"kind\":\"pass\",\"price\":1,\"duration_s\":1}", 0,
         "decimal strings"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct plan p;
        struct fault f;
        char what[32];
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);

        snprintf(what, sizeof what, "text case %zu", i);
        memset(&p, 0xa5, sizeof p);
        assert_int_equal(plan_from_text(&p, cases[i].text, len, &f), -1);
        assert_zeroed(&p);
        /* Stored text that is not a plan is corruption, not bad input. */
        check_fault(&f, FAULT_CORRUPT, "", cases[i].detail_has, what);
    }
    {
        struct plan p;
        struct fault f;

        memset(&p, 0xa5, sizeof p);
        assert_int_equal(plan_from_text(&p, NULL, 3, &f), -1);
        assert_zeroed(&p);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "text NULL");
        assert_int_equal(plan_from_text(NULL, "{}", 2, &f), -1);
        check_fault(&f, FAULT_INTERNAL, NULL, NULL, "out NULL");
        memset(&p, 0xa5, sizeof p);
        assert_int_equal(plan_from_text(&p, NULL, 0, &f), -1);
        assert_zeroed(&p);
        check_fault(&f, FAULT_CORRUPT, NULL, "empty", "text NULL, len 0");
        /* Only len bytes count. */
        assert_int_equal(
            plan_from_text(&p,
                           "{\"kind\":\"pass\",\"price\":\"1\",\"duration_s\":1}"
                           "trailing",
                           42, &f),
            0);
        assert_int_equal(p.kind, PLAN_PASS);
    }
}

/* DESIGN.md 4's formula, each step checked: the MiB rounded up once over
 * the summed bytes; 2^63 - 1 is the most a cost may be. */
static void test_plan_cost(void **state)
{
    struct plan p = {0};
    struct plan_usage u = {0};
    struct fault f;
    uint64_t cost;

    (void)state;
    p.kind = PLAN_METERED;
    p.per_query = 10;
    p.per_chunk = 100;
    p.per_row = 1;
    p.per_mib = 1000;
    u = (struct plan_usage){0, 0, 0};
    assert_int_equal(plan_cost(&cost, &p, &u, &f), 0);
    assert_int_equal(cost, 10);
    u = (struct plan_usage){3, 1500, 1};
    assert_int_equal(plan_cost(&cost, &p, &u, &f), 0);
    assert_int_equal(cost, 10 + 300 + 1500 + 1000);
    u = (struct plan_usage){3, 1500, 1u << 20};
    assert_int_equal(plan_cost(&cost, &p, &u, &f), 0);
    assert_int_equal(cost, 10 + 300 + 1500 + 1000);
    u = (struct plan_usage){3, 1500, (1u << 20) + 1};
    assert_int_equal(plan_cost(&cost, &p, &u, &f), 0);
    assert_int_equal(cost, 10 + 300 + 1500 + 2000);
    /* The most bytes there can be: the ceiling does not wrap. */
    p.per_mib = 1;
    p.per_query = p.per_chunk = p.per_row = 0;
    u = (struct plan_usage){0, 0, UINT64_MAX};
    assert_int_equal(plan_cost(&cost, &p, &u, &f), 0);
    assert_int_equal(cost, (UINT64_MAX >> 20) + 1);
    /* Exactly 2^63 - 1 is a cost; one more is 400 "cost", never a wrap. */
    p.per_mib = 0;
    p.per_query = PLAN_AMOUNT_MAX;
    u = (struct plan_usage){0, 0, 0};
    assert_int_equal(plan_cost(&cost, &p, &u, &f), 0);
    assert_int_equal(cost, PLAN_AMOUNT_MAX);
    p.per_chunk = 1;
    u = (struct plan_usage){1, 0, 0};
    assert_int_equal(plan_cost(&cost, &p, &u, &f), -1);
    assert_int_equal(cost, 0);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "cost");
    p.per_query = 0;
    p.per_row = PLAN_AMOUNT_MAX;
    u = (struct plan_usage){0, 3, 0}; /* the product overflows */
    assert_int_equal(plan_cost(&cost, &p, &u, &f), -1);
    p.per_row = (UINT64_MAX / 3) + 1; /* the product wraps past 2^64 */
    assert_int_equal(plan_cost(&cost, &p, &u, &f), -1);
    /* A pass plan's queries cost 0. */
    memset(&p, 0, sizeof p);
    p.kind = PLAN_PASS;
    p.price = 5;
    p.duration_s = 60;
    u = (struct plan_usage){100, 100, 100};
    assert_int_equal(plan_cost(&cost, &p, &u, &f), 0);
    assert_int_equal(cost, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_table),
        cmocka_unit_test(test_plan_cost),
        cmocka_unit_test(test_plan_body_refusals),
        cmocka_unit_test(test_plan_canonical),
        cmocka_unit_test(test_plan_check_misuse),
        cmocka_unit_test(test_plan_from_misuse),
        cmocka_unit_test(test_plan_from_text_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
