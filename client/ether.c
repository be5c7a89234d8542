#include "client/ether.h"

#include <string.h>

/* wei = wei * 10 + digit. Returns 0, or -1 when the result is above
 * 2^256 - 1 (wei is then garbage). */
static int ether_mul10_add(uint8_t wei[32], unsigned digit)
{
    unsigned carry = digit;
    int i;

    for (i = 31; i >= 0; i--) {
        unsigned v = (unsigned)wei[i] * 10 + carry;
        wei[i] = (uint8_t)v;
        carry = v >> 8;
    }
    return carry == 0 ? 0 : -1;
}

/* wei = wei / 10; return the remainder. */
static unsigned ether_div10(uint8_t wei[32])
{
    unsigned rem = 0;
    int i;

    for (i = 0; i < 32; i++) {
        unsigned v = (rem << 8) | wei[i];
        wei[i] = (uint8_t)(v / 10);
        rem = v % 10;
    }
    return rem;
}

int ether_is_zero(const uint8_t wei[32])
{
    uint8_t acc = 0;
    int i;

    for (i = 0; i < 32; i++)
        acc |= wei[i];
    return acc == 0;
}

void ether_from_u64(uint8_t wei[32], uint64_t v)
{
    int i;

    memset(wei, 0, 32);
    for (i = 31; i >= 24; i--) {
        wei[i] = (uint8_t)v;
        v >>= 8;
    }
}

int ether_parse(uint8_t wei[32], const char *text, const char *field,
                struct fault *f)
{
    const char *p = text, *dot;
    size_t int_len, frac_len = 0, i;

    memset(wei, 0, 32);
    if (text == NULL || text[0] == '\0')
        return fault_set(f, FAULT_INVALID, field, "%s needs an amount of "
                         "ETH, e.g. 0.05", field);
    if (text[0] == '-' || text[0] == '+')
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a positive amount of ETH without a "
                         "sign, not '%.40s'", field, text);
    int_len = strspn(p, "0123456789");
    dot = p + int_len;
    if (dot[0] == '.') {
        frac_len = strspn(dot + 1, "0123456789");
        if (dot[1 + frac_len] != '\0' || frac_len == 0 || int_len == 0)
            goto syntax;
    } else if (dot[0] != '\0' || int_len == 0) {
        goto syntax;
    }
    if (frac_len > ETHER_DECIMALS)
        return fault_set(f, FAULT_INVALID, field,
                         "%s has %zu decimals; ETH has %d (1 wei = "
                         "0.000000000000000001 ETH)",
                         field, frac_len, ETHER_DECIMALS);
    for (i = 0; i < int_len; i++)
        if (ether_mul10_add(wei, (unsigned)(p[i] - '0')) < 0)
            goto large;
    for (i = 0; i < ETHER_DECIMALS; i++)
        if (ether_mul10_add(wei, i < frac_len ? (unsigned)(dot[1 + i] - '0')
                                              : 0) < 0)
            goto large;
    if (ether_is_zero(wei))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be above zero", field);
    return 0;
syntax:
    return fault_set(f, FAULT_INVALID, field,
                     "%s must be an amount of ETH such as 1 or 0.05, not "
                     "'%.40s'", field, text);
large:
    memset(wei, 0, 32);
    return fault_set(f, FAULT_INVALID, field,
                     "%s is too large (above 2^256 - 1 wei)", field);
}

int ether_wei_text(char *out, size_t cap, const uint8_t wei[32])
{
    uint8_t w[32];
    char rev[ETHER_WEI_TEXT_SIZE];
    size_t n = 0, i;

    memcpy(w, wei, 32);
    do {
        rev[n++] = (char)('0' + ether_div10(w));
    } while (!ether_is_zero(w));
    if (n + 1 > cap) {
        if (cap > 0)
            out[0] = '\0';
        return -1;
    }
    for (i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    out[n] = '\0';
    return 0;
}

int ether_eth_text(char *out, size_t cap, const uint8_t wei[32])
{
    char digits[ETHER_WEI_TEXT_SIZE], pad[ETHER_WEI_TEXT_SIZE + 20];
    size_t n, len, frac_end, z;

    if (ether_wei_text(digits, sizeof digits, wei) < 0)
        goto small;
    /* Left-pad to at least 19 digits, so that there is one before the
     * 18 of the fraction; then drop the fraction's trailing zeros. */
    n = strlen(digits);
    len = n > ETHER_DECIMALS ? n : ETHER_DECIMALS + 1;
    z = len - n;
    memset(pad, '0', z);
    memcpy(pad + z, digits, n + 1);
    frac_end = len;
    while (frac_end > len - ETHER_DECIMALS && pad[frac_end - 1] == '0')
        frac_end--;
    if ((len - ETHER_DECIMALS) + (frac_end > len - ETHER_DECIMALS
                                      ? 1 + frac_end - (len - ETHER_DECIMALS)
                                      : 0) + 1 > cap)
        goto small;
    memcpy(out, pad, len - ETHER_DECIMALS);
    n = len - ETHER_DECIMALS;
    if (frac_end > len - ETHER_DECIMALS) {
        out[n++] = '.';
        memcpy(out + n, pad + len - ETHER_DECIMALS,
               frac_end - (len - ETHER_DECIMALS));
        n += frac_end - (len - ETHER_DECIMALS);
    }
    out[n] = '\0';
    return 0;
small:
    if (cap > 0)
        out[0] = '\0';
    return -1;
}
