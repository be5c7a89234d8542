/*
 * plan: a data-set's price plan (DESIGN.md 4), read strictly from JSON and
 * written back in one canonical form.
 *
 * Two kinds, amounts in ledger units of the plan as decimal strings:
 *
 *   {"kind": "metered", "unit_wei", "per_query", "per_chunk", "per_row",
 *    "per_mib", "min_purchase"}
 *   {"kind": "pass", "unit_wei", "price", "duration_s"}
 *
 * - kind is required; a member of the other kind is refused as unknown.
 * - unit_wei (wei per ledger unit) is optional, default "1000000000"
 *   (1 gwei); a decimal string from 1 to 10^30. It may exceed 2^64 - 1, so
 *   the plan keeps its text, and its value when it fits.
 * - metered: every amount is optional, default "0", each at most 2^63 - 1
 *   (an SQLite INTEGER); the plan must charge something: at least one of
 *   per_query, per_chunk, per_row, per_mib above 0. min_purchase is the
 *   least number of units a purchase may buy (0: no minimum).
 * - pass: price (units, 1 to 2^63 - 1) and duration_s (a JSON integer
 *   from 1 to PLAN_DURATION_MAX_S, ten years of 365 days) are required.
 *
 * Every refusal is FAULT_INVALID naming the member's path ("price.per_row"
 * for a plan read at path "price"; "per_row" at path "").
 */
#ifndef SLUICE_PRICING_PLAN_H
#define SLUICE_PRICING_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/fault.h"

enum plan_kind {
    PLAN_METERED = 1, /* per query, per chunk, per row, per MiB */
    PLAN_PASS = 2     /* unlimited queries until an expiry */
};

/* The default of unit_wei: 1 gwei. */
#define PLAN_UNIT_WEI_DEFAULT "1000000000"

/* unit_wei is at most 10^30 wei: 31 digits. */
#define PLAN_UNIT_WEI_MAX_DIGITS 31

/* The largest amount in ledger units: 2^63 - 1, what SQLite stores. */
#define PLAN_AMOUNT_MAX 9223372036854775807ull

/* The longest pass: ten years of 365 days, in seconds. */
#define PLAN_DURATION_MAX_S (10ull * 365 * 24 * 60 * 60)

struct plan {
    enum plan_kind kind;
    /* Wei per ledger unit, canonical decimal text, "1" to 10^30. */
    char unit_wei[PLAN_UNIT_WEI_MAX_DIGITS + 1];
    /* The value of unit_wei, or 0 when it is above 2^64 - 1. */
    uint64_t unit_wei_u64;
    /* PLAN_METERED (all 0 in a pass plan): ledger units. */
    uint64_t per_query;
    uint64_t per_chunk;
    uint64_t per_row;
    uint64_t per_mib;
    uint64_t min_purchase;
    /* PLAN_PASS (both 0 in a metered plan). */
    uint64_t price;      /* ledger units per purchase */
    uint64_t duration_s; /* how far a purchase extends the expiry */
};

/* Return the JSON name of kind ("metered", "pass"), or NULL for a value
 * that is not a plan kind. */
const char *plan_kind_name(enum plan_kind kind);

/* Check that p holds a plan that plan_from_json could have produced: a
 * known kind, canonical unit_wei text in range with unit_wei_u64 agreeing,
 * amounts in range, the fields of the other kind 0, and the rules above.
 * Returns 0; on failure -1 with f set: FAULT_INVALID naming the field
 * (plain member names, no path); FAULT_INTERNAL if p is NULL. */
int plan_check(const struct plan *p, struct fault *f)
    __attribute__((warn_unused_result));

/* Read the plan j, found at path ("" for a whole body, "price" for the
 * member of a data-set), strictly: j must be an object, kind is required,
 * unknown members are refused, every member is checked as above. Returns 0
 * with *out filled (defaults applied, unused fields 0); on failure -1 with
 * *out zeroed and f set: FAULT_INVALID naming the member's path (or path
 * itself, "body" when "", when j is not an object or a metered plan
 * charges nothing); FAULT_INTERNAL if out is NULL. */
int plan_from_json(struct plan *out, const json_t *j, const char *path,
                   struct fault *f) __attribute__((warn_unused_result));

/* Return p as a new JSON object in canonical form: kind, unit_wei and every
 * member of its kind present, amounts as decimal strings, duration_s as an
 * integer. The caller json_decref's it. Returns NULL when memory runs out
 * or p fails plan_check (a bug in the caller). */
json_t *plan_to_json(const struct plan *p)
    __attribute__((warn_unused_result));

/* Write p as canonical JSON text for storage: plan_to_json's object,
 * compact, keys sorted; one plan has exactly one text. Returns 0 with *out
 * a NUL-terminated string the caller free()s; on failure -1 with
 * *out = NULL and f set: FAULT_INTERNAL when p fails plan_check (the
 * detail says why) or memory runs out, or out is NULL. */
int plan_to_text(char **out, const struct plan *p, struct fault *f)
    __attribute__((warn_unused_result));

/* Read a plan stored by plan_to_text from text[0..len) (any plan JSON is
 * accepted, canonical or not, with the rules of plan_from_json at path
 * ""). Returns 0 with *out filled; on failure -1 with *out zeroed and f
 * set: FAULT_CORRUPT when the text is not a valid plan (the detail says
 * why), FAULT_INTERNAL for misuse (out NULL, text NULL with len > 0) or
 * when memory runs out. */
int plan_from_text(struct plan *out, const char *text, size_t len,
                   struct fault *f) __attribute__((warn_unused_result));

/* What a query touches, for its cost: the chunks, and the sums of their
 * rows and plaintext bytes (a chunk is paid whole). */
struct plan_usage {
    uint64_t chunks;
    uint64_t rows;
    uint64_t plain_bytes;
};

/* The cost of a query touching u under plan p (DESIGN.md 4), into *cost:
 * a metered plan costs per_query + per_chunk * chunks + per_row * rows +
 * per_mib * ceil(plain_bytes / 2^20), every step checked; a pass plan's
 * queries cost 0 (they need a running pass instead). Returns 0; -1 with
 * *cost = 0 and f set: FAULT_INVALID naming "cost" when the sum would pass
 * PLAN_AMOUNT_MAX (a query that costs more than any balance can hold is
 * the caller's 400, never a wrap). */
int plan_cost(uint64_t *cost, const struct plan *p, const struct plan_usage *u,
              struct fault *f) __attribute__((warn_unused_result));

#endif
