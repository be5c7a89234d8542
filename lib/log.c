#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level log_level_min = LOG_INFO;

void log_set_level(enum log_level level)
{
    log_level_min = level;
}

enum log_level log_get_level(void)
{
    return log_level_min;
}

void log_write(enum log_level level, const char *func, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error", "silent"};
    char line[1024];
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int n;

    if (level < log_level_min || level >= LOG_SILENT)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(line, sizeof line, "%s.%03ldZ %s %s: ", stamp,
                 ts.tv_nsec / 1000000L, names[level], func);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One fputs per line so that threads do not interleave within a line. */
    fprintf(stderr, "%s\n", line);
}
