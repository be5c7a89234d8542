/*
 * priceopt: the price options of the CLI, turned into a plan (DESIGN.md 4)
 * and checked with the gateway's own rules (pricing/plan) before anything
 * is sent:
 *
 *   --price-json '{"kind":"metered","per_query":"1"}'   a plan as JSON
 *   --price-metered per_query=1,per_chunk=2,per_row=0,per_mib=5
 *                   (also min_purchase=N, unit_wei=N)
 *   --price-pass price=1000,duration=30d               (also unit_wei=N)
 *
 * Amounts are ledger units as decimal digits (1 unit = unit_wei wei,
 * 1 gwei by default). A pass duration is seconds, or a number with s, m,
 * h, d or w.
 */
#ifndef SLUICE_CLIENT_PRICEOPT_H
#define SLUICE_CLIENT_PRICEOPT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/fault.h"

enum priceopt_kind {
    PRICEOPT_JSON = 1, /* --price-json */
    PRICEOPT_METERED,  /* --price-metered */
    PRICEOPT_PASS      /* --price-pass */
};

/* Return the option name of kind ("--price-json", ...), never NULL. */
const char *priceopt_option(enum priceopt_kind kind);

/* Parse text given to the option of kind into a plan, checked as the
 * gateway checks one. Returns 0 with *out a new JSON object in canonical
 * form (the caller json_decref's it); on failure -1 with *out = NULL and f
 * FAULT_INVALID naming the option, with a detail that names the key at
 * fault (FAULT_INTERNAL when memory runs out). */
int priceopt_parse(json_t **out, enum priceopt_kind kind, const char *text,
                   struct fault *f) __attribute__((warn_unused_result));

/* Parse a duration: decimal seconds, or digits followed by one of s, m,
 * h, d (days) or w (weeks); at least 1 s and at most ten years. Returns 0
 * with *out the seconds; on failure -1 with *out = 0 and f FAULT_INVALID
 * naming field. */
int priceopt_parse_duration(uint64_t *out, const char *text,
                            const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Write a one-line description of the plan JSON plan (as the gateway
 * shows it) into out[0..cap), e.g. "metered: 1 gwei per query + 5 gwei
 * per MiB" or "pass: 1000 gwei for 30 days"; "none" for NULL or JSON
 * null, "?" for what is not a plan. Always NUL-terminates when cap > 0;
 * text that does not fit is cut. */
void priceopt_describe(char *out, size_t cap, const json_t *plan);

#endif
