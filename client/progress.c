#include "client/progress.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#define PROGRESS_BAR_WIDTH 24
#define PROGRESS_REDRAW_MS 100

int64_t progress_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void progress_bytes(char *out, size_t cap, uint64_t n)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = -1;

    if (n < 1024) {
        snprintf(out, cap, "%llu B", (unsigned long long)n);
        return;
    }
    while (v >= 1024.0 && u < 3) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, cap, "%.1f %s", v, units[u]);
}

void progress_format(char *out, size_t cap, uint64_t done, uint64_t total,
                     double rate)
{
    char d[24], t[24], r[24], left[32];
    unsigned pct = total ? (unsigned)((done >= total ? 100.0
                                                     : 100.0 * (double)done /
                                                           (double)total))
                         : 100;

    if (cap == 0)
        return;
    progress_bytes(d, sizeof d, done);
    progress_bytes(t, sizeof t, total);
    if (rate > 0.0) {
        double secs = done >= total ? 0.0 : (double)(total - done) / rate;
        unsigned long s = secs > 359999.0 ? 359999ul : (unsigned long)(secs + 0.5);
        progress_bytes(r, sizeof r, (uint64_t)rate);
        if (s >= 3600)
            snprintf(left, sizeof left, "%lu:%02lu:%02lu left", s / 3600,
                     s / 60 % 60, s % 60);
        else
            snprintf(left, sizeof left, "%lu:%02lu left", s / 60, s % 60);
        snprintf(out, cap, "%3u%%  %s/%s  %s/s  %s", pct, d, t, r, left);
    } else {
        snprintf(out, cap, "%3u%%  %s/%s", pct, d, t);
    }
}

void progress_init(struct progress *p, FILE *out, int tty, const char *label,
                   uint64_t total)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = tty;
    p->label = label;
    p->total = total;
    p->start_ms = progress_now_ms();
}

static double progress_rate(const struct progress *p)
{
    int64_t ms = progress_now_ms() - p->start_ms;

    if (ms < 200 || p->moved == 0)
        return -1.0;
    return (double)p->moved * 1000.0 / (double)ms;
}

static void progress_draw(struct progress *p)
{
    char text[128], bar[PROGRESS_BAR_WIDTH + 1];
    size_t fill = p->total ? (size_t)((double)PROGRESS_BAR_WIDTH *
                                      (double)(p->done > p->total ? p->total
                                                                  : p->done) /
                                      (double)p->total)
                           : PROGRESS_BAR_WIDTH;

    memset(bar, '#', fill);
    memset(bar + fill, '.', PROGRESS_BAR_WIDTH - fill);
    bar[PROGRESS_BAR_WIDTH] = '\0';
    progress_format(text, sizeof text, p->done, p->total, progress_rate(p));
    fprintf(p->out, "\r\033[K%s [%s] %s", p->label, bar, text);
    fflush(p->out);
    p->drawn = 1;
    p->drawn_ms = progress_now_ms();
}

void progress_update(struct progress *p, uint64_t done, uint64_t moved,
                     int force)
{
    p->done = done;
    p->moved = moved;
    if (!p->tty)
        return;
    if (force || !p->drawn ||
        progress_now_ms() - p->drawn_ms >= PROGRESS_REDRAW_MS)
        progress_draw(p);
}

void progress_note(struct progress *p, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (p->tty && p->drawn)
        fprintf(p->out, "\r\033[K");
    fprintf(p->out, "%s\n", text);
    if (p->tty && p->drawn)
        progress_draw(p);
    fflush(p->out);
}

void progress_finish(struct progress *p)
{
    if (!p->tty)
        return;
    progress_draw(p);
    fprintf(p->out, "\n");
    fflush(p->out);
    p->drawn = 0;
}
