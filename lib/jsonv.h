/*
 * jsonv: strict reading of JSON request bodies over jansson
 * (DESIGN.md 3.2 and 3.9).
 *
 * A body is one JSON object: no duplicate keys, no NUL bytes, valid UTF-8.
 * Members are read by name with their type and bounds checked; an unknown
 * member is refused. Every refusal is FAULT_INVALID with `field` set to the
 * member's path ("price.per_row"; "tags[2]" for an array element; "body"
 * when no member is at fault) and a detail sentence that names it.
 *
 * Paths: functions that read a member of an object take the object's own
 * path ("" for the body itself, "price" for the object under "price") and
 * the member's key; the member's path is "<path>.<key>", or "<key>" when
 * path is "". A path longer than FAULT_FIELD_MAX - 1 bytes is cut at a
 * UTF-8 character boundary and ends in "...".
 *
 * Types, as DESIGN.md 3.2 has them:
 * - integers (counts, durations, chain ids) are JSON integers: 1.0 and 1e3
 *   (numbers jansson reads as reals), negatives (-0 too: it is written
 *   with a minus sign) and anything above 2^53 are refused;
 * - amounts (wei, ledger units) are JSON strings matching 0|[1-9][0-9]*, at
 *   most 2^256 - 1; a JSON number where an amount belongs is refused;
 * - null is never "absent": a member given as null has the wrong type.
 *
 * Strings returned by the readers are borrowed from the object: they stay
 * valid while the object lives and is not changed.
 */
#ifndef SLUICE_LIB_JSONV_H
#define SLUICE_LIB_JSONV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/fault.h"

/* The largest integer a JSON integer field may hold: 2^53. */
#define JSONV_INT_MAX 9007199254740992ull

/* The most digits an amount may have: 2^256 - 1 has 78. */
#define JSONV_DECIMAL_MAX_DIGITS 78

/* Write the path of member key of the object at path into out[0..cap):
 * "<path>.<key>", or "<key>" when path is "" or NULL; an empty key gives
 * path itself. Text that does not fit is cut at a UTF-8 character
 * boundary and ends in "...". Always NUL-terminates when cap > 0. */
void jsonv_path_join(char *out, size_t cap, const char *path,
                     const char *key);

/* Parse body[0..len) as one JSON object with no duplicate keys. Returns 0
 * with *out a new reference (the caller json_decref's it); on failure -1
 * with *out = NULL and f set: FAULT_INVALID for an empty body, a NUL byte,
 * invalid UTF-8, a syntax error, a body that is not an object (field
 * "body"), and for a duplicate key, a number out of range (beyond what
 * jansson holds: 64-bit integers, doubles) or a \u0000 escape (field: the
 * member's path, e.g. "price.kind"; "body" when the path holds an empty
 * key or is more than 32 levels deep); details carry jansson's line and
 * column. FAULT_INTERNAL for misuse (out NULL, body NULL with len > 0) or
 * when memory runs out. jansson reads the integer -0 as 0; in *out each
 * number written exactly "-0" is the real -0.0 instead, so that
 * jsonv_get_uint refuses it as negative while a reader of JSON numbers
 * still sees zero. */
int jsonv_parse_object(json_t **out, const uint8_t *body, size_t len,
                       struct fault *f) __attribute__((warn_unused_result));

/* Refuse any member of obj whose key is not in allowed (a NULL-terminated
 * list). Returns 0; on failure -1 with f set: FAULT_INVALID naming the
 * first unknown member ("<path>.<key>"; an empty key is named by its
 * object: path, or "body" when path is ""), or naming path ("body" when
 * path is "") when obj is not a JSON object; FAULT_INTERNAL if allowed is
 * NULL. */
int jsonv_check_keys(const json_t *obj, const char *const *allowed,
                     const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Read member key of obj as a string of at most max_len bytes with no NUL.
 * Returns 0 with *out the string (borrowed from obj), or *out = NULL when
 * the member is absent and not required. On failure -1 with *out = NULL
 * and f set: FAULT_INVALID naming the member (missing when required, not a
 * string, too long, holds a NUL) or naming path when obj is not an object;
 * FAULT_INTERNAL for misuse (out or key NULL). */
int jsonv_get_string(const char **out, const json_t *obj, const char *key,
                     int required, size_t max_len, const char *path,
                     struct fault *f) __attribute__((warn_unused_result));

/* Read member key of obj as a JSON integer in [min, max] (max is lowered
 * to JSONV_INT_MAX). Returns 0 with *present = 1 and *out the value, or
 * *present = 0 and *out = 0 when the member is absent and not required.
 * On failure -1 with *out = 0, *present = 0 and f set: FAULT_INVALID
 * naming the member (missing when required, not a number, written with a
 * fraction or exponent, negative -0 included, out of range) or naming
 * path when obj is not an object; FAULT_INTERNAL for misuse (out, present or key NULL,
 * min > max). present may not be NULL. */
int jsonv_get_uint(uint64_t *out, int *present, const json_t *obj,
                   const char *key, int required, uint64_t min, uint64_t max,
                   const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Read member key of obj as true or false. Returns 0 with *present = 1 and
 * *out 1 or 0, or *present = 0 and *out = 0 when the member is absent and
 * not required. On failure -1 with *out = 0, *present = 0 and f set as
 * jsonv_get_uint's (missing when required, not a boolean). */
int jsonv_get_bool(int *out, int *present, const json_t *obj, const char *key,
                   int required, const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Read member key of obj as an amount: a JSON string matching
 * 0|[1-9][0-9]* of at most 2^256 - 1. Returns 0 with *out the digits
 * (borrowed from obj), or *out = NULL when the member is absent and not
 * required. On failure -1 with *out = NULL and f set: FAULT_INVALID naming
 * the member (missing when required; a JSON number, whose detail says that
 * amounts are decimal strings; another type; empty, a sign, a leading zero
 * or another character; above 2^256 - 1) or naming path when obj is not
 * an object; FAULT_INTERNAL for misuse (out or key NULL). */
int jsonv_get_decimal(const char **out, const json_t *obj, const char *key,
                      int required, const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Read member key of obj as an array of at most max_count distinct
 * non-empty strings of at most max_len bytes each, with no NUL. out has
 * room for max_count pointers. Returns 0 with out[0..*count) the strings
 * in order (borrowed from obj) and the rest of out NULL, or *count = 0
 * when the member is absent
 * and not required (an empty array is also *count = 0). On failure -1 with
 * *count = 0, out[0..max_count) NULL and f set: FAULT_INVALID naming the
 * member (missing when required, not an array, too many elements) or the
 * element ("tags[2]": not a string, empty, too long, a NUL, a repeat of an
 * earlier one), or naming path when obj is not an object; FAULT_INTERNAL
 * for misuse (out, count or key NULL). */
int jsonv_get_string_array(const char **out, size_t max_count, size_t *count,
                           const json_t *obj, const char *key, int required,
                           size_t max_len, const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* What a text member may hold (jsonv_check_text). */
enum jsonv_text {
    /* One line shown to others (a name, a tag): no control character
     * (C0, DEL, C1), no line or paragraph separator (U+2028, U+2029), no
     * bidirectional control (U+202A-U+202E, U+2066-U+2069, and the marks
     * U+200E, U+200F, U+061C) and no zero-width character (U+200B-U+200D,
     * U+2060, U+FEFF): what could make it read otherwise than it is. */
    JSONV_TEXT_LABEL,
    /* Free text (a description, a license): no control character but
     * newline (LF) and tab. */
    JSONV_TEXT_PROSE
};

/* Check that text[0..len) is valid UTF-8 holding only what rules allows.
 * Returns 0; on failure -1 with f set: FAULT_INVALID naming field (may be
 * NULL) with a detail that names the character (U+XXXX), what it is and
 * its byte offset; FAULT_INTERNAL if text is NULL. */
int jsonv_check_text(const char *text, size_t len, enum jsonv_text rules,
                     const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Find text[0..len) without the white space (Unicode White_Space) at its
 * two ends: put its start in *off and its length in *n (both 0 when
 * nothing else remains). Bytes that are not UTF-8 count as text. */
void jsonv_trim_space(size_t *off, size_t *n, const char *text, size_t len);

/* Check that text matches 0|[1-9][0-9]* with at most
 * JSONV_DECIMAL_MAX_DIGITS digits and a value of at most 2^256 - 1.
 * Returns 0; on failure -1 with f set: FAULT_INVALID naming field (may be
 * NULL) with a detail that says what is wrong; FAULT_INTERNAL if text is
 * NULL. */
int jsonv_check_decimal(const char *text, const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Convert the amount text (0|[1-9][0-9]*) to its value. Returns 0 with
 * *out the value; on failure -1 with *out = 0 and f set: FAULT_INVALID
 * naming field (may be NULL) when text is not such an amount or is above
 * 2^64 - 1 ("too large"); FAULT_INTERNAL for misuse (out or text NULL). */
int jsonv_decimal_to_u64(uint64_t *out, const char *text, const char *field,
                         struct fault *f) __attribute__((warn_unused_result));

#endif
