/*
 * colorder: the order of one column's values, as the chunk index records
 * it and as a query's `where` reads it (DESIGN.md 3.6, docs/PROTOCOL.md 7).
 *
 * The rules, in one place, so that the splitter that writes the index and
 * the planner that reads it never disagree:
 * - A value is indexed unless it is empty: an empty CSV field, an empty
 *   JSON string, null, a boolean, an object or an array is not.
 * - An indexed value is a number iff it is a CSV field whose text matches
 *   the JSON number grammar, or a JSON number (numtext.h: `1e3` is 1000,
 *   `-0` is 0; `NaN`, `007`, `+5` are text; a JSON string is text).
 * - A column is `number` when every value indexed for it in the data-set
 *   is a number (and there is one), otherwise `text`.
 * - Numbers compare by exact value; text compares bytewise (UTF-8, so code
 *   point order), a prefix first.
 * - Per chunk and column the index keeps number bounds (min and max by
 *   value of the values that are numbers; none when one of them is longer
 *   than max_index_value) and text bounds (min and max bytewise of every
 *   indexed value, numbers by their text). A text min longer than
 *   max_index_value is cut to it (still a lower bound); a text max is cut
 *   and its last byte below 0xff raised by one (still an upper bound), or
 *   there is no max when no such byte exists.
 * - A condition [column, op, value] holds for a row iff the row's value in
 *   the column is indexed and compares with value under the column's type
 *   as op says. A value that is not indexed satisfies no condition, `!=`
 *   included. A `number` column takes a JSON number, a `text` column a
 *   JSON string.
 * - A chunk may be left out of a query only when its bounds for the
 *   column's type prove that no row of it satisfies the condition; a
 *   missing bound proves nothing.
 */
#ifndef SLUICE_STORAGE_COLORDER_H
#define SLUICE_STORAGE_COLORDER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/fault.h"
#include "storage/numtext.h"

/* What a value is to the index, and the type of a column (NUMBER or TEXT
 * only). */
enum colorder_kind { COLORDER_NONE, COLORDER_NUMBER, COLORDER_TEXT };

/* The JSON type of a JSON Lines value, as far as the index cares. */
enum colorder_json {
    COLORDER_JSON_NUMBER,
    COLORDER_JSON_STRING,
    COLORDER_JSON_OTHER /* null, true, false, an object, an array */
};

/* Return what the CSV field v[0..n) (unquoted, doubled quotes undone) is
 * to the index: NONE when empty, NUMBER when it matches the JSON number
 * grammar, else TEXT. v may be NULL when n is 0. */
enum colorder_kind colorder_classify_field(const uint8_t *v, size_t n);

/* Return what a JSON Lines value of JSON type t is to the index; n is the
 * length of a string's decoded UTF-8 (ignored otherwise): NUMBER for a
 * number, TEXT for a non-empty string, NONE for anything else. */
static inline enum colorder_kind colorder_classify_json(enum colorder_json t,
                                                        size_t n)
{
    switch (t) {
    case COLORDER_JSON_NUMBER:
        return COLORDER_NUMBER;
    case COLORDER_JSON_STRING:
        return n > 0 ? COLORDER_TEXT : COLORDER_NONE;
    case COLORDER_JSON_OTHER:
        return COLORDER_NONE;
    }
    return COLORDER_NONE;
}

/* Return the type of a column whose indexed values so far included a
 * number (seen_number) and a value that is not (seen_text). */
static inline enum colorder_kind colorder_type_of(int seen_number,
                                                  int seen_text)
{
    return seen_number && !seen_text ? COLORDER_NUMBER : COLORDER_TEXT;
}

/* Compare two indexed values a and b of a column of type type: return
 * <0, 0 or >0 as a sorts before, with or after b. NUMBER: by exact value
 * (numtext_compare; both should be numbers: otherwise a total order that
 * puts numbers first, memory-safe). TEXT (or anything else): bytewise, a
 * prefix first. a or b may be NULL when its length is 0. */
int colorder_compare(enum colorder_kind type, const uint8_t *a, size_t alen,
                     const uint8_t *b, size_t blen);

/* ---- conditions: the planner's question ------------------------------ */

enum colorder_op {
    COLORDER_EQ, /* = */
    COLORDER_NE, /* != */
    COLORDER_LT, /* < */
    COLORDER_LE, /* <= */
    COLORDER_GT, /* > */
    COLORDER_GE  /* >= */
};

/* Set *out to the op written s[0..len) ("=", "!=", "<", "<=", ">", ">=").
 * Returns 0; -1 for anything else (*out = COLORDER_EQ then). */
int colorder_op_parse(enum colorder_op *out, const char *s, size_t len)
    __attribute__((warn_unused_result));

/* Return the text of op ("=", "!=", ...), or "?" for no op. */
const char *colorder_op_name(enum colorder_op op);

/* One condition [column, op, value], checked once and then asked about
 * many chunks (colorder_cond_keep) or rows (colorder_cond_match). */
struct colorder_cond {
    enum colorder_kind type;  /* the column's: NUMBER or TEXT */
    enum colorder_op op;
    const uint8_t *v;         /* the value (not owned) */
    size_t vn;
    struct numtext_parts np;  /* NUMBER: v's parts */
};

/* Make *out the condition "a column of type type (NUMBER or TEXT) op v".
 * value is the JSON type of v as the query wrote it: NUMBER for a JSON
 * number (v its text as written, which must match the JSON number
 * grammar), TEXT for a JSON string (v its decoded UTF-8, maybe empty; v
 * may be NULL when vn is 0). v must outlive *out. Returns 0; on failure
 * -1 with *out zeroed and f set: FAULT_INVALID naming field (may be NULL)
 * for a value of the wrong JSON type for the column, or a number that is
 * not one; FAULT_INTERNAL for a type or op out of range. */
int colorder_cond_init(struct colorder_cond *out, enum colorder_kind type,
                       enum colorder_op op, enum colorder_kind value,
                       const uint8_t *v, size_t vn, const char *field,
                       struct fault *f) __attribute__((warn_unused_result));

/* Return 1 if a chunk whose bounds for the column are min[0..min_len)
 * and max[0..max_len) may hold a row that satisfies c (keep the chunk),
 * 0 if the bounds prove it holds none (leave it out). Pass the chunk's
 * number bounds for a NUMBER column and its text bounds for a TEXT one,
 * as the index stores them (cut and raised as the header says). min or
 * max NULL: that bound is missing (a number bound that is not a number
 * counts as missing too), which proves nothing. `!=` leaves out only a
 * chunk whose min and max both equal the value. */
int colorder_cond_keep(const struct colorder_cond *c, const uint8_t *min,
                       size_t min_len, const uint8_t *max, size_t max_len);

/* Return 1 if a row whose value in the column is v[0..vn), of kind kind
 * (as colorder_classify_field or colorder_classify_json say), satisfies
 * c, else 0: never for a value that is not indexed (NONE), nor, in a
 * NUMBER column, for one that is not a number. */
int colorder_cond_match(const struct colorder_cond *c, enum colorder_kind kind,
                        const uint8_t *v, size_t vn);

#endif
