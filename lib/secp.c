#include "lib/secp.h"

#include <pthread.h>
#include <stdint.h>

#include "lib/log.h"
#include "lib/random.h"
#include "lib/secret.h"

static pthread_once_t secp_once = PTHREAD_ONCE_INIT;
static secp256k1_context *secp_ctx;

/* libsecp256k1 calls this for an argument that breaks its contract (a
 * zeroed public key, an output length that does not fit), a bug of ours.
 * Its default aborts; a gateway should rather log it and fail the one
 * request, and libsecp256k1 then returns 0 from the call. */
static void secp_illegal(const char *message, void *data)
{
    (void)data;
    log_error("libsecp256k1 refused an illegal argument: %s", message);
}

static void secp_create(void)
{
    secp256k1_context *ctx = NULL;
    uint8_t seed[32];
    struct fault f;

    fault_clear(&f);
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (ctx == NULL) {
        log_error("secp256k1_context_create failed");
        goto done;
    }
    secp256k1_context_set_illegal_callback(ctx, secp_illegal, NULL);
    if (random_bytes(seed, sizeof seed, &f) != 0) {
        log_error("no seed to randomize the secp256k1 context: %s",
                  f.detail);
        goto done;
    }
    if (!secp256k1_context_randomize(ctx, seed)) {
        log_error("secp256k1_context_randomize failed");
        goto done;
    }
    secp_ctx = ctx;
    ctx = NULL;
done:
    if (ctx != NULL)
        secp256k1_context_destroy(ctx);
    secret_wipe(seed, sizeof seed);
}

const secp256k1_context *secp_context(void)
{
    if (pthread_once(&secp_once, secp_create) != 0)
        return NULL;
    return secp_ctx;
}
