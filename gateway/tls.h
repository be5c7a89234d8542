/*
 * tls: the server's OpenSSL context, when a certificate and key are
 * configured. TLS 1.2 at least; the key's password, when there is one,
 * comes from the settings (SLUICE_TLS_KEY_PASSWORD) and is wiped after use.
 */
#ifndef SLUICE_GATEWAY_TLS_H
#define SLUICE_GATEWAY_TLS_H

#include "lib/fault.h"

/* Make a server context from the PEM certificate chain at cert and the
 * PEM private key at key (password may be NULL or ""). Returns 0 with *out
 * an SSL_CTX * (free with tls_free), or -1 with *out = NULL and f set
 * (FAULT_INVALID naming tls_cert or tls_key, with OpenSSL's reason). */
int tls_new(void **out, const char *cert, const char *key,
            const char *password, struct fault *f)
    __attribute__((warn_unused_result));

/* Free a context from tls_new. ctx may be NULL. */
void tls_free(void *ctx);

#endif
