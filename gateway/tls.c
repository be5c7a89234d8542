#include "gateway/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void tls_reason(char *out, size_t cap)
{
    unsigned long e = ERR_get_error();

    if (e == 0)
        snprintf(out, cap, "unknown error");
    else
        ERR_error_string_n(e, out, cap);
    ERR_clear_error();
}

int tls_new(void **out, const char *cert, const char *key,
            const char *password, struct fault *f)
{
    SSL_CTX *ctx;
    char why[256];

    *out = NULL;
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "cannot make a TLS context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (password != NULL && password[0] != '\0')
        SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)(uintptr_t)password);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        tls_reason(why, sizeof why);
        SSL_CTX_free(ctx);
        return fault_set(f, FAULT_INVALID, "tls_cert",
                         "tls_cert %s cannot be used: %s", cert, why);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        tls_reason(why, sizeof why);
        SSL_CTX_free(ctx);
        return fault_set(f, FAULT_INVALID, "tls_key",
                         "tls_key %s cannot be used with the certificate: %s",
                         key, why);
    }
    /* The password is not needed past loading: do not keep a pointer. */
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    *out = ctx;
    return 0;
}

void tls_free(void *ctx)
{
    SSL_CTX_free(ctx);
}
