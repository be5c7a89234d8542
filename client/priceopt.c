#include "client/priceopt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonv.h"
#include "pricing/plan.h"

#define PRICEOPT_TEXT_MAX 1024

const char *priceopt_option(enum priceopt_kind kind)
{
    switch (kind) {
    case PRICEOPT_JSON: return "--price-json";
    case PRICEOPT_METERED: return "--price-metered";
    case PRICEOPT_PASS: return "--price-pass";
    }
    return "--price";
}

int priceopt_parse_duration(uint64_t *out, const char *text,
                            const char *field, struct fault *f)
{
    uint64_t v = 0, mult = 1;
    const char *p = text;

    *out = 0;
    if (text == NULL || p[0] < '0' || p[0] > '9')
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a number of seconds, or a number with "
                         "s, m, h, d or w (e.g. 30d)", field);
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > PLAN_DURATION_MAX_S)
            break;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p >= '0' && *p <= '9')
        return fault_set(f, FAULT_INVALID, field,
                         "%s is longer than ten years", field);
    switch (*p) {
    case '\0': case 's': mult = 1; break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    case 'w': mult = 7 * 86400; break;
    default:
        return fault_set(f, FAULT_INVALID, field,
                         "%s has an unknown unit '%s' (use s, m, h, d or w)",
                         field, p);
    }
    if (*p != '\0' && p[1] != '\0')
        return fault_set(f, FAULT_INVALID, field,
                         "%s has an unknown unit '%s' (use s, m, h, d or w)",
                         field, p);
    if (v == 0)
        return fault_set(f, FAULT_INVALID, field, "%s must be above 0",
                         field);
    if (v > PLAN_DURATION_MAX_S / mult)
        return fault_set(f, FAULT_INVALID, field,
                         "%s is longer than ten years", field);
    *out = v * mult;
    return 0;
}

/* Parse "key=value,key=value" into obj, each key one of allowed; amounts
 * become strings and "duration" becomes the integer duration_s. */
static int priceopt_pairs(json_t *obj, const char *text,
                          const char *const *allowed, const char *opt,
                          struct fault *f)
{
    char buf[PRICEOPT_TEXT_MAX], list[256];
    char *save = NULL, *item, *eq;
    size_t i;

    list[0] = '\0';
    for (i = 0; allowed[i] != NULL; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", allowed[i]);
    if (strlen(text) >= sizeof buf)
        return fault_set(f, FAULT_INVALID, opt, "%s is too long", opt);
    memcpy(buf, text, strlen(text) + 1);
    if (buf[0] == '\0')
        return fault_set(f, FAULT_INVALID, opt,
                         "%s needs key=value pairs (keys: %s)", opt, list);
    for (item = strtok_r(buf, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        const char *key, *val;
        json_t *v;
        while (*item == ' ')
            item++;
        eq = strchr(item, '=');
        if (eq == NULL)
            return fault_set(f, FAULT_INVALID, opt,
                             "%s: '%s' is not key=value (keys: %s)", opt,
                             item, list);
        *eq = '\0';
        key = item;
        val = eq + 1;
        for (i = 0; allowed[i] != NULL && strcmp(allowed[i], key) != 0; i++)
            ;
        if (allowed[i] == NULL)
            return fault_set(f, FAULT_INVALID, opt,
                             "%s: unknown key '%s' (keys: %s)", opt, key,
                             list);
        if (strcmp(key, "duration") == 0) {
            uint64_t secs;
            char field[64];
            snprintf(field, sizeof field, "%s duration", opt);
            if (json_object_get(obj, "duration_s") != NULL)
                return fault_set(f, FAULT_INVALID, opt,
                                 "%s: duration is given twice", opt);
            if (priceopt_parse_duration(&secs, val, field, f) < 0) {
                snprintf(f->field, sizeof f->field, "%s", opt);
                return -1;
            }
            v = json_integer((json_int_t)secs);
            key = "duration_s";
        } else {
            if (json_object_get(obj, key) != NULL)
                return fault_set(f, FAULT_INVALID, opt,
                                 "%s: %s is given twice", opt, key);
            if (jsonv_check_decimal(val, key, f) < 0)
                return fault_set(f, FAULT_INVALID, opt,
                                 "%s: %s must be a whole number of ledger "
                                 "units (digits, no sign or leading zero), "
                                 "not '%.40s'", opt, key, val);
            v = json_string(val);
        }
        if (v == NULL || json_object_set_new(obj, key, v) < 0)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

int priceopt_parse(json_t **out, enum priceopt_kind kind, const char *text,
                   struct fault *f)
{
    static const char *const metered[] = {"per_query", "per_chunk",
                                          "per_row",   "per_mib",
                                          "min_purchase", "unit_wei", NULL};
    static const char *const pass[] = {"price", "duration", "unit_wei", NULL};
    const char *opt = priceopt_option(kind);
    struct plan p;
    json_t *obj = NULL;
    int rv = -1;

    *out = NULL;
    if (text == NULL)
        return fault_set(f, FAULT_INVALID, opt, "%s needs a value", opt);
    switch (kind) {
    case PRICEOPT_JSON:
        if (jsonv_parse_object(&obj, (const uint8_t *)text, strlen(text),
                               f) < 0) {
            fault_set(f, FAULT_INVALID, opt, "%s is not a JSON object: %s",
                      opt, f->detail);
            goto done;
        }
        break;
    case PRICEOPT_METERED:
    case PRICEOPT_PASS:
        obj = json_pack("{s:s}", "kind",
                        kind == PRICEOPT_PASS ? "pass" : "metered");
        if (obj == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        if (priceopt_pairs(obj, text, kind == PRICEOPT_PASS ? pass : metered,
                           opt, f) < 0)
            goto done;
        if (kind == PRICEOPT_PASS &&
            (json_object_get(obj, "price") == NULL ||
             json_object_get(obj, "duration_s") == NULL)) {
            fault_set(f, FAULT_INVALID, opt,
                      "%s needs price=UNITS and duration=TIME (e.g. "
                      "price=1000,duration=30d)", opt);
            goto done;
        }
        break;
    }
    /* Checked as the gateway checks the member "price" of a data-set, so
     * that details name "price.per_row" rather than "the body". */
    if (plan_from_json(&p, obj, "price", f) < 0) {
        char detail[FAULT_DETAIL_MAX];
        snprintf(detail, sizeof detail, "%s", f->detail);
        fault_set(f, FAULT_INVALID, opt, "%s: %s", opt, detail);
        goto done;
    }
    *out = plan_to_json(&p);
    if (*out == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    rv = 0;
done:
    json_decref(obj);
    return rv;
}

/* Append printf text to out[0..cap), cutting what does not fit. */
static void priceopt_add(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void priceopt_add(char *out, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(out);
    va_list ap;

    if (n + 1 >= cap)
        return;
    va_start(ap, fmt);
    vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
}

static const char *priceopt_unit(const char *unit_wei)
{
    if (strcmp(unit_wei, "1") == 0)
        return "wei";
    if (strcmp(unit_wei, "1000000000") == 0)
        return "gwei";
    if (strcmp(unit_wei, "1000000000000000000") == 0)
        return "ETH";
    return NULL;
}

static void priceopt_duration_text(char *out, size_t cap, uint64_t s)
{
    if (s % 86400 == 0)
        snprintf(out, cap, "%llu day%s", (unsigned long long)(s / 86400),
                 s == 86400 ? "" : "s");
    else if (s % 3600 == 0)
        snprintf(out, cap, "%llu hour%s", (unsigned long long)(s / 3600),
                 s == 3600 ? "" : "s");
    else if (s % 60 == 0)
        snprintf(out, cap, "%llu minute%s", (unsigned long long)(s / 60),
                 s == 60 ? "" : "s");
    else
        snprintf(out, cap, "%llu s", (unsigned long long)s);
}

void priceopt_describe(char *out, size_t cap, const json_t *plan)
{
    static const char *const parts[][2] = {
        {"per_query", "query"}, {"per_chunk", "chunk"},
        {"per_row", "row"},     {"per_mib", "MiB"},
    };
    const char *kind, *unit_wei, *unit, *v;
    char dur[48];
    size_t i;
    int shown = 0;

    if (cap == 0)
        return;
    out[0] = '\0';
    if (plan == NULL || json_is_null(plan)) {
        snprintf(out, cap, "none");
        return;
    }
    kind = json_string_value(json_object_get(plan, "kind"));
    unit_wei = json_string_value(json_object_get(plan, "unit_wei"));
    if (kind == NULL) {
        snprintf(out, cap, "?");
        return;
    }
    if (unit_wei == NULL)
        unit_wei = PLAN_UNIT_WEI_DEFAULT;
    unit = priceopt_unit(unit_wei);
    if (strcmp(kind, "pass") == 0) {
        v = json_string_value(json_object_get(plan, "price"));
        priceopt_duration_text(
            dur, sizeof dur,
            (uint64_t)json_integer_value(json_object_get(plan, "duration_s")));
        priceopt_add(out, cap, "pass: %s %s for %s", v ? v : "?",
                     unit ? unit : "units", dur);
    } else if (strcmp(kind, "metered") == 0) {
        priceopt_add(out, cap, "metered:");
        for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
            v = json_string_value(json_object_get(plan, parts[i][0]));
            if (v == NULL || strcmp(v, "0") == 0)
                continue;
            priceopt_add(out, cap, "%s %s %s per %s", shown ? " +" : "", v,
                         unit ? unit : "units", parts[i][1]);
            shown = 1;
        }
        v = json_string_value(json_object_get(plan, "min_purchase"));
        if (v != NULL && strcmp(v, "0") != 0)
            priceopt_add(out, cap, " (at least %s %s a purchase)", v,
                         unit ? unit : "units");
    } else {
        snprintf(out, cap, "?");
        return;
    }
    if (unit == NULL)
        priceopt_add(out, cap, " (1 unit = %s wei)", unit_wei);
}
