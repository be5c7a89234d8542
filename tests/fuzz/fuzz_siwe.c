/*
 * Fuzz the Sign-In with Ethereum reader (lib/siwe.c, DESIGN.md 3.11): the
 * input is a message as a browser would post it. Each must parse or be
 * refused with FAULT_INVALID naming a field, never crash; one that parses
 * must hold what the grammar promises (a domain, a nonce of 8 to 64
 * letters and digits that siwe_find_nonce finds too, version digits), and
 * the checks and the signature recovery must then refuse or pass with
 * FAULT_UNAUTHORIZED only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/siwe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any well-formed signature: recovery runs on it, then the address
 * comparison or a refusal. */
#define SIG                                                                  \
    "0xcbd1008e5587f5914f80305de753429e9fe1a1cf0911ae0fb18acc79cf0c952c661c" \
    "c546c320e4e5f7759d9519f6bbd7ac42da92412b228159080a4fd98516031b"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct siwe_message m;
    struct siwe_expect e = {"http", "localhost:8080", 31337,
                            1764115200000LL};
    char nonce[SIWE_NONCE_MAX + 1];
    struct fault f;
    int64_t ms;
    size_t n, i;

    if (size > SIWE_MAX_LEN + 16)
        return 0;
    fault_clear(&f);
    (void)siwe_find_nonce(nonce, text, size);
    if (siwe_parse_time(&ms, text, size, "t", &f) < 0 &&
        (f.kind != FAULT_INVALID || ms != 0))
        abort();
    fault_clear(&f);
    if (siwe_parse(&m, text, size, &f) < 0) {
        if (f.kind != FAULT_INVALID || f.field[0] == '\0' ||
            m.domain[0] != '\0' || m.nonce[0] != '\0')
            abort();
        return 0;
    }
    n = strlen(m.nonce);
    if (m.domain[0] == '\0' || n < 8 || n > SIWE_NONCE_MAX ||
        m.version[0] == '\0' || m.uri_scheme[0] == '\0')
        abort();
    for (i = 0; m.version[i] != '\0'; i++)
        if (m.version[i] < '0' || m.version[i] > '9')
            abort();
    if (!siwe_find_nonce(nonce, text, size) || strcmp(nonce, m.nonce) != 0)
        abort();
    fault_clear(&f);
    if (siwe_check(&m, &e, &f) < 0 && f.kind != FAULT_UNAUTHORIZED)
        abort();
    /* The message's own domain, as the Host. */
    e.authority = m.domain;
    fault_clear(&f);
    if (siwe_check(&m, &e, &f) < 0 &&
        (f.kind != FAULT_UNAUTHORIZED || strcmp(f.field, "domain") == 0))
        abort();
    fault_clear(&f);
    if (siwe_verify(&m, text, size, SIG, strlen(SIG), &f) < 0 &&
        f.kind != FAULT_UNAUTHORIZED)
        abort();
    return 0;
}
