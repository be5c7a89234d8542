#include "client/ether.h"

#include <string.h>

#include "lib/u256.h"

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
    char digits[U256_DECIMAL_MAX_DIGITS + ETHER_DECIMALS + 1];
    size_t int_len, frac_len = 0, i, n, lead;
    struct fault ignored;
    struct u256 v;

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
    /* The wei: the integer digits, then the fraction's padded to 18, as
     * one decimal number (leading zeros dropped) for lib/u256. */
    while (int_len > 1 && p[0] == '0') {
        p++;
        int_len--;
    }
    if (int_len + ETHER_DECIMALS > U256_DECIMAL_MAX_DIGITS)
        goto large;
    memcpy(digits, p, int_len);
    for (i = 0; i < ETHER_DECIMALS; i++)
        digits[int_len + i] = i < frac_len ? dot[1 + i] : '0';
    n = int_len + ETHER_DECIMALS;
    for (lead = 0; lead + 1 < n && digits[lead] == '0'; lead++)
        ;
    if (u256_parse_decimal(&v, digits + lead, n - lead, field, &ignored) < 0)
        goto large;
    if (u256_is_zero(&v))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be above zero", field);
    u256_to_be32(wei, &v);
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
    char text[U256_DECIMAL_SIZE];
    struct u256 v;
    size_t n;

    u256_from_be32(&v, wei);
    n = u256_to_decimal(text, &v);
    if (n + 1 > cap) {
        if (cap > 0)
            out[0] = '\0';
        return -1;
    }
    memcpy(out, text, n + 1);
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
