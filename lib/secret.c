#include "lib/secret.h"

#include <openssl/crypto.h>
#include <stdlib.h>

void secret_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

int secret_equal(const void *a, const void *b, size_t len)
{
    if (len == 0)
        return 1;
    return CRYPTO_memcmp(a, b, len) == 0;
}

void secret_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    secret_wipe(p, len);
    free(p);
}
