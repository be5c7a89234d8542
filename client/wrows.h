/*
 * wrows: the rows of a decrypted chunk, and the test of one row against
 * the conditions of a `where` query, for the worker library (worker.h).
 *
 * A chunk holds whole rows (DESIGN.md 3.4): one RFC 4180 record of a CSV
 * file (quoted fields may hold commas, quotes and line breaks) or one line
 * of a JSON Lines file, each with its own LF or CRLF (the last row of the
 * data-set may have none). Blank lines are not rows: their bytes go with
 * the row before them, so that every row's bytes laid end to end give
 * back the chunk byte for byte. A CSV blank line is an empty line; a JSON
 * Lines blank line holds nothing but spaces, tabs and CRs.
 *
 * Values (DESIGN.md 3.6): a CSV field is a number iff its text matches
 * the JSON number grammar, a JSON Lines value iff it is a JSON number;
 * empty CSV fields and JSON Lines values that are "", null, booleans,
 * objects or arrays match no condition, nor does a missing member. In a
 * `number` column numbers compare by exact decimal value (`1e3` = 1000,
 * `-0` = 0); in a `text` column the value's text compares bytewise as
 * UTF-8 (a JSON Lines number by its text).
 */
#ifndef SLUICE_CLIENT_WROWS_H
#define SLUICE_CLIENT_WROWS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "storage/jsonrow.h"

enum wrows_format { WROWS_CSV = 1, WROWS_JSONL, WROWS_BLOB };

/* One row found in a chunk: offsets from the start of the chunk. */
struct wrows_row {
    size_t off;      /* where the row starts */
    size_t len;      /* all its bytes: record, line end, blank lines after */
    size_t content;  /* the record alone, without its line end */
    size_t eol;      /* the line end's length: 2 (CRLF), 1 (LF), 0 (none) */
};

/* Find the row of the chunk buf[0..len) that starts at pos (pos < len;
 * blank lines at pos, which only a damaged chunk starts with, are skipped
 * over and left out of the row). Returns 1 with *out set; 0 when only
 * blank lines are left (then *out holds where they end in off); -1 with
 * *out zeroed and f FAULT_CORRUPT for a CSV quote that is never closed or
 * is followed by something other than a separator or a line end. */
int wrows_next(struct wrows_row *out, enum wrows_format fmt,
               const uint8_t *buf, size_t len, size_t pos, struct fault *f)
    __attribute__((warn_unused_result));

/* Count the rows of the chunk buf[0..len) at once when it is simple: no
 * CSV quote anywhere, and no line (the first, or one after a LF) that
 * starts with a space, tab, CR or LF. Then no record holds a line break
 * and no line is blank, so its rows are its lines, laid end to end from
 * byte 0 to len: what wrows_next would find row by row, at a small part
 * of the cost (a query of every row of 256 MiB spent 6 % of its CPU
 * finding rows one by one). Returns 1 with *rows and *eol (the first
 * row's line end: 2, 1 or 0) set; 0 when the chunk is empty or not
 * simple: wrows_next must walk it. */
int wrows_count_simple(enum wrows_format fmt, const uint8_t *buf,
                       size_t len, uint64_t *rows, size_t *eol)
    __attribute__((warn_unused_result));

enum wrows_op { WROWS_EQ = 1, WROWS_NE, WROWS_LT, WROWS_LE, WROWS_GT,
                WROWS_GE };

/* One condition: the column (its position in the data-set's columns, for
 * CSV, and its name, for JSON Lines), the operator, and the value, a
 * number's text when number is set (the column is `number`), else text. */
struct wrows_cond {
    size_t col;
    const char *name;
    size_t name_len;
    enum wrows_op op;
    int number;
    const char *value;
    size_t value_len;
};

/* The state of a `where` test: the conditions (borrowed) and the scratch
 * space one row needs, kept from row to row. */
struct wrows_filter {
    enum wrows_format fmt;
    const struct wrows_cond *conds;
    size_t n;
    size_t ncols;              /* CSV: fields up to the last one tested */
    const uint8_t **field;     /* CSV: each field's (decoded) bytes */
    size_t *field_len;
    uint8_t *scratch;          /* CSV: decoded quoted fields */
    size_t scratch_cap;
    struct jsonrow jr;         /* JSON Lines */
};

/* Make f a test of conds[0..n) (borrowed: they must outlive it) on rows
 * of fmt. Returns 0; on failure -1 with *w zeroed and f set
 * (FAULT_INTERNAL when memory runs out). */
int wrows_filter_init(struct wrows_filter *w, enum wrows_format fmt,
                      const struct wrows_cond *conds, size_t n,
                      struct fault *f) __attribute__((warn_unused_result));

/* Free what w holds (wiping its scratch: it held plaintext) and zero it.
 * w may be zeroed already. */
void wrows_filter_free(struct wrows_filter *w);

/* Test the record content[0..len) (a row without its line end) against
 * every condition of w. Returns 1 when it satisfies them all, 0 when not;
 * -1 with f set when the record does not parse (FAULT_CORRUPT) or memory
 * runs out (FAULT_INTERNAL). */
int wrows_match(struct wrows_filter *w, const uint8_t *content, size_t len,
                struct fault *f) __attribute__((warn_unused_result));

/* Return 1 if s[0..len) is a number under DESIGN.md 3.6 (the JSON number
 * grammar), else 0. */
int wrows_is_number(const char *s, size_t len);

/* Compare the numbers a and b by exact decimal value: <0, 0 or >0. Both
 * must satisfy wrows_is_number. The one place the worker compares
 * numbers (storage/numtext today). */
int wrows_compare_numbers(const char *a, size_t alen, const char *b,
                          size_t blen);

/* Compare text a and b bytewise (a prefix sorts first): <0, 0 or >0. */
int wrows_compare_text(const uint8_t *a, size_t alen, const uint8_t *b,
                       size_t blen);

#endif
