/* Unit tests for pricing/audit.c: the entry text of DESIGN.md 3.10 read
 * back strictly, and the chain check over hand-built logs, intact and
 * tampered with in every way `sluiced audit verify` must catch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "lib/ethaddr.h"
#include "pricing/audit.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

#define GATEWAY "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define WORKER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

/* Return a copy of s with the first old replaced by new (old must be in
 * s). */
static char *replace(const char *s, const char *old, const char *new_text)
{
    const char *at = strstr(s, old);
    size_t n = strlen(s) - strlen(old) + strlen(new_text) + 1;
    char *out;

    if (at == NULL)
        fail_msg("\"%s\" is not in the text", old);
    out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, new_text,
             at + strlen(old));
    return out;
}

/* The n-th release of a worker that was credited 100 units and pays 3
 * per release; chunks n, n+1 (none for the third). */
static void entry_of(struct audit_entry *e, uint64_t chunks[2], uint64_t n,
                     const uint8_t prev[32])
{
    struct fault f;

    memset(e, 0, sizeof *e);
    e->index = n;
    memcpy(e->prev, prev, 32);
    e->time = 1700000000 + (int64_t)n * 60;
    assert_int_equal(ethaddr_parse(&e->gateway, GATEWAY, strlen(GATEWAY), "g",
                                   &f),
                     0);
    memset(e->dataset_id, 0xd5, 32);
    assert_int_equal(ethaddr_parse(&e->worker, WORKER, strlen(WORKER), "w",
                                   &f),
                     0);
    memset(e->query_id, (int)n, 16);
    chunks[0] = n;
    chunks[1] = n + 1;
    e->chunks = chunks;
    e->nchunks = n == 3 ? 0 : 2;
    e->cost = 3;
    e->credited_total = 100;
    e->spent_total = 3 * n;
    e->balance_after = e->credited_total - e->spent_total;
}

/* A stored log, as a backend hands it over: index, text and hash. */
struct row {
    uint64_t index;
    char *text;
    uint8_t hash[32];
};

#define LOG_LEN 5

struct log {
    struct row rows[LOG_LEN + 1];
    size_t n;
};

/* How a case changes an entry while the log is built: the entry's values
 * before its text is made (e), then its text (*text, which it may
 * replace). The log stays linked: each next prev is the hash of the text
 * as changed, so that only the change itself is wrong. */
typedef void (*tweak_fn)(uint64_t index, struct audit_entry *e, char **text);

static void build(struct log *lg, tweak_fn tweak)
{
    uint8_t prev[32];
    uint64_t chunks[2];
    struct audit_entry e;
    struct fault f;
    size_t len;
    uint64_t i;

    memset(lg, 0, sizeof *lg);
    memset(prev, 0, sizeof prev);
    for (i = 1; i <= LOG_LEN; i++) {
        struct row *r = &lg->rows[i - 1];

        entry_of(&e, chunks, i, prev);
        if (tweak != NULL)
            tweak(i, &e, NULL);
        assert_int_equal(audit_entry_text(&r->text, &len, r->hash, &e, &f),
                         0);
        if (tweak != NULL) {
            tweak(i, NULL, &r->text);
            SHA256((const unsigned char *)r->text, strlen(r->text), r->hash);
        }
        r->index = i;
        memcpy(prev, r->hash, 32);
    }
    lg->n = LOG_LEN;
}

static void log_free(struct log *lg)
{
    size_t i;

    for (i = 0; i < COUNT(lg->rows); i++)
        free(lg->rows[i].text);
    memset(lg, 0, sizeof *lg);
}

/* Run the check over lg; return 0 when the whole log checks, or the
 * entry the check named, with its detail in why. */
static uint64_t check(const struct log *lg, struct audit_check *c,
                      struct fault *why)
{
    size_t i;

    audit_check_start(c);
    fault_clear(why);
    for (i = 0; i < lg->n; i++) {
        const struct row *r = &lg->rows[i];

        if (audit_check_next(c, r->index, r->text, strlen(r->text), r->hash,
                             why) < 0) {
            assert_int_equal(why->kind, FAULT_CORRUPT);
            assert_true(c->broken > 0);
            return c->broken;
        }
        assert_int_equal(c->broken, 0);
    }
    return 0;
}

/* ---- the tampering cases ---------------------------------------------- */

static void flip_text_byte(struct log *lg)
{
    lg->rows[2].text[40] ^= 0x01; /* inside entry 3's prev line */
}

static void change_hash(struct log *lg)
{
    lg->rows[1].hash[31] ^= 0x80;
}

static void delete_middle(struct log *lg)
{
    free(lg->rows[2].text);
    memmove(&lg->rows[2], &lg->rows[3], 2 * sizeof lg->rows[0]);
    memset(&lg->rows[4], 0, sizeof lg->rows[4]);
    lg->n--;
}

static void delete_first(struct log *lg)
{
    free(lg->rows[0].text);
    memmove(&lg->rows[0], &lg->rows[1], 4 * sizeof lg->rows[0]);
    memset(&lg->rows[4], 0, sizeof lg->rows[4]);
    lg->n--;
}

/* Entries 2 and 4 trade indexes; a backend reads by index, so entry 4's
 * text comes second. */
static void swap_indexes(struct log *lg)
{
    struct row t = lg->rows[1];

    lg->rows[1] = lg->rows[3];
    lg->rows[3] = t;
    lg->rows[1].index = 2;
    lg->rows[3].index = 4;
}

/* Entry 3 stored twice, as a backend without a unique index might. */
static void duplicate(struct log *lg)
{
    struct row copy = lg->rows[2];

    copy.text = strdup(copy.text);
    assert_non_null(copy.text);
    memmove(&lg->rows[3], &lg->rows[2], 3 * sizeof lg->rows[0]);
    lg->rows[2] = copy;
    lg->n++;
}

/* Entry 3 rewritten with its hash made again: entry 4 no longer links. */
static void rewrite_with_hash(struct log *lg)
{
    char *t = replace(lg->rows[2].text, "time: 1700000180",
                      "time: 1700000181");

    free(lg->rows[2].text);
    lg->rows[2].text = t;
    SHA256((const unsigned char *)t, strlen(t), lg->rows[2].hash);
}

/* The same to the last entry: nothing after it can tell. */
static void rewrite_last_with_hash(struct log *lg)
{
    char *t = replace(lg->rows[4].text, "time: 1700000300",
                      "time: 1700000301");

    free(lg->rows[4].text);
    lg->rows[4].text = t;
    SHA256((const unsigned char *)t, strlen(t), lg->rows[4].hash);
}

static void delete_last(struct log *lg)
{
    free(lg->rows[4].text);
    memset(&lg->rows[4], 0, sizeof lg->rows[4]);
    lg->n--;
}

/* Tweaks made while building, so that every link still holds. */
static void first_prev_not_zero(uint64_t i, struct audit_entry *e,
                                char **text)
{
    if (e != NULL && i == 1)
        e->prev[0] = 1;
    (void)text;
}

static void amounts_off(uint64_t i, struct audit_entry *e, char **text)
{
    if (e != NULL && i == 2)
        e->balance_after++;
    (void)text;
}

static void cost_over_spent(uint64_t i, struct audit_entry *e, char **text)
{
    if (e != NULL && i == 2)
        e->cost = e->spent_total + 1;
    (void)text;
}

static void uppercase_dataset(uint64_t i, struct audit_entry *e, char **text)
{
    char *t;

    if (text == NULL || i != 4)
        return;
    t = replace(*text, "dataset: 0xd5d5", "dataset: 0xD5d5");
    free(*text);
    *text = t;
    (void)e;
}

static void trailing_newline(uint64_t i, struct audit_entry *e, char **text)
{
    size_t n;

    if (text == NULL || i != 5)
        return;
    n = strlen(*text);
    *text = realloc(*text, n + 2);
    assert_non_null(*text);
    memcpy(*text + n, "\n", 2);
    (void)e;
}

static void wrong_index_line(uint64_t i, struct audit_entry *e, char **text)
{
    char *t;

    if (text == NULL || i != 2)
        return;
    t = replace(*text, "index: 2", "index: 7");
    free(*text);
    *text = t;
    (void)e;
}

struct tamper_case {
    const char *name;
    tweak_fn tweak;               /* while building; may be NULL */
    void (*after)(struct log *);  /* to the stored rows; may be NULL */
    uint64_t broken;              /* the entry named; 0: checks */
    const char *detail;           /* what the detail says */
};

static const struct tamper_case tamper_cases[] = {
    {"intact", NULL, NULL, 0, NULL},
    {"a byte of a text flipped", NULL, flip_text_byte, 3,
     "entry 3: its hash is not the SHA-256 of its text"},
    {"a stored hash changed", NULL, change_hash, 2,
     "entry 2: its hash is not the SHA-256 of its text"},
    {"a middle entry deleted", NULL, delete_middle, 3,
     "entry 3: missing (the log goes from entry 2 to entry 4)"},
    {"the first entry deleted", NULL, delete_first, 1,
     "entry 1: missing (the log starts at entry 2)"},
    {"two entries' indexes swapped", NULL, swap_indexes, 2,
     "entry 2: its text says it is entry 4"},
    {"an entry stored twice", NULL, duplicate, 3,
     "entry 3: out of order (it comes after entry 3)"},
    {"a text rewritten with its hash", NULL, rewrite_with_hash, 4,
     "entry 4: its prev is not the hash of entry 3"},
    {"the first prev not zeros", first_prev_not_zero, NULL, 1,
     "entry 1: its prev is not 32 zero bytes"},
    {"balance_after off by one", amounts_off, NULL, 2,
     "entry 2: its amounts do not add up"},
    {"a cost above spent_total", cost_over_spent, NULL, 2,
     "entry 2: its amounts do not add up"},
    {"an uppercase hex digit", uppercase_dataset, NULL, 4,
     "entry 4: its dataset line is not written as an entry writes it"},
    {"a trailing newline", trailing_newline, NULL, 5,
     "entry 5: it goes on after its spent_total line"},
    {"an index line that lies", wrong_index_line, NULL, 2,
     "entry 2: its text says it is entry 7"},
    /* What a check of the log alone cannot see (DESIGN.md 3.10: the
     * receipts workers hold and the signed head are the anchors): */
    {"the last entry deleted", NULL, delete_last, 0, NULL},
    {"the last entry rewritten with its hash", NULL, rewrite_last_with_hash,
     0, NULL},
};

static void test_tamper_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(tamper_cases); i++) {
        const struct tamper_case *tc = &tamper_cases[i];
        struct audit_check c;
        struct fault why;
        struct log lg;
        uint64_t got;

        build(&lg, tc->tweak);
        if (tc->after != NULL)
            tc->after(&lg);
        got = check(&lg, &c, &why);
        if (got != tc->broken)
            fail_msg("%s: named entry %llu, want %llu (%s)", tc->name,
                     (unsigned long long)got, (unsigned long long)tc->broken,
                     why.detail);
        if (tc->detail != NULL && strstr(why.detail, tc->detail) == NULL)
            fail_msg("%s: detail \"%s\" lacks \"%s\"", tc->name, why.detail,
                     tc->detail);
        if (tc->broken == 0) {
            assert_int_equal(c.count, lg.n);
            assert_memory_equal(c.last, lg.rows[lg.n - 1].hash, 32);
        } else if (strstr(why.detail, "out of order") == NULL) {
            /* Everything before the entry named checked. */
            assert_int_equal(c.count, tc->broken - 1);
        }
        log_free(&lg);
    }
}

/* The check of a log with no entries: nothing to say, head 0. */
static void test_empty_log(void **state)
{
    static const uint8_t zeros[32];
    struct audit_check c;

    (void)state;
    audit_check_start(&c);
    assert_int_equal(c.count, 0);
    assert_int_equal(c.broken, 0);
    assert_memory_equal(c.last, zeros, 32);
}

/* ---- the parser ------------------------------------------------------- */

/* The text of 3.10, written here by hand, parses into its values and is
 * the text audit_entry_text makes of them. */
static void test_parse_known_text(void **state)
{
    static const char text[] =
        "sluice-release-v1\n"
        "index: 12\n"
        "prev: 0x00000000000000000000000000000000000000000000000000000000000"
        "000ff\n"
        "time: 1700000000\n"
        "gateway: " GATEWAY "\n"
        "dataset: 0xd5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5"
        "d5d5d5d5\n"
        "worker: " WORKER "\n"
        "query: 0x0102030405060708090a0b0c0d0e0f10\n"
        "chunks: 0,7,18446744073709551615\n"
        "cost: 9223372036854775807\n"
        "balance_after: 0\n"
        "credited_total: 9223372036854775807\n"
        "spent_total: 9223372036854775807";
    struct audit_entry e;
    uint64_t *chunks = NULL;
    uint8_t hash[32], want[32];
    char *again = NULL;
    size_t len;
    struct fault f;

    (void)state;
    assert_int_equal(audit_entry_parse(&e, &chunks, text, strlen(text), &f),
                     0);
    assert_int_equal(e.index, 12);
    assert_int_equal(e.prev[31], 0xff);
    assert_int_equal(e.time, 1700000000);
    assert_int_equal(e.dataset_id[0], 0xd5);
    assert_int_equal(e.query_id[15], 0x10);
    assert_ptr_equal(e.chunks, chunks);
    assert_int_equal(e.nchunks, 3);
    assert_int_equal(chunks[1], 7);
    assert_true(chunks[2] == UINT64_MAX);
    assert_true(e.cost == (uint64_t)INT64_MAX);
    assert_int_equal(e.balance_after, 0);
    assert_int_equal(audit_entry_text(&again, &len, hash, &e, &f), 0);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(again, text, len);
    SHA256((const unsigned char *)text, strlen(text), want);
    assert_memory_equal(hash, want, 32);
    free(again);
    free(chunks);
}

/* An empty chunks list is "chunks: " with its trailing space, and reads
 * back as no chunks. */
static void test_parse_empty_chunks(void **state)
{
    static const uint8_t zeros[32];
    struct audit_entry e, back;
    uint64_t ch[2], *chunks = (uint64_t *)&e;
    char *text = NULL;
    uint8_t hash[32];
    size_t len;
    struct fault f;

    (void)state;
    entry_of(&e, ch, 3, zeros);
    assert_int_equal(e.nchunks, 0);
    assert_int_equal(audit_entry_text(&text, &len, hash, &e, &f), 0);
    assert_non_null(strstr(text, "\nchunks: \ncost: 3\n"));
    assert_int_equal(audit_entry_parse(&back, &chunks, text, len, &f), 0);
    assert_null(chunks);
    assert_null(back.chunks);
    assert_int_equal(back.nchunks, 0);
    assert_int_equal(back.spent_total, 9);
    free(text);
}

struct bad_text {
    const char *old, *new_text; /* the change to a good entry's text */
    const char *detail;
};

static const struct bad_text bad_texts[] = {
    {"sluice-release-v1", "sluice-release-v2", "does not start with"},
    {"index: 2\n", "index: 0\n", "its index line is bad"},
    {"index: 2\n", "index: 02\n", "its index line is bad"},
    {"index: 2\n", "index: 9223372036854775808\n", "its index line is bad"},
    {"index: 2\n", "index:2\n", "line 2 is not its index line"},
    {"time: ", "when: ", "line 4 is not its time line"},
    {"time: 1700000120", "time: -1", "its time line is bad"},
    {"prev: 0x", "prev: ", "its prev line is bad"},
    {"query: 0x", "query: 0x00", "its query line is bad"},
    {"query: 0x0202", "query: 0x0A02", "its query line is not written"},
    {"gateway: 0xf39F", "gateway: 0xf39f", "its gateway line is bad"},
    {"worker: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
     "worker: 0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
     "its worker line is not written"},
    {"chunks: 2,3", "chunks: 3,2", "its chunks line is bad"},
    {"chunks: 2,3", "chunks: 2,2", "its chunks line is bad"},
    {"chunks: 2,3", "chunks: 2,,3", "its chunks line is bad"},
    {"chunks: 2,3", "chunks: 2,3,", "its chunks line is bad"},
    {"chunks: 2,3", "chunks: 2, 3", "its chunks line is bad"},
    {"chunks: 2,3", "chunks: 18446744073709551616", "its chunks line is bad"},
    {"cost: 3", "cost: 9223372036854775808", "its cost line is bad"},
    {"cost: 3", "cost: 03", "its cost line is bad"},
    {"\nspent_total: 6", "", "it ends before its spent_total line"},
    {"spent_total: 6", "spent_total: 6\n", "it goes on after"},
    {"spent_total: 6", "spent_total: 6\nextra: 1", "it goes on after"},
    {"\ncost: 3", "\nfee: 3", "line 10 is not its cost line"},
};

static void test_parse_refuses(void **state)
{
    static const uint8_t zeros[32];
    static const struct audit_entry zero;
    struct audit_entry e, back;
    uint64_t ch[2], *chunks;
    char *good = NULL;
    uint8_t hash[32];
    size_t len, i;
    struct fault f;

    (void)state;
    entry_of(&e, ch, 2, zeros);
    assert_int_equal(audit_entry_text(&good, &len, hash, &e, &f), 0);
    chunks = NULL;
    assert_int_equal(audit_entry_parse(&back, &chunks, good, len, &f), 0);
    free(chunks);
    for (i = 0; i < COUNT(bad_texts); i++) {
        char *bad = replace(good, bad_texts[i].old, bad_texts[i].new_text);

        chunks = (uint64_t *)&e;
        memset(&back, 0x5a, sizeof back);
        fault_clear(&f);
        if (audit_entry_parse(&back, &chunks, bad, strlen(bad), &f) != -1)
            fail_msg("case %zu (%s) was accepted", i, bad_texts[i].new_text);
        assert_int_equal(f.kind, FAULT_CORRUPT);
        if (strstr(f.detail, bad_texts[i].detail) == NULL)
            fail_msg("case %zu: detail \"%s\" lacks \"%s\"", i, f.detail,
                     bad_texts[i].detail);
        assert_null(chunks);
        assert_memory_equal(&back, &zero, sizeof zero);
        free(bad);
    }
    /* Too short to hold even the first line; and nothing at all. */
    assert_int_equal(audit_entry_parse(&back, &chunks, "sluice", 6, &f), -1);
    assert_int_equal(audit_entry_parse(&back, &chunks, "", 0, &f), -1);
    free(good);
}

/* The head of 3.10: four lines, no trailing newline; zeros before the
 * first entry. */
static void test_head_text(void **state)
{
    static const uint8_t zeros[32];
    uint8_t h[32];
    char out[160], tiny[8];
    size_t n;

    (void)state;
    memset(h, 0xab, sizeof h);
    n = audit_head_text(out, sizeof out, 7, h, 1700000420);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "sluice-audit-head-v1\n7\n0x"
                             "abababababababababababababababab"
                             "abababababababababababababababab\n1700000420");
    assert_true(audit_head_text(out, sizeof out, 0, zeros, 0) > 0);
    assert_string_equal(out, "sluice-audit-head-v1\n0\n0x00000000000000000000"
                             "00000000000000000000000000000000000000000000\n"
                             "0");
    assert_int_equal(audit_head_text(tiny, sizeof tiny, 7, h, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tamper_table),
        cmocka_unit_test(test_empty_log),
        cmocka_unit_test(test_parse_known_text),
        cmocka_unit_test(test_parse_empty_chunks),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_head_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
