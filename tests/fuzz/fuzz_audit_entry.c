/*
 * Fuzz the reading of audit entries (pricing/audit.c), which `sluiced
 * audit verify` runs over whatever the store holds: the input is taken as
 * an entry's text and checked as the first entry of a log. A text that
 * parses must be exactly the text its values make again (one entry, one
 * spelling, one hash), and the check must accept or refuse it with
 * FAULT_CORRUPT naming entry 1, never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "pricing/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct audit_entry e;
    struct audit_check c;
    uint64_t *chunks = NULL;
    uint8_t hash[32], again_hash[32];
    char *again = NULL;
    size_t again_len;
    struct fault f;

    if (size > 1 << 16)
        return 0;
    fault_clear(&f);
    if (audit_entry_parse(&e, &chunks, text, size, &f) == 0) {
        if (audit_entry_text(&again, &again_len, again_hash, &e, &f) < 0 ||
            again_len != size || memcmp(again, text, size) != 0)
            abort();
        SHA256(data, size, hash);
        if (memcmp(hash, again_hash, 32) != 0)
            abort();
        free(again);
        free(chunks);
    } else if (chunks != NULL || f.kind != FAULT_CORRUPT ||
               e.index != 0 || e.nchunks != 0) {
        abort();
    }
    SHA256(data, size, hash);
    audit_check_start(&c);
    fault_clear(&f);
    if (audit_check_next(&c, 1, text, size, hash, &f) < 0) {
        if (f.kind != FAULT_CORRUPT || c.broken != 1 || c.count != 0)
            abort();
    } else if (c.count != 1 || c.broken != 0) {
        abort();
    }
    return 0;
}
