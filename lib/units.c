#include "lib/units.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int units_parse_size(uint64_t *out, const char *text, uint64_t min,
                     uint64_t max, const char *option, struct fault *f)
{
    unsigned long long v;
    uint64_t mult = 1;
    char *end;

    *out = 0;
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return fault_set(f, FAULT_INVALID, option,
                         "%s takes a number of bytes, e.g. 4194304 or 4M",
                         option);
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0)
        return fault_set(f, FAULT_INVALID, option, "%s is too large", option);
    if (end[0] != '\0') {
        switch (end[0]) {
        case 'K': case 'k': mult = 1024; break;
        case 'M': case 'm': mult = 1024 * 1024; break;
        case 'G': case 'g': mult = 1024 * 1024 * 1024; break;
        default:
            return fault_set(f, FAULT_INVALID, option,
                             "%s: unknown suffix '%s' (use K, M or G)",
                             option, end);
        }
        if (end[1] != '\0' && strcmp(end + 1, "iB") != 0 &&
            strcmp(end + 1, "B") != 0)
            return fault_set(f, FAULT_INVALID, option,
                             "%s: unknown suffix '%s' (use K, M or G)",
                             option, end);
    }
    if (v > max / mult || v * mult < min || v * mult > max)
        return fault_set(f, FAULT_INVALID, option,
                         "%s must be between %llu and %llu", option,
                         (unsigned long long)min, (unsigned long long)max);
    *out = v * mult;
    return 0;
}
