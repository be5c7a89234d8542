#include "pricing/plan.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonv.h"

/* 10^30, the largest unit_wei. */
static const char plan_unit_wei_max[] = "1000000000000000000000000000000";

/* The members of each kind: kind and unit_wei first, then its own. */
static const char *const plan_metered_keys[] = {
    "kind",    "unit_wei", "per_query",    "per_chunk",
    "per_row", "per_mib",  "min_purchase", NULL};

static const char *const plan_pass_keys[] = {"kind", "unit_wei", "price",
                                             "duration_s", NULL};

const char *plan_kind_name(enum plan_kind kind)
{
    switch (kind) {
    case PLAN_METERED: return "metered";
    case PLAN_PASS: return "pass";
    }
    return NULL;
}

/* Check that text (already a valid amount) is 1 to 10^30, and give its
 * value when it fits in 64 bits (else 0). */
static int plan_unit_wei_value(uint64_t *value, const char *text,
                               const char *field, struct fault *f)
{
    size_t n = strlen(text);
    struct fault ignored;

    *value = 0;
    if (strcmp(text, "0") == 0)
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be at least 1 (wei per ledger unit)",
                         field);
    if (n > sizeof plan_unit_wei_max - 1 ||
        (n == sizeof plan_unit_wei_max - 1 &&
         strcmp(text, plan_unit_wei_max) > 0))
        return fault_set(f, FAULT_INVALID, field,
                         "%s is too large: at most 10^30 wei per ledger unit",
                         field);
    if (jsonv_decimal_to_u64(value, text, field, &ignored) != 0)
        *value = 0; /* above 2^64 - 1: the text alone holds it */
    return 0;
}

/* Convert an amount text to ledger units, at most PLAN_AMOUNT_MAX. */
static int plan_amount_value(uint64_t *value, const char *text,
                             const char *field, struct fault *f)
{
    if (jsonv_decimal_to_u64(value, text, field, f) != 0 ||
        *value > PLAN_AMOUNT_MAX) {
        *value = 0;
        return fault_set(f, FAULT_INVALID, field,
                         "%s is too large: at most %" PRIu64
                         " ledger units",
                         field, (uint64_t)PLAN_AMOUNT_MAX);
    }
    return 0;
}

/* Read the optional amount member key of j into *value (default 0). */
static int plan_get_amount(uint64_t *value, const json_t *j, const char *key,
                           int required, const char *path, struct fault *f)
{
    const char *text;
    char field[FAULT_FIELD_MAX];

    *value = 0;
    if (jsonv_get_decimal(&text, j, key, required, path, f) != 0)
        return -1;
    if (text == NULL)
        return 0;
    jsonv_path_join(field, sizeof field, path, key);
    return plan_amount_value(value, text, field, f);
}

int plan_from_json(struct plan *out, const json_t *j, const char *path,
                   struct fault *f)
{
    struct plan p;
    const char *const *other;
    const char *kind, *unit_wei;
    char field[FAULT_FIELD_MAX];
    int present, rv = -1;
    size_t i;

    memset(&p, 0, sizeof p);
    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "plan_from_json: no output");
    memset(out, 0, sizeof *out);
    if (path == NULL)
        path = "";
    if (jsonv_get_string(&kind, j, "kind", 1, SIZE_MAX, path, f) != 0)
        goto done;
    jsonv_path_join(field, sizeof field, path, "kind");
    if (strcmp(kind, "metered") == 0) {
        p.kind = PLAN_METERED;
    } else if (strcmp(kind, "pass") == 0) {
        p.kind = PLAN_PASS;
    } else {
        fault_set(f, FAULT_INVALID, field,
                  "%s must be \"metered\" or \"pass\"", field);
        goto done;
    }
    /* A member of the other kind gets a detail that says so. */
    other = p.kind == PLAN_METERED ? plan_pass_keys : plan_metered_keys;
    for (i = 2; other[i] != NULL; i++) {
        if (json_object_get(j, other[i]) != NULL) {
            jsonv_path_join(field, sizeof field, path, other[i]);
            fault_set(f, FAULT_INVALID, field,
                      "%s is not a known member of a %s plan", field, kind);
            goto done;
        }
    }
    if (jsonv_check_keys(j,
                         p.kind == PLAN_METERED ? plan_metered_keys
                                                : plan_pass_keys,
                         path, f) != 0)
        goto done;

    if (jsonv_get_decimal(&unit_wei, j, "unit_wei", 0, path, f) != 0)
        goto done;
    if (unit_wei == NULL)
        unit_wei = PLAN_UNIT_WEI_DEFAULT;
    jsonv_path_join(field, sizeof field, path, "unit_wei");
    if (plan_unit_wei_value(&p.unit_wei_u64, unit_wei, field, f) != 0)
        goto done;
    /* A valid amount of at most 10^30 has at most 31 digits. */
    memcpy(p.unit_wei, unit_wei, strlen(unit_wei) + 1);

    switch (p.kind) {
    case PLAN_METERED:
        if (plan_get_amount(&p.per_query, j, "per_query", 0, path, f) != 0 ||
            plan_get_amount(&p.per_chunk, j, "per_chunk", 0, path, f) != 0 ||
            plan_get_amount(&p.per_row, j, "per_row", 0, path, f) != 0 ||
            plan_get_amount(&p.per_mib, j, "per_mib", 0, path, f) != 0 ||
            plan_get_amount(&p.min_purchase, j, "min_purchase", 0, path,
                            f) != 0)
            goto done;
        if (p.per_query == 0 && p.per_chunk == 0 && p.per_row == 0 &&
            p.per_mib == 0) {
            int top = path[0] == '\0';

            jsonv_path_join(field, sizeof field, top ? "body" : path, "");
            fault_set(f, FAULT_INVALID, field,
                      "%s is a metered plan that charges nothing: at least "
                      "one of per_query, per_chunk, per_row or per_mib must "
                      "be above 0",
                      top ? "the body" : field);
            goto done;
        }
        break;
    case PLAN_PASS:
        if (plan_get_amount(&p.price, j, "price", 1, path, f) != 0)
            goto done;
        if (p.price == 0) {
            jsonv_path_join(field, sizeof field, path, "price");
            fault_set(f, FAULT_INVALID, field,
                      "%s must be above 0: a pass is not free", field);
            goto done;
        }
        if (jsonv_get_uint(&p.duration_s, &present, j, "duration_s", 1, 1,
                           PLAN_DURATION_MAX_S, path, f) != 0)
            goto done;
        break;
    }
    *out = p;
    rv = 0;
done:
    return rv;
}

int plan_check(const struct plan *p, struct fault *f)
{
    uint64_t v;
    size_t n;

    if (p == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "plan_check: no plan");
    if (plan_kind_name(p->kind) == NULL)
        return fault_set(f, FAULT_INVALID, "kind",
                         "kind %d is not a plan kind", (int)p->kind);
    n = strnlen(p->unit_wei, sizeof p->unit_wei);
    if (n == sizeof p->unit_wei)
        return fault_set(f, FAULT_INVALID, "unit_wei",
                         "unit_wei is not terminated");
    if (jsonv_check_decimal(p->unit_wei, "unit_wei", f) != 0 ||
        plan_unit_wei_value(&v, p->unit_wei, "unit_wei", f) != 0)
        return -1;
    if (v != p->unit_wei_u64)
        return fault_set(f, FAULT_INVALID, "unit_wei",
                         "unit_wei_u64 (%" PRIu64 ") disagrees with unit_wei "
                         "(%s)",
                         p->unit_wei_u64, p->unit_wei);
    switch (p->kind) {
    case PLAN_METERED:
        if (p->per_query > PLAN_AMOUNT_MAX || p->per_chunk > PLAN_AMOUNT_MAX ||
            p->per_row > PLAN_AMOUNT_MAX || p->per_mib > PLAN_AMOUNT_MAX ||
            p->min_purchase > PLAN_AMOUNT_MAX)
            return fault_set(f, FAULT_INVALID, NULL,
                             "a metered amount is above %" PRIu64,
                             (uint64_t)PLAN_AMOUNT_MAX);
        if (p->per_query == 0 && p->per_chunk == 0 && p->per_row == 0 &&
            p->per_mib == 0)
            return fault_set(f, FAULT_INVALID, NULL,
                             "a metered plan must charge something");
        if (p->price != 0 || p->duration_s != 0)
            return fault_set(f, FAULT_INVALID, NULL,
                             "a metered plan has no price or duration_s");
        break;
    case PLAN_PASS:
        if (p->price == 0 || p->price > PLAN_AMOUNT_MAX)
            return fault_set(f, FAULT_INVALID, "price",
                             "price must be 1 to %" PRIu64,
                             (uint64_t)PLAN_AMOUNT_MAX);
        if (p->duration_s == 0 || p->duration_s > PLAN_DURATION_MAX_S)
            return fault_set(f, FAULT_INVALID, "duration_s",
                             "duration_s must be 1 to %" PRIu64,
                             (uint64_t)PLAN_DURATION_MAX_S);
        if (p->per_query != 0 || p->per_chunk != 0 || p->per_row != 0 ||
            p->per_mib != 0 || p->min_purchase != 0)
            return fault_set(f, FAULT_INVALID, NULL,
                             "a pass plan has no metered amounts");
        break;
    }
    return 0;
}

/* Set member key of obj to the decimal text of v; -1 when memory runs out. */
static int plan_set_amount(json_t *obj, const char *key, uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return json_object_set_new(obj, key, json_string(buf));
}

json_t *plan_to_json(const struct plan *p)
{
    json_t *j = NULL, *res = NULL;
    struct fault f;

    if (plan_check(p, &f) != 0)
        return NULL;
    j = json_object();
    if (j == NULL)
        goto done;
    if (json_object_set_new(j, "kind", json_string(plan_kind_name(p->kind))) !=
            0 ||
        json_object_set_new(j, "unit_wei", json_string(p->unit_wei)) != 0)
        goto done;
    switch (p->kind) {
    case PLAN_METERED:
        if (plan_set_amount(j, "per_query", p->per_query) != 0 ||
            plan_set_amount(j, "per_chunk", p->per_chunk) != 0 ||
            plan_set_amount(j, "per_row", p->per_row) != 0 ||
            plan_set_amount(j, "per_mib", p->per_mib) != 0 ||
            plan_set_amount(j, "min_purchase", p->min_purchase) != 0)
            goto done;
        break;
    case PLAN_PASS:
        if (plan_set_amount(j, "price", p->price) != 0 ||
            json_object_set_new(j, "duration_s",
                                json_integer((json_int_t)p->duration_s)) != 0)
            goto done;
        break;
    }
    res = j;
    j = NULL;
done:
    json_decref(j);
    return res;
}

int plan_to_text(char **out, const struct plan *p, struct fault *f)
{
    json_t *j = NULL;
    struct fault why;
    int rv = -1;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "plan_to_text: no output");
    *out = NULL;
    if (plan_check(p, &why) != 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "plan_to_text: not a valid plan: %s",
                  why.detail);
        goto done;
    }
    j = plan_to_json(p);
    if (j == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL,
                  "out of memory while writing a plan");
        goto done;
    }
    *out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    if (*out == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL,
                  "out of memory while writing a plan");
        goto done;
    }
    rv = 0;
done:
    json_decref(j);
    return rv;
}

int plan_from_text(struct plan *out, const char *text, size_t len,
                   struct fault *f)
{
    json_t *j = NULL;
    struct fault why;
    int rv = -1;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "plan_from_text: no output");
    memset(out, 0, sizeof *out);
    if (text == NULL && len > 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "plan_from_text: no text");
    fault_clear(&why);
    if (jsonv_parse_object(&j, (const uint8_t *)text, len, &why) != 0 ||
        plan_from_json(out, j, "", &why) != 0) {
        if (why.kind == FAULT_INTERNAL)
            fault_set(f, FAULT_INTERNAL, NULL, "%s", why.detail);
        else
            fault_set(f, FAULT_CORRUPT, NULL, "a stored price plan is bad: %s",
                      why.detail);
        goto done;
    }
    rv = 0;
done:
    json_decref(j);
    return rv;
}

/* a + b * c into *acc, or -1 when any step passes PLAN_AMOUNT_MAX. */
static int cost_add(uint64_t *acc, uint64_t b, uint64_t c)
{
    uint64_t term;

    if (__builtin_mul_overflow(b, c, &term) || term > PLAN_AMOUNT_MAX)
        return -1;
    if (__builtin_add_overflow(*acc, term, acc) || *acc > PLAN_AMOUNT_MAX)
        return -1;
    return 0;
}

int plan_cost(uint64_t *cost, const struct plan *p, const struct plan_usage *u,
              struct fault *f)
{
    /* Whole MiB, rounded up once over the summed bytes: no overflow, since
     * (x >> 20) + 1 fits whenever x does. */
    uint64_t mib = (u->plain_bytes >> 20) + ((u->plain_bytes & 0xfffff) != 0);
    uint64_t acc = 0;

    *cost = 0;
    if (p->kind == PLAN_PASS)
        return 0;
    if (cost_add(&acc, p->per_query, 1) < 0 ||
        cost_add(&acc, p->per_chunk, u->chunks) < 0 ||
        cost_add(&acc, p->per_row, u->rows) < 0 ||
        cost_add(&acc, p->per_mib, mib) < 0) {
        fault_set(f, FAULT_INVALID, "cost",
                  "the query would cost more than %llu units; ask for fewer "
                  "chunks", (unsigned long long)PLAN_AMOUNT_MAX);
        return -1;
    }
    *cost = acc;
    return 0;
}
