/*
 * splitter: turn a stream of an owner's bytes into chunks of whole rows
 * (DESIGN.md 3.4), and index them as it goes.
 *
 * The caller feeds bytes in buffers of any size; the splitter hands back
 * each chunk as soon as it is complete: its plaintext bytes (whole rows,
 * with the blank lines that follow them), its row range, and for each
 * column the min and max of the values that the query planner may compare.
 * Memory is bounded by one chunk plus one row (and max_row_bytes bounds a
 * row), whatever the size of the input, plus the few chunk buffers kept
 * for reuse by splitter_recycle.
 *
 * Bytes that are not rows (a UTF-8 BOM, the CSV header record, blank lines
 * before the first row) form the prefix, kept in the data-set's metadata:
 * prefix followed by every chunk in order gives back the input byte for
 * byte.
 *
 * Which values are indexed, which are numbers, how they compare, the
 * column types and the bounds kept per chunk are colorder.h's rules (and
 * its code, which the splitter calls for every value): a CSV field is a
 * number iff its text matches the JSON number grammar; a JSON Lines value
 * is a number iff it is a JSON number, text iff it is a non-empty JSON
 * string (its decoded UTF-8); empty CSV fields, empty JSON strings, null,
 * booleans, objects and arrays are not indexed, so the same data as CSV
 * or JSON Lines indexes alike.
 */
#ifndef SLUICE_STORAGE_SPLITTER_H
#define SLUICE_STORAGE_SPLITTER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "storage/colorder.h"

enum splitter_format { SPLITTER_CSV, SPLITTER_JSONL, SPLITTER_BLOB };

enum splitter_coltype { SPLITTER_COL_NUMBER, SPLITTER_COL_TEXT };

struct splitter_config {
    enum splitter_format format;
    size_t chunk_bytes;     /* target plaintext bytes per chunk, > 0; a
                               chunk ends at the first row boundary at or
                               past it (blobs: exactly this many bytes) */
    uint64_t chunk_rows;    /* when > 0, rows per chunk instead (not for
                               blobs) */
    size_t max_row_bytes;   /* a longer row is FAULT_TOO_LARGE (its line
                               end included); the CSV header and each run
                               of blank lines are held to it too */
    size_t preview_rows;    /* the first N rows are kept in clear */
    size_t max_columns;     /* more columns is FAULT_TOO_LARGE */
    size_t max_index_value; /* longest value kept in the index, >= 16 */
};

/* Fill cfg with the defaults for format: 1 MiB chunks, 64 MiB rows,
 * 10 preview rows, 1024 columns, 256-byte index values. */
void splitter_config_default(struct splitter_config *cfg,
                             enum splitter_format format);

/* The index of one column within one chunk (colorder_col_take); a NULL
 * bound means "no bound": the planner keeps the chunk (colorder_cond_keep).
 * num: over the values that are numbers, the exact number text as it
 *      appeared (compare with numtext_compare). NULL when the chunk holds
 *      no number for the column, or a number longer than max_index_value.
 * text: over all indexed values (numbers too), compared bytewise. A min
 *      longer than max_index_value is cut to that length (still a lower
 *      bound); a max is cut and its last byte that is below 0xff raised by
 *      one (still an upper bound), or NULL when no such byte exists. */
struct splitter_colstat {
    struct colorder_bound num;
    struct colorder_bound text;
};

struct splitter_chunk {
    uint64_t index;     /* from 0 */
    uint64_t first_row; /* number of the chunk's first row; 0 for blobs */
    uint64_t rows;      /* rows in the chunk, >= 1; 0 for blobs */
    uint8_t *data;      /* the chunk's plaintext bytes: owned, or a slice
                           of the caller's input after splitter_borrow
                           (then only to be read) */
    size_t len;
    size_t ncols;       /* columns known when the chunk was cut (JSON
                           Lines may learn more later); 0 for blobs */
    struct splitter_colstat *cols; /* ncols entries, owned */
};

struct splitter;

/* Create a splitter for cfg in *out. Returns 0; on failure -1 with *out =
 * NULL and f set (FAULT_INVALID naming the config field that is out of
 * range). */
int splitter_new(struct splitter **out, const struct splitter_config *cfg,
                 struct fault *f) __attribute__((warn_unused_result));

/* Free s and every chunk it still holds. s may be NULL. */
void splitter_free(struct splitter *s);

/* Feed the next len bytes of input. Completed chunks queue up until taken
 * with splitter_next. Returns 0; on failure -1 with f set: FAULT_INVALID for
 * malformed input (naming the row number in the detail: an unterminated
 * quote, a character after a closing quote, a row whose field count differs
 * from the header's, a JSON Lines row that is not one JSON object, a
 * duplicate key, invalid UTF-8 in a JSON string; a CSV column name that
 * repeats another, holds U+0000 or is not UTF-8), FAULT_TOO_LARGE for a row
 * over max_row_bytes or too many columns. These name no field (the fault's
 * field is ""). After a failure the splitter refuses further input, with
 * the same fault. */
int splitter_feed(struct splitter *s, const uint8_t *data, size_t len,
                  struct fault *f) __attribute__((warn_unused_result));

/* Give room for the next input right where the splitter keeps it (the
 * buffer of the chunk being built), so that a caller that reads from a
 * file or socket reads into it and nothing is copied: the input goes in
 * at *dst, at most *cap bytes (> 0), then splitter_commit says how many.
 * The room stays valid until the next call on s. Returns 0; on failure
 * -1 with *dst = NULL, *cap = 0 and f set (as for splitter_feed; also
 * FAULT_INTERNAL for memory). What the caller writes there is wiped with
 * the buffer, committed or not. */
int splitter_room(struct splitter *s, uint8_t **dst, size_t *cap,
                  struct fault *f) __attribute__((warn_unused_result));

/* Take the first len bytes of the room that splitter_room gave (len <= its
 * *cap; 0 takes nothing) as the next input, as splitter_feed would. Returns
 * 0, or -1 with f set as for splitter_feed (FAULT_INTERNAL when len is
 * more than the room). */
int splitter_commit(struct splitter *s, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Read the whole input in place, with no copy: data[0, len) is all of it.
 * The caller keeps those bytes readable and unchanged, and 16 readable
 * bytes after them, until s is freed and every chunk taken from s is freed
 * or recycled: chunks are slices of them. Must come before any other
 * input; then splitter_advance lets the splitter see it, a part at a
 * time, and splitter_feed, splitter_room and splitter_commit are refused.
 * Returns 0, or -1 with f set (FAULT_INTERNAL when input came first). */
int splitter_borrow(struct splitter *s, const uint8_t *data, size_t len,
                    struct fault *f) __attribute__((warn_unused_result));

/* Let s see the next n bytes of the borrowed input (no more than are left)
 * and split them as splitter_feed would. Returns 0, or -1 with f set as
 * for splitter_feed (FAULT_INTERNAL past the end, or without
 * splitter_borrow). */
int splitter_advance(struct splitter *s, size_t n, struct fault *f)
    __attribute__((warn_unused_result));

/* Mark the end of input: the last partial chunk is completed. The last row
 * may lack a line end. Returns 0, or -1 with f set as for splitter_feed
 * (e.g. a quote still open). */
int splitter_finish(struct splitter *s, struct fault *f)
    __attribute__((warn_unused_result));

/* Take the oldest completed chunk, or NULL when none is ready. The caller
 * owns it and frees it with splitter_chunk_free. */
struct splitter_chunk *splitter_next(struct splitter *s);

/* Free c and everything it owns, its data wiped first (borrowed data is
 * left alone: it is the caller's). c may be NULL. */
void splitter_chunk_free(struct splitter_chunk *c);

/* Give chunk c (taken with splitter_next, possibly after its data was read
 * by another thread) back to s: its index memory is freed and its data
 * buffer is kept for a later chunk (at most a few are kept; the rest are
 * wiped and freed). c->data must be the buffer the splitter handed out, or
 * NULL when the caller freed it already. c may be NULL. Must be called
 * from the thread that feeds s. Steady-state ingest that recycles every
 * chunk makes no large allocation and touches no fresh page. */
void splitter_recycle(struct splitter *s, struct splitter_chunk *c);

/* The bytes before the first row (BOM, CSV header record, blank lines).
 * Complete only after splitter_finish. Sets *len. */
const uint8_t *splitter_prefix(const struct splitter *s, size_t *len);

/* Rows seen so far (the header is not a row). */
uint64_t splitter_total_rows(const struct splitter *s);

/* Columns: for CSV the header's fields in order, for JSON Lines the
 * top-level keys in order of first appearance; none for blobs. */
size_t splitter_column_count(const struct splitter *s);

/* Name of column i (< splitter_column_count), NUL-terminated UTF-8. */
const char *splitter_column_name(const struct splitter *s, size_t i);

/* Type of column i over everything fed so far (colorder_col_type): number
 * when every indexed value was a number (and at least one was), otherwise
 * text. */
enum splitter_coltype splitter_column_type(const struct splitter *s,
                                           size_t i);

/* Return the preview as JSON text: an array of the first preview_rows rows,
 * each an array of strings (CSV) or an object (JSON Lines); "[]" for blobs.
 * Caller frees with free(). NULL on allocation failure. */
char *splitter_preview_json(const struct splitter *s);

#endif
