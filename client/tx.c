#include "client/tx.h"

#include <string.h>

#include "lib/ethsig.h"
#include "lib/keccak.h"
#include "lib/rlp.h"

#define TX_TYPE_EIP1559 0x02

static int tx_check(const struct tx *t, struct fault *f)
{
    if (t->data_len > TX_DATA_MAX)
        return fault_set(f, FAULT_INVALID, "data",
                         "the transaction's data is over %d bytes",
                         TX_DATA_MAX);
    if (t->max_priority_fee > t->max_fee)
        return fault_set(f, FAULT_INVALID, "max_priority_fee",
                         "the priority fee (%llu wei) is above the maximum "
                         "fee (%llu wei)",
                         (unsigned long long)t->max_priority_fee,
                         (unsigned long long)t->max_fee);
    return 0;
}

/* Write 0x02 and the RLP list of t's nine fields into out[0..cap), and
 * inside the list after them yParity, r and s when sig is not NULL. */
static int tx_encode(uint8_t *out, size_t cap, size_t *len, const struct tx *t,
                     const struct tx_signed *sig, struct fault *f)
{
    struct rlp r;

    *len = 0;
    if (cap < 1)
        return fault_set(f, FAULT_INTERNAL, NULL, "no room for the type");
    out[0] = TX_TYPE_EIP1559;
    rlp_init(&r, out + 1, cap - 1);
    rlp_list_begin(&r);
    rlp_uint(&r, t->chain_id);
    rlp_uint(&r, t->nonce);
    rlp_uint(&r, t->max_priority_fee);
    rlp_uint(&r, t->max_fee);
    rlp_uint(&r, t->gas_limit);
    rlp_bytes(&r, t->to.bytes, ETHADDR_LEN);
    rlp_uint_be(&r, t->value, sizeof t->value);
    rlp_bytes(&r, t->data, t->data_len);
    rlp_list_begin(&r); /* accessList: empty */
    rlp_list_end(&r);
    if (sig != NULL) {
        rlp_uint(&r, sig->y_parity);
        rlp_uint_be(&r, sig->r, sizeof sig->r);
        rlp_uint_be(&r, sig->s, sizeof sig->s);
    }
    rlp_list_end(&r);
    if (rlp_finish(&r, len, f) < 0) {
        out[0] = 0;
        return -1;
    }
    (*len)++;
    return 0;
}

int tx_signing_hash(uint8_t out[32], const struct tx *t, struct fault *f)
{
    uint8_t buf[TX_RAW_MAX];
    size_t len;

    memset(out, 0, 32);
    if (tx_check(t, f) < 0 ||
        tx_encode(buf, sizeof buf, &len, t, NULL, f) < 0)
        return -1;
    keccak256(out, buf, len);
    return 0;
}

int tx_sign(struct tx_signed *out, const struct tx *t,
            const struct ethkey *key, struct fault *f)
{
    uint8_t hash[32], sig[ETHSIG_LEN];
    int rv = -1;

    memset(out, 0, sizeof *out);
    if (tx_signing_hash(hash, t, f) < 0 ||
        ethsig_sign_hash(sig, key, hash, f) < 0)
        goto done;
    /* ethsig writes v = 27 + recovery id; a typed transaction carries the
     * recovery id itself as yParity. */
    if (sig[64] != 27 && sig[64] != 28) {
        fault_set(f, FAULT_INTERNAL, NULL, "unexpected signature v %u",
                  (unsigned)sig[64]);
        goto done;
    }
    out->y_parity = (uint8_t)(sig[64] - 27);
    memcpy(out->r, sig, 32);
    memcpy(out->s, sig + 32, 32);
    if (tx_encode(out->raw, sizeof out->raw, &out->raw_len, t, out, f) < 0)
        goto done;
    keccak256(out->hash, out->raw, out->raw_len);
    rv = 0;
done:
    if (rv < 0)
        memset(out, 0, sizeof *out);
    return rv;
}
