/*
 * jsonrow: a strict scanner for one JSON Lines row (RFC 8259), which must
 * be one JSON object.
 *
 * The splitter cannot use a general JSON library here: its index needs the
 * exact text of every number (a double loses "1e400" and long integers),
 * and it must refuse what RFC 8259 refuses (invalid UTF-8, lone surrogates,
 * trailing commas, control characters) and duplicate top-level keys. The
 * scanner validates the whole row, nested values included, and hands back
 * the top-level members: keys and string values decoded to UTF-8, numbers
 * as their text, other values as their raw JSON text. It allocates nothing
 * per value: decoded strings point into the row when they hold no escape,
 * otherwise into a scratch buffer kept between rows.
 */
#ifndef SLUICE_STORAGE_JSONROW_H
#define SLUICE_STORAGE_JSONROW_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "storage/numtext.h"

/* Containers nested deeper than this (the row's own object is depth 1)
 * are refused. */
#define JSONROW_MAX_DEPTH 64

enum jsonrow_kind {
    JSONROW_STRING,
    JSONROW_NUMBER,
    JSONROW_TRUE,
    JSONROW_FALSE,
    JSONROW_NULL,
    JSONROW_OBJECT,
    JSONROW_ARRAY
};

/* One top-level member of the row. */
struct jsonrow_member {
    const uint8_t *key;   /* decoded UTF-8 (may hold U+0000) */
    size_t key_len;
    const uint8_t *value; /* string: decoded UTF-8; number: its exact text;
                             otherwise the raw JSON text of the value */
    size_t value_len;
    enum jsonrow_kind kind;
    struct numtext_parts num; /* number: its parts; otherwise zeroed */
};

/* A scanner and the members of the last row it parsed. Members point into
 * the row text and the scratch buffer: valid until the next parse or
 * jsonrow_release. */
struct jsonrow {
    struct jsonrow_member *members;
    size_t count;
    size_t obj_off, obj_len; /* the object's text within the row */
    size_t members_cap;
    uint8_t *scratch;
    size_t scratch_cap;
};

/* Initialise jr to an empty scanner (allocates nothing). */
void jsonrow_init(struct jsonrow *jr);

/* Free what jr holds and reset it to empty. jr may be NULL. */
void jsonrow_release(struct jsonrow *jr);

/* Parse text[0..len) as one JSON object, optionally surrounded by JSON
 * whitespace. row is the row number quoted in error details. Returns 0 with
 * jr->members[0..count) set; on failure -1 with count = 0 and f set:
 * FAULT_INVALID for anything RFC 8259 refuses, a value that is not an
 * object, or nesting deeper than JSONROW_MAX_DEPTH ("row N: ..."), and
 * FAULT_INTERNAL when memory runs out. Duplicate keys are not checked here
 * (the caller maps keys to columns and checks there). */
int jsonrow_parse(struct jsonrow *jr, const uint8_t *text, size_t len,
                  uint64_t row, struct fault *f)
    __attribute__((warn_unused_result));

/* Return the length (1 to 4) of the well-formed UTF-8 sequence that starts
 * s[0..len) (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), or 0 when it does not start with one. len must be >= 1. */
size_t jsonrow_utf8_seq(const uint8_t *s, size_t len);

/* Return 1 if s[0..len) is entirely well-formed UTF-8, else 0. */
int jsonrow_utf8_valid(const uint8_t *s, size_t len);

#endif
