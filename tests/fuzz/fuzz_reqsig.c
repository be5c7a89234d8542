/*
 * Fuzz the parsing of request-signature headers (DESIGN.md 3.1): the
 * input is split at newlines into method, target, timestamp, nonce,
 * signature and address, as a client would send them, and fed through
 * every check the gateway runs at the door (gateway/auth.c). Each must
 * accept or refuse with a fault, never crash, and a refusal of the
 * signature must be 401.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ethaddr.h"
#include "lib/ethsig.h"
#include "lib/reqsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char empty[1];
    char *copy, *field[FIELDS] = {empty, empty, empty, empty, empty, empty};
    char *p;
    uint8_t sig[ETHSIG_LEN], body_hash[32] = {0};
    struct ethaddr addr, claimed;
    char *message = NULL;
    size_t message_len = 0;
    struct fault f;
    int64_t ts;
    int i;

    if (size > 4096)
        return 0;
    copy = malloc(size + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (i = 0, p = copy; i < FIELDS && p != NULL; i++) {
        field[i] = p;
        p = strchr(p, '\n');
        if (p != NULL)
            *p++ = '\0';
    }
    fault_clear(&f);
    if (reqsig_check_timestamp(&ts, field[2], strlen(field[2]), 1764115200,
                               &f) < 0 && f.kind != FAULT_UNAUTHORIZED)
        abort();
    fault_clear(&f);
    if (reqsig_check_nonce(field[3], strlen(field[3]), &f) < 0 &&
        f.kind != FAULT_UNAUTHORIZED)
        abort();
    fault_clear(&f);
    if (ethsig_parse(sig, field[4], strlen(field[4]), "X-Sluice-Signature",
                     &f) < 0 && f.kind == FAULT_NONE)
        abort();
    fault_clear(&f);
    if (ethaddr_parse(&claimed, field[5], strlen(field[5]), "X-Sluice-Address",
                      &f) < 0 && f.kind == FAULT_NONE)
        abort();
    fault_clear(&f);
    if (reqsig_message_hashed(&message, &message_len, field[0], field[1],
                              strlen(field[1]), body_hash, field[2], field[3],
                              &f) == 0) {
        /* Six lines, exactly. */
        int lines = 1;
        for (size_t k = 0; k < message_len; k++)
            lines += message[k] == '\n';
        if (lines != 6 || strlen(message) != message_len)
            abort();
        fault_clear(&f);
        if (reqsig_verify(NULL, &addr, field[4], strlen(field[4]), message,
                          message_len, &f) < 0 &&
            f.kind != FAULT_UNAUTHORIZED)
            abort();
    } else if (message != NULL || message_len != 0 || f.kind == FAULT_NONE) {
        abort();
    }
    free(message);
    free(copy);
    return 0;
}
