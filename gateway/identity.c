#include "gateway/identity.h"

#include <string.h>

#include "lib/hkdf.h"
#include "lib/secret.h"

int identity_key(struct ethkey *out, const struct store *st)
{
    static const char label[] = "sluice/gateway-key/v1";
    uint8_t info[sizeof label];  /* the label, then a counter byte */
    uint8_t secret[32];
    struct fault f;
    unsigned i;
    int rv = -1;

    memcpy(info, label, sizeof label - 1);
    for (i = 0; i < 256 && rv < 0; i++) {
        info[sizeof label - 1] = (uint8_t)i;
        if (hkdf_sha256(secret, sizeof secret, st->mk, sizeof st->mk, NULL, 0,
                        info, i == 0 ? sizeof label - 1 : sizeof label,
                        &f) < 0)
            break;
        if (ethkey_from_secret(out, secret, &f) == 0)
            rv = 0;
    }
    secret_wipe(secret, sizeof secret);
    if (rv < 0)
        ethkey_wipe(out);
    return rv;
}
