/* Unit tests for client/priceopt.c: the price options turned into plans
 * (checked with the gateway's own rules), their refusals, durations, and
 * the one-line description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/priceopt.h"

/* The plan as canonical compact text with sorted keys. */
static char *plan_text(const json_t *j)
{
    char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

    assert_non_null(t);
    return t;
}

static void test_parse_ok(void **state)
{
    static const struct {
        enum priceopt_kind kind;
        const char *text, *want;
    } cases[] = {
        {PRICEOPT_METERED, "per_query=1,per_chunk=2,per_row=0,per_mib=5",
         "{\"kind\":\"metered\",\"min_purchase\":\"0\",\"per_chunk\":\"2\","
         "\"per_mib\":\"5\",\"per_query\":\"1\",\"per_row\":\"0\","
         "\"unit_wei\":\"1000000000\"}"},
        {PRICEOPT_METERED, "per_row=7",
         "{\"kind\":\"metered\",\"min_purchase\":\"0\",\"per_chunk\":\"0\","
         "\"per_mib\":\"0\",\"per_query\":\"0\",\"per_row\":\"7\","
         "\"unit_wei\":\"1000000000\"}"},
        {PRICEOPT_METERED,
         "per_query=9223372036854775807, unit_wei=1,min_purchase=10",
         "{\"kind\":\"metered\",\"min_purchase\":\"10\",\"per_chunk\":\"0\","
         "\"per_mib\":\"0\",\"per_query\":\"9223372036854775807\","
         "\"per_row\":\"0\",\"unit_wei\":\"1\"}"},
        {PRICEOPT_PASS, "price=1000,duration=30d",
         "{\"duration_s\":2592000,\"kind\":\"pass\",\"price\":\"1000\","
         "\"unit_wei\":\"1000000000\"}"},
        {PRICEOPT_PASS, "duration=3600,price=1,unit_wei=1000000000000000000",
         "{\"duration_s\":3600,\"kind\":\"pass\",\"price\":\"1\","
         "\"unit_wei\":\"1000000000000000000\"}"},
        {PRICEOPT_JSON, "{\"kind\":\"metered\",\"per_mib\":\"3\"}",
         "{\"kind\":\"metered\",\"min_purchase\":\"0\",\"per_chunk\":\"0\","
         "\"per_mib\":\"3\",\"per_query\":\"0\",\"per_row\":\"0\","
         "\"unit_wei\":\"1000000000\"}"},
        {PRICEOPT_JSON,
         "{\"kind\":\"pass\",\"price\":\"5\",\"duration_s\":60,"
         "\"unit_wei\":\"2\"}",
         "{\"duration_s\":60,\"kind\":\"pass\",\"price\":\"5\","
         "\"unit_wei\":\"2\"}"},
    };
    struct fault f;
    json_t *plan;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t;
        fault_clear(&f);
        if (priceopt_parse(&plan, cases[i].kind, cases[i].text, &f) != 0)
            fail_msg("'%s': %s", cases[i].text, f.detail);
        t = plan_text(plan);
        if (strcmp(t, cases[i].want) != 0)
            fail_msg("'%s' gave %s", cases[i].text, t);
        free(t);
        json_decref(plan);
    }
}

static void test_parse_bad(void **state)
{
    static const struct {
        enum priceopt_kind kind;
        const char *text, *words;
    } cases[] = {
        {PRICEOPT_METERED, "", "key=value"},
        {PRICEOPT_METERED, "per_query", "not key=value"},
        {PRICEOPT_METERED, "per_qery=1", "unknown key 'per_qery'"},
        {PRICEOPT_METERED, "price=1", "unknown key 'price'"},
        {PRICEOPT_METERED, "per_query=1,per_query=2", "given twice"},
        {PRICEOPT_METERED, "per_query=01", "whole number"},
        {PRICEOPT_METERED, "per_query=-1", "whole number"},
        {PRICEOPT_METERED, "per_query=1.5", "whole number"},
        {PRICEOPT_METERED, "per_query=", "whole number"},
        {PRICEOPT_METERED, "per_query=0", "charges nothing"},
        {PRICEOPT_METERED, "per_query=9223372036854775808", "too large"},
        {PRICEOPT_METERED, "per_row=1,unit_wei=0", "at least 1"},
        {PRICEOPT_PASS, "price=10", "needs price=UNITS and duration"},
        {PRICEOPT_PASS, "duration=1d", "needs price=UNITS and duration"},
        {PRICEOPT_PASS, "price=0,duration=1d", "above 0"},
        {PRICEOPT_PASS, "price=1,duration=0", "above 0"},
        {PRICEOPT_PASS, "price=1,duration=1y", "unknown unit"},
        {PRICEOPT_PASS, "price=1,duration=11000d", "ten years"},
        {PRICEOPT_PASS, "price=1,duration=1d,duration=2d", "twice"},
        {PRICEOPT_PASS, "price=1,duration=1d,per_row=1", "unknown key"},
        {PRICEOPT_JSON, "", "not a JSON object"},
        {PRICEOPT_JSON, "[1]", "not a JSON object"},
        {PRICEOPT_JSON, "{\"kind\":\"metered\",\"per_row\":1}",
         "decimal string"},
        {PRICEOPT_JSON, "{\"kind\":\"metered\",\"per_row\":\"1\",\"x\":1}",
         "not a known member"},
        {PRICEOPT_JSON, "{\"kind\":\"free\"}", "\"metered\" or \"pass\""},
        {PRICEOPT_JSON, "{\"kind\":\"pass\",\"price\":\"1\"}", "duration_s"},
        {PRICEOPT_JSON, "{\"kind\":\"metered\",\"kind\":\"pass\"}",
         "not a JSON object"},
    };
    struct fault f;
    json_t *plan;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_clear(&f);
        plan = (json_t *)&f; /* anything but NULL */
        if (priceopt_parse(&plan, cases[i].kind, cases[i].text, &f) != -1)
            fail_msg("'%s' was accepted", cases[i].text);
        assert_null(plan);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, priceopt_option(cases[i].kind));
        if (strstr(f.detail, cases[i].words) == NULL)
            fail_msg("'%s': '%s' lacks '%s'", cases[i].text, f.detail,
                     cases[i].words);
    }
    assert_int_equal(priceopt_parse(&plan, PRICEOPT_PASS, NULL, &f), -1);
}

static void test_duration(void **state)
{
    static const struct {
        const char *text;
        uint64_t secs; /* 0: refused */
    } cases[] = {
        {"1", 1}, {"90s", 90}, {"15m", 900}, {"2h", 7200}, {"30d", 2592000},
        {"2w", 1209600}, {"315360000", 315360000}, {"3650d", 315360000},
        {"315360001", 0}, {"3651d", 0}, {"0", 0}, {"0d", 0}, {"", 0},
        {"d", 0}, {"-1", 0}, {"1dd", 0}, {"1 d", 0}, {"1.5d", 0},
        {"99999999999999999999999", 0}, {"1y", 0},
    };
    struct fault f;
    uint64_t v;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_clear(&f);
        int rv = priceopt_parse_duration(&v, cases[i].text, "duration", &f);
        if (cases[i].secs) {
            if (rv != 0 || v != cases[i].secs)
                fail_msg("'%s': rv %d v %llu (%s)", cases[i].text, rv,
                         (unsigned long long)v, f.detail);
        } else {
            if (rv != -1)
                fail_msg("'%s' accepted", cases[i].text);
            assert_int_equal(v, 0);
            assert_string_equal(f.field, "duration");
        }
    }
}

static void test_describe(void **state)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"kind\":\"metered\",\"unit_wei\":\"1000000000\","
         "\"per_query\":\"1\",\"per_chunk\":\"0\",\"per_row\":\"0\","
         "\"per_mib\":\"5\",\"min_purchase\":\"0\"}",
         "metered: 1 gwei per query + 5 gwei per MiB"},
        {"{\"kind\":\"metered\",\"unit_wei\":\"1\",\"per_row\":\"3\","
         "\"min_purchase\":\"100\"}",
         "metered: 3 wei per row (at least 100 wei a purchase)"},
        {"{\"kind\":\"metered\",\"unit_wei\":\"7\",\"per_chunk\":\"2\"}",
         "metered: 2 units per chunk (1 unit = 7 wei)"},
        {"{\"kind\":\"pass\",\"unit_wei\":\"1000000000000000000\","
         "\"price\":\"2\",\"duration_s\":2592000}",
         "pass: 2 ETH for 30 days"},
        {"{\"kind\":\"pass\",\"unit_wei\":\"1000000000\",\"price\":\"9\","
         "\"duration_s\":3600}",
         "pass: 9 gwei for 1 hour"},
        {"{\"kind\":\"pass\",\"price\":\"9\",\"duration_s\":61}",
         "pass: 9 gwei for 61 s"},
        {"null", "none"},
        {"{\"kind\":\"other\"}", "?"},
        {"{}", "?"},
    };
    char out[256], tiny[8];
    json_t *j;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        priceopt_describe(out, sizeof out, j);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("%s gave '%s'", cases[i].json, out);
        json_decref(j);
    }
    priceopt_describe(out, sizeof out, NULL);
    assert_string_equal(out, "none");
    j = json_loads(cases[0].json, 0, NULL);
    priceopt_describe(tiny, sizeof tiny, j);
    assert_int_equal(strlen(tiny), sizeof tiny - 1); /* cut, terminated */
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_describe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
