#include "lib/jsonv.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^256 - 1, the largest amount (78 digits). */
static const char jsonv_u256_max[] =
    "1157920892373161954235709850086879078532699846656405640394575840079131"
    "29639935";

/* 2^64 - 1 (20 digits). */
static const char jsonv_u64_max[] = "18446744073709551615";

/* A path being built into a bounded buffer: what does not fit is cut at a
 * UTF-8 character boundary and marked with "...". */
struct jsonv_pathbuf {
    char *out;
    size_t cap; /* > 0 */
    size_t used;
    int cut;
};

static void jsonv_pb_init(struct jsonv_pathbuf *pb, char *out, size_t cap)
{
    pb->out = out;
    pb->cap = cap;
    pb->used = 0;
    pb->cut = 0;
    out[0] = '\0';
}

static void jsonv_pb_add(struct jsonv_pathbuf *pb, const char *s)
{
    size_t n = strlen(s);

    if (pb->cut)
        return;
    if (n > pb->cap - 1 - pb->used) {
        n = pb->cap - 1 - pb->used;
        pb->cut = 1;
    }
    memcpy(pb->out + pb->used, s, n);
    pb->used += n;
    pb->out[pb->used] = '\0';
}

static void jsonv_pb_finish(struct jsonv_pathbuf *pb)
{
    size_t keep;

    if (!pb->cut)
        return;
    if (pb->cap < 4) {
        pb->out[0] = '\0';
        return;
    }
    keep = pb->cap - 4;
    if (keep > pb->used)
        keep = pb->used;
    /* Do not end inside a character: back off its continuation bytes and
     * its lead byte. */
    while (keep > 0 && ((unsigned char)pb->out[keep] & 0xc0) == 0x80)
        keep--;
    memcpy(pb->out + keep, "...", 4);
    pb->used = keep + 3;
}

void jsonv_path_join(char *out, size_t cap, const char *path,
                     const char *key)
{
    struct jsonv_pathbuf pb;

    if (out == NULL || cap == 0)
        return;
    if (path == NULL)
        path = "";
    if (key == NULL)
        key = "";
    jsonv_pb_init(&pb, out, cap);
    jsonv_pb_add(&pb, path);
    if (path[0] != '\0' && key[0] != '\0')
        jsonv_pb_add(&pb, ".");
    jsonv_pb_add(&pb, key);
    jsonv_pb_finish(&pb);
}

/* Return the length of the valid UTF-8 character at s[0..n) (1 to 4), or 0
 * when it is not one: a stray continuation byte, a cut sequence, an
 * overlong form, a surrogate or a code point above U+10FFFF. */
static size_t jsonv_utf8_char(const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

/* The code point of the valid UTF-8 character s[0..n) (n from
 * jsonv_utf8_char). */
static uint32_t jsonv_utf8_cp(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t i;

    if (n == 1)
        return s[0];
    cp = s[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
    for (i = 1; i < n; i++)
        cp = cp << 6 | (s[i] & 0x3f);
    return cp;
}

/* Unicode's White_Space property. */
static int jsonv_is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
           cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000;
}

/* Why cp may not appear in text of the given rules, or NULL when it may. */
static const char *jsonv_text_refusal(uint32_t cp, enum jsonv_text rules)
{
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
        if (rules == JSONV_TEXT_PROSE && (cp == '\n' || cp == '\t'))
            return NULL;
        return "a control character";
    }
    if (rules == JSONV_TEXT_PROSE)
        return NULL;
    if (cp == 0x2028 || cp == 0x2029)
        return "a line or paragraph separator";
    /* The embeddings, overrides and isolates that reorder text as shown
     * (CVE-2021-42574), and the marks that steer them. */
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
        cp == 0x200e || cp == 0x200f || cp == 0x061c)
        return "a bidirectional control";
    if ((cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 || cp == 0xfeff)
        return "a zero-width character";
    return NULL;
}

int jsonv_check_text(const char *text, size_t len, enum jsonv_text rules,
                     const char *field, struct fault *f)
{
    const unsigned char *s = (const unsigned char *)text;
    const char *name = field != NULL ? field : "the text";
    const char *why;
    size_t i = 0, n;
    uint32_t cp;

    if (text == NULL)
        return fault_set(f, FAULT_INTERNAL, field,
                         "jsonv_check_text: no text");
    while (i < len) {
        n = jsonv_utf8_char(s + i, len - i);
        if (n == 0)
            return fault_set(f, FAULT_INVALID, field,
                             "%s is not valid UTF-8 (at byte %zu)", name, i);
        cp = jsonv_utf8_cp(s + i, n);
        why = jsonv_text_refusal(cp, rules);
        if (why != NULL)
            return fault_set(f, FAULT_INVALID, field,
                             "%s may not contain U+%04X (%s), at byte %zu",
                             name, (unsigned)cp, why, i);
        i += n;
    }
    return 0;
}

void jsonv_trim_space(size_t *off, size_t *n, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t start = 0, end = 0, i = 0, k;
    int space;

    while (i < len) {
        k = jsonv_utf8_char(s + i, len - i);
        /* A byte that is not UTF-8 counts as text. */
        space = k > 0 && jsonv_is_space(jsonv_utf8_cp(s + i, k));
        if (k == 0)
            k = 1;
        if (!space) {
            if (end == 0)
                start = i;
            end = i + k; /* just past the last character kept */
        }
        i += k;
    }
    *off = start;
    *n = end - start;
}

/* Copy jansson's error text into out[0..cap) fit for a client: its
 * "near '...'" context is raw input and may hold a cut character or a
 * control byte; each such byte becomes '?'. */
static void jsonv_clean_text(char *out, size_t cap, const char *in)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = strlen(in), i = 0, o = 0, c;

    while (i < n) {
        c = jsonv_utf8_char(s + i, n - i);
        if (c == 0 || (c == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
            if (o + 1 >= cap)
                break;
            out[o++] = '?';
            i++;
            continue;
        }
        if (o + c >= cap)
            break;
        memcpy(out + o, s + i, c);
        o += c;
        i += c;
    }
    out[o] = '\0';
}

/* A noun phrase for the JSON type of v, for details. */
static const char *jsonv_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction or exponent";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "an unknown value";
}

/*
 * The path of the member that jansson was reading when it stopped at
 * body[end): jansson reports a duplicate key, a number out of range or a
 * \u0000 escape right after the token at fault, and what comes before it
 * is valid JSON text. Walk that prefix, keeping for each open container
 * its last key or its element index, and join them. Returns 0 with out
 * set, or -1 (out "") when there is no member to name.
 */
#define JSONV_SCAN_DEPTH 32

struct jsonv_frame {
    unsigned char is_object;
    unsigned char expect_key;
    unsigned char has_key;
    size_t key_off, key_len; /* the raw key token, quotes included */
    size_t index;
};

static int jsonv_path_at(char *out, size_t cap, const uint8_t *b, size_t end)
{
    struct jsonv_frame st[JSONV_SCAN_DEPTH];
    struct jsonv_frame *top;
    struct jsonv_pathbuf pb;
    size_t depth = 0, i, k, d;

    out[0] = '\0';
    for (i = 0; i < end; i++) {
        top = (depth > 0 && depth <= JSONV_SCAN_DEPTH) ? &st[depth - 1]
                                                       : NULL;
        switch (b[i]) {
        case '"':
            for (k = i + 1; k < end && b[k] != '"'; k++)
                if (b[k] == '\\')
                    k++;
            if (top != NULL && top->is_object && top->expect_key) {
                top->key_off = i;
                top->key_len = (k < end ? k + 1 : end) - i;
                top->has_key = 1;
                top->expect_key = 0;
            }
            i = k;
            break;
        case '{':
        case '[':
            depth++;
            if (depth <= JSONV_SCAN_DEPTH) {
                memset(&st[depth - 1], 0, sizeof st[depth - 1]);
                st[depth - 1].is_object = b[i] == '{';
                st[depth - 1].expect_key = b[i] == '{';
            }
            break;
        case '}':
        case ']':
            if (depth > 0)
                depth--;
            break;
        case ',':
            if (top != NULL) {
                if (top->is_object) {
                    top->expect_key = 1;
                    top->has_key = 0;
                } else {
                    top->index++;
                }
            }
            break;
        default:
            break;
        }
    }
    if (depth == 0 || depth > JSONV_SCAN_DEPTH)
        return -1;
    jsonv_pb_init(&pb, out, cap);
    for (d = 0; d < depth; d++) {
        const struct jsonv_frame *fr = &st[d];
        if (fr->is_object) {
            json_t *key;
            const char *s;

            if (!fr->has_key) {
                out[0] = '\0';
                return -1;
            }
            key = json_loadb((const char *)b + fr->key_off, fr->key_len,
                             JSON_DECODE_ANY, NULL);
            s = json_string_value(key);
            /* An empty key has no name in a path: name nothing rather
             * than its parent. */
            if (s == NULL || s[0] == '\0' ||
                strlen(s) != json_string_length(key)) {
                json_decref(key);
                out[0] = '\0';
                return -1;
            }
            if (pb.used > 0)
                jsonv_pb_add(&pb, ".");
            jsonv_pb_add(&pb, s);
            json_decref(key);
        } else {
            char idx[32];

            snprintf(idx, sizeof idx, "[%zu]", fr->index);
            jsonv_pb_add(&pb, idx);
        }
    }
    jsonv_pb_finish(&pb);
    if (out[0] == '\0')
        return -1;
    return 0;
}

/*
 * jansson reads the integer -0 as 0, which would let a field that must not
 * be negative take a value written with a minus sign (DESIGN.md 3.2).
 * Walk the text of a parsed body and put the real -0.0 in place of each
 * integer written "-0", so that jsonv_get_uint refuses it as negative
 * while a reader of plain JSON numbers still sees zero. The text is
 * valid JSON (jansson read it), so the walk only tracks where it is:
 * for each open container its last key (the raw token) or its element
 * index; the container itself is found from the root when needed.
 */
struct jsonv_zframe {
    unsigned char is_object;
    unsigned char expect_key;
    size_t key_off, key_len; /* the raw key token, quotes included */
    size_t index;
};

/* The member of parent named by frame fr: its key, or its index. */
static json_t *jsonv_zchild(json_t *parent, const struct jsonv_zframe *fr,
                            const uint8_t *b)
{
    json_t *key, *child = NULL;

    if (!fr->is_object)
        return json_array_get(parent, fr->index);
    key = json_loadb((const char *)b + fr->key_off, fr->key_len,
                     JSON_DECODE_ANY, NULL);
    if (json_is_string(key))
        child = json_object_get(parent, json_string_value(key));
    json_decref(key);
    return child;
}

/* Replace the value at the place st[0..depth) points to with -0.0.
 * Returns 0, or -1 when out of memory (or when the tree does not match
 * the text, which would be a bug). */
static int jsonv_zreplace(json_t *root, const struct jsonv_zframe *st,
                          size_t depth, const uint8_t *b)
{
    const struct jsonv_zframe *fr = &st[depth - 1];
    json_t *parent = root, *key, *z;
    size_t d;
    int rc = -1;

    /* st[0] is the root object; st[d] is the container under st[d-1]'s
     * current member. */
    for (d = 1; d < depth && parent != NULL; d++)
        parent = jsonv_zchild(parent, &st[d - 1], b);
    if (parent == NULL || (z = json_real(-0.0)) == NULL)
        return -1;
    if (!fr->is_object)
        return json_array_set_new(parent, fr->index, z);
    key = json_loadb((const char *)b + fr->key_off, fr->key_len,
                     JSON_DECODE_ANY, NULL);
    if (json_is_string(key))
        rc = json_object_setn_new(parent, json_string_value(key),
                                  json_string_length(key), z);
    else
        json_decref(z);
    json_decref(key);
    return rc;
}

static int jsonv_mark_negative_zero(json_t *root, const uint8_t *b,
                                    size_t len, struct fault *f)
{
    struct jsonv_zframe *st = NULL, *grown;
    size_t depth = 0, cap = 0, i, k;
    int rv = -1;

    /* Nearly every body has no "-0" at all: skip the walk. */
    for (i = 0; i + 1 < len && !(b[i] == '-' && b[i + 1] == '0'); i++)
        ;
    if (i + 1 >= len)
        return 0;
    for (i = 0; i < len; i++) {
        struct jsonv_zframe *top = depth > 0 ? &st[depth - 1] : NULL;

        switch (b[i]) {
        case '"':
            for (k = i + 1; k < len && b[k] != '"'; k++)
                if (b[k] == '\\')
                    k++;
            if (top != NULL && top->is_object && top->expect_key) {
                top->key_off = i;
                top->key_len = (k < len ? k + 1 : len) - i;
                top->expect_key = 0;
            }
            i = k;
            break;
        case '{':
        case '[':
            if (depth == cap) {
                cap = cap ? 2 * cap : 16;
                grown = realloc(st, cap * sizeof *st);
                if (grown == NULL)
                    goto oom;
                st = grown;
            }
            memset(&st[depth], 0, sizeof st[depth]);
            st[depth].is_object = b[i] == '{';
            st[depth].expect_key = b[i] == '{';
            depth++;
            break;
        case '}':
        case ']':
            if (depth > 0)
                depth--;
            break;
        case ',':
            if (top != NULL) {
                if (top->is_object)
                    top->expect_key = 1;
                else
                    top->index++;
            }
            break;
        case '-':
            /* A number's sign (not an exponent's): "-0" alone is the
             * integer at fault; "-0.5" and "-0e1" are reals, and anything
             * else is not zero. */
            if (top != NULL && i > 0 && b[i - 1] != 'e' && b[i - 1] != 'E' &&
                i + 1 < len && b[i + 1] == '0' &&
                (i + 2 >= len ||
                 (b[i + 2] != '.' && b[i + 2] != 'e' && b[i + 2] != 'E' &&
                  (b[i + 2] < '0' || b[i + 2] > '9'))) &&
                jsonv_zreplace(root, st, depth, b) < 0)
                goto oom;
            break;
        default:
            break;
        }
    }
    rv = 0;
    goto done;
oom:
    fault_set(f, FAULT_INTERNAL, NULL, "out of memory while parsing the body");
done:
    free(st);
    return rv;
}

int jsonv_parse_object(json_t **out, const uint8_t *body, size_t len,
                       struct fault *f)
{
    json_error_t err;
    json_t *j = NULL;
    const uint8_t *nul;
    char field[FAULT_FIELD_MAX];
    char text[JSON_ERROR_TEXT_LENGTH];
    int rv = -1;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_parse_object: no output");
    *out = NULL;
    if (body == NULL && len > 0)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_parse_object: no body");
    if (len == 0)
        return fault_set(f, FAULT_INVALID, "body",
                         "the body is empty; a JSON object is required");
    nul = memchr(body, '\0', len);
    if (nul != NULL) {
        fault_set(f, FAULT_INVALID, "body",
                  "the body contains a NUL byte at offset %zu",
                  (size_t)(nul - body));
        goto done;
    }
    memset(&err, 0, sizeof err);
    j = json_loadb((const char *)body, len,
                   JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (j == NULL) {
        enum json_error_code code = json_error_code(&err);
        size_t pos = err.position > 0 ? (size_t)err.position : 0;
        int named = 0;

        if (err.text[0] == '\0') {
            fault_set(f, FAULT_INTERNAL, NULL,
                      "out of memory while parsing the body");
            goto done;
        }
        jsonv_clean_text(text, sizeof text, err.text);
        if ((code == json_error_duplicate_key ||
             code == json_error_numeric_overflow ||
             code == json_error_null_character) &&
            pos <= len)
            named = jsonv_path_at(field, sizeof field, body, pos) == 0;
        if (!named)
            snprintf(field, sizeof field, "body");
        /* An if chain, not a switch: jansson may add codes. */
        if (code == json_error_out_of_memory)
            fault_set(f, FAULT_INTERNAL, NULL,
                      "out of memory while parsing the body");
        else if (code == json_error_duplicate_key && named)
            fault_set(f, FAULT_INVALID, field,
                      "%s is given twice (line %d, column %d); an object "
                      "may not repeat a key",
                      field, err.line, err.column);
        else if (code == json_error_duplicate_key)
            fault_set(f, FAULT_INVALID, field,
                      "the body repeats a key in an object (line %d, column "
                      "%d)",
                      err.line, err.column);
        else if (code == json_error_numeric_overflow && named)
            fault_set(f, FAULT_INVALID, field,
                      "%s is a number out of range (line %d, column %d)",
                      field, err.line, err.column);
        else if (code == json_error_numeric_overflow)
            fault_set(f, FAULT_INVALID, field,
                      "the body holds a number out of range (line %d, "
                      "column %d)",
                      err.line, err.column);
        else if (code == json_error_null_character && named)
            fault_set(f, FAULT_INVALID, field,
                      "%s holds \\u0000 (line %d, column %d); strings may "
                      "not contain NUL",
                      field, err.line, err.column);
        else if (code == json_error_null_character)
            fault_set(f, FAULT_INVALID, field,
                      "the body holds \\u0000 in a string (line %d, column "
                      "%d); strings may not contain NUL",
                      err.line, err.column);
        else if (code == json_error_null_byte_in_key)
            fault_set(f, FAULT_INVALID, field,
                      "an object key in the body holds \\u0000 (line %d, "
                      "column %d); keys may not contain NUL",
                      err.line, err.column);
        else if (code == json_error_invalid_utf8)
            fault_set(f, FAULT_INVALID, field,
                      "the body is not valid UTF-8 (line %d, column %d): %s",
                      err.line, err.column, text);
        else if (code == json_error_stack_overflow)
            fault_set(f, FAULT_INVALID, field,
                      "the body nests too deeply (line %d, column %d)",
                      err.line, err.column);
        else
            fault_set(f, FAULT_INVALID, field,
                      "the body is not valid JSON (line %d, column %d): %s",
                      err.line, err.column, text);
        goto done;
    }
    if (!json_is_object(j)) {
        fault_set(f, FAULT_INVALID, "body",
                  "the body must be a JSON object, not %s",
                  jsonv_type_name(j));
        goto done;
    }
    if (jsonv_mark_negative_zero(j, body, len, f) < 0)
        goto done;
    *out = j;
    j = NULL;
    rv = 0;
done:
    json_decref(j);
    return rv;
}

/* Refuse an obj that is not an object, naming it: its path, or "body"
 * (the body) when path is "". */
static int jsonv_need_object(const json_t *obj, const char *path,
                             struct fault *f)
{
    char self[FAULT_FIELD_MAX];
    const char *name;

    if (json_is_object(obj))
        return 0;
    if (path == NULL || path[0] == '\0') {
        snprintf(self, sizeof self, "body");
        name = "the body";
    } else {
        jsonv_path_join(self, sizeof self, path, "");
        name = self;
    }
    if (obj == NULL)
        return fault_set(f, FAULT_INVALID, self, "%s must be a JSON object",
                         name);
    return fault_set(f, FAULT_INVALID, self,
                     "%s must be a JSON object, not %s", name,
                     jsonv_type_name(obj));
}

int jsonv_check_keys(const json_t *obj, const char *const *allowed,
                     const char *path, struct fault *f)
{
    const char *key;
    json_t *value;
    char field[FAULT_FIELD_MAX];

    if (allowed == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_check_keys: no list of members");
    if (jsonv_need_object(obj, path, f) != 0)
        return -1;
    /* jansson's iterators take a non-const object; none of this writes. */
    json_object_foreach((json_t *)obj, key, value) {
        size_t i;
        int known = 0;

        (void)value;
        for (i = 0; allowed[i] != NULL; i++) {
            if (strcmp(allowed[i], key) == 0) {
                known = 1;
                break;
            }
        }
        if (!known && key[0] == '\0') {
            /* No path names an empty key: name the object that has it. */
            if (path == NULL || path[0] == '\0')
                return fault_set(f, FAULT_INVALID, "body",
                                 "the body has a member with an empty key, "
                                 "which is not a known member");
            jsonv_path_join(field, sizeof field, path, "");
            return fault_set(f, FAULT_INVALID, field,
                             "%s has a member with an empty key, which is "
                             "not a known member",
                             field);
        }
        if (!known) {
            jsonv_path_join(field, sizeof field, path, key);
            return fault_set(f, FAULT_INVALID, field,
                             "%s is not a known member", field);
        }
    }
    return 0;
}

/* Look up member key of obj: 0 with *v the member (NULL when absent and
 * not required); -1 with f set when obj is not an object or a required
 * member is missing. field receives the member's path. */
static int jsonv_member(const json_t **v, char *field, size_t cap,
                        const json_t *obj, const char *key, int required,
                        const char *path, struct fault *f)
{
    *v = NULL;
    jsonv_path_join(field, cap, path, key);
    if (jsonv_need_object(obj, path, f) != 0)
        return -1;
    *v = json_object_get(obj, key);
    if (*v == NULL && required)
        return fault_set(f, FAULT_INVALID, field, "%s is required", field);
    return 0;
}

/* Check a string value: no NUL, 1.. or 0..max_len bytes. */
static int jsonv_check_string(const json_t *v, size_t min_len, size_t max_len,
                              const char *field, struct fault *f)
{
    const char *s;
    size_t n;

    if (!json_is_string(v))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a string, not %s", field,
                         jsonv_type_name(v));
    s = json_string_value(v);
    n = json_string_length(v);
    if (strlen(s) != n)
        return fault_set(f, FAULT_INVALID, field,
                         "%s may not contain a NUL character", field);
    if (n < min_len)
        return fault_set(f, FAULT_INVALID, field, "%s may not be empty",
                         field);
    if (n > max_len)
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be at most %zu bytes long", field, max_len);
    return 0;
}

int jsonv_get_string(const char **out, const json_t *obj, const char *key,
                     int required, size_t max_len, const char *path,
                     struct fault *f)
{
    const json_t *v;
    char field[FAULT_FIELD_MAX];

    if (out == NULL || key == NULL) {
        if (out != NULL)
            *out = NULL;
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_get_string: no output or key");
    }
    *out = NULL;
    if (jsonv_member(&v, field, sizeof field, obj, key, required, path, f) !=
        0)
        return -1;
    if (v == NULL)
        return 0;
    if (jsonv_check_string(v, 0, max_len, field, f) != 0)
        return -1;
    *out = json_string_value(v);
    return 0;
}

int jsonv_get_uint(uint64_t *out, int *present, const json_t *obj,
                   const char *key, int required, uint64_t min, uint64_t max,
                   const char *path, struct fault *f)
{
    const json_t *v;
    char field[FAULT_FIELD_MAX];
    json_int_t n;

    if (out != NULL)
        *out = 0;
    if (present != NULL)
        *present = 0;
    if (out == NULL || present == NULL || key == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_get_uint: no output or key");
    if (max > JSONV_INT_MAX)
        max = JSONV_INT_MAX;
    if (min > max)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_get_uint: empty range for %s", key);
    if (jsonv_member(&v, field, sizeof field, obj, key, required, path, f) !=
        0)
        return -1;
    if (v == NULL)
        return 0;
    if (json_is_real(v) && json_real_value(v) == 0.0 &&
        signbit(json_real_value(v)))
        return fault_set(f, FAULT_INVALID, field,
                         "%s may not be negative (-0 is written with a "
                         "minus sign)",
                         field);
    if (json_is_real(v))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a JSON integer, written without a "
                         "fraction or exponent",
                         field);
    if (!json_is_integer(v))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a JSON integer, not %s", field,
                         jsonv_type_name(v));
    n = json_integer_value(v);
    if (n < 0)
        return fault_set(f, FAULT_INVALID, field,
                         "%s may not be negative", field);
    if ((uint64_t)n < min || (uint64_t)n > max)
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be between %" PRIu64 " and %" PRIu64, field,
                         min, max);
    *out = (uint64_t)n;
    *present = 1;
    return 0;
}

int jsonv_get_bool(int *out, int *present, const json_t *obj, const char *key,
                   int required, const char *path, struct fault *f)
{
    const json_t *v;
    char field[FAULT_FIELD_MAX];

    if (out != NULL)
        *out = 0;
    if (present != NULL)
        *present = 0;
    if (out == NULL || present == NULL || key == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_get_bool: no output or key");
    if (jsonv_member(&v, field, sizeof field, obj, key, required, path, f) !=
        0)
        return -1;
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be true or false, not %s", field,
                         jsonv_type_name(v));
    *out = json_is_true(v);
    *present = 1;
    return 0;
}

/* The checks of jsonv_check_decimal on s[0..n), field already a path. */
static int jsonv_decimal_ok(const char *s, size_t n, const char *field,
                            struct fault *f)
{
    const char *name = field != NULL ? field : "the amount";
    size_t i;

    if (n == 0)
        return fault_set(f, FAULT_INVALID, field,
                         "%s may not be empty: an amount is a decimal string "
                         "such as \"0\" or \"1000\"",
                         name);
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return fault_set(f, FAULT_INVALID, field,
                             "%s must hold only the digits 0-9 (no sign, "
                             "point, exponent or space)",
                             name);
    if (s[0] == '0' && n > 1)
        return fault_set(f, FAULT_INVALID, field,
                         "%s may not have a leading zero", name);
    if (n > JSONV_DECIMAL_MAX_DIGITS ||
        (n == JSONV_DECIMAL_MAX_DIGITS && memcmp(s, jsonv_u256_max, n) > 0))
        return fault_set(f, FAULT_INVALID, field,
                         "%s is too large: an amount is at most 2^256 - 1",
                         name);
    return 0;
}

int jsonv_check_decimal(const char *text, const char *field, struct fault *f)
{
    if (text == NULL)
        return fault_set(f, FAULT_INTERNAL, field,
                         "jsonv_check_decimal: no text");
    return jsonv_decimal_ok(text, strlen(text), field, f);
}

int jsonv_get_decimal(const char **out, const json_t *obj, const char *key,
                      int required, const char *path, struct fault *f)
{
    const json_t *v;
    char field[FAULT_FIELD_MAX];

    if (out == NULL || key == NULL) {
        if (out != NULL)
            *out = NULL;
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_get_decimal: no output or key");
    }
    *out = NULL;
    if (jsonv_member(&v, field, sizeof field, obj, key, required, path, f) !=
        0)
        return -1;
    if (v == NULL)
        return 0;
    if (json_is_number(v))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a decimal string such as \"100\", not a "
                         "JSON number: amounts are decimal strings",
                         field);
    if (!json_is_string(v))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a decimal string, not %s", field,
                         jsonv_type_name(v));
    if (jsonv_decimal_ok(json_string_value(v), json_string_length(v), field,
                         f) != 0)
        return -1;
    *out = json_string_value(v);
    return 0;
}

int jsonv_get_string_array(const char **out, size_t max_count, size_t *count,
                           const json_t *obj, const char *key, int required,
                           size_t max_len, const char *path, struct fault *f)
{
    const json_t *v;
    char field[FAULT_FIELD_MAX], elem[FAULT_FIELD_MAX], idx[32];
    size_t i, j, n;
    int rv = -1;

    if (count != NULL)
        *count = 0;
    if (out != NULL)
        for (i = 0; i < max_count; i++)
            out[i] = NULL;
    if ((out == NULL && max_count > 0) || count == NULL || key == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "jsonv_get_string_array: no output or key");
    if (jsonv_member(&v, field, sizeof field, obj, key, required, path, f) !=
        0)
        return -1;
    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be an array of strings, not %s", field,
                         jsonv_type_name(v));
    n = json_array_size(v);
    if (n > max_count)
        return fault_set(f, FAULT_INVALID, field,
                         "%s may have at most %zu elements", field, max_count);
    for (i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        struct jsonv_pathbuf pb;

        snprintf(idx, sizeof idx, "[%zu]", i);
        jsonv_pb_init(&pb, elem, sizeof elem);
        jsonv_pb_add(&pb, field);
        jsonv_pb_add(&pb, idx);
        jsonv_pb_finish(&pb);
        if (jsonv_check_string(e, 1, max_len, elem, f) != 0)
            goto done;
        for (j = 0; j < i; j++) {
            if (strcmp(out[j], json_string_value(e)) == 0) {
                fault_set(f, FAULT_INVALID, elem,
                          "%s repeats element %zu of %s", elem, j, field);
                goto done;
            }
        }
        out[i] = json_string_value(e);
    }
    *count = n;
    rv = 0;
done:
    if (rv != 0)
        for (i = 0; i < max_count; i++)
            out[i] = NULL;
    return rv;
}

int jsonv_decimal_to_u64(uint64_t *out, const char *text, const char *field,
                         struct fault *f)
{
    uint64_t v = 0;
    size_t n, i;

    if (out != NULL)
        *out = 0;
    if (out == NULL || text == NULL)
        return fault_set(f, FAULT_INTERNAL, field,
                         "jsonv_decimal_to_u64: no output or text");
    n = strlen(text);
    if (jsonv_decimal_ok(text, n, field, f) != 0)
        return -1;
    if (n > sizeof jsonv_u64_max - 1 ||
        (n == sizeof jsonv_u64_max - 1 && memcmp(text, jsonv_u64_max, n) > 0))
        return fault_set(f, FAULT_INVALID, field,
                         "%s is too large: at most %s here",
                         field != NULL ? field : "the amount", jsonv_u64_max);
    for (i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(text[i] - '0');
    *out = v;
    return 0;
}
