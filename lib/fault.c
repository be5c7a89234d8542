#include "lib/fault.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void fault_clear(struct fault *f)
{
    if (f == NULL)
        return;
    f->kind = FAULT_NONE;
    f->field[0] = '\0';
    f->detail[0] = '\0';
}

int fault_set(struct fault *f, enum fault_kind kind, const char *field,
              const char *fmt, ...)
{
    va_list ap;

    if (f == NULL)
        return -1;
    f->kind = kind;
    snprintf(f->field, sizeof f->field, "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
    return -1;
}

const char *fault_kind_name(enum fault_kind kind)
{
    /* No default: the compiler names a kind that has no name here. */
    switch (kind) {
    case FAULT_NONE: return "none";
    case FAULT_INVALID: return "invalid";
    case FAULT_UNAUTHORIZED: return "unauthorized";
    case FAULT_PAYMENT: return "payment_required";
    case FAULT_FORBIDDEN: return "forbidden";
    case FAULT_NOT_FOUND: return "not_found";
    case FAULT_CONFLICT: return "conflict";
    case FAULT_NONCE_REUSED: return "nonce_reused";
    case FAULT_IN_FLIGHT: return "in_flight";
    case FAULT_MAX_COST: return "max_cost";
    case FAULT_TOO_LARGE: return "too_large";
    case FAULT_RATE_LIMITED: return "rate_limited";
    case FAULT_UNAVAILABLE: return "unavailable";
    case FAULT_CORRUPT: return "corrupt";
    case FAULT_IO: return "io";
    case FAULT_INTERNAL: return "internal";
    }
    return "internal";
}
