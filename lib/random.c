#include "lib/random.h"

#include <limits.h>
#include <openssl/rand.h>
#include <string.h>

int random_bytes(uint8_t *out, size_t len, struct fault *f)
{
    size_t done = 0;
    int rv = -1;

    /* RAND_bytes takes an int length: ask in pieces. */
    while (done < len) {
        size_t piece = len - done;
        if (piece > INT_MAX)
            piece = INT_MAX;
        if (RAND_bytes(out + done, (int)piece) != 1) {
            fault_set(f, FAULT_INTERNAL, NULL,
                      "the system's random number generator failed");
            goto done;
        }
        done += piece;
    }
    rv = 0;
done:
    if (rv != 0 && len > 0)
        memset(out, 0, len);
    return rv;
}
