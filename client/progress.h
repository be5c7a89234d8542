/*
 * progress: how the CLI shows long work (uploads, publishing) on stderr:
 * a bar redrawn in place when stderr is a terminal (bytes, rate, time
 * left), plain lines otherwise, so that logs stay readable.
 */
#ifndef SLUICE_CLIENT_PROGRESS_H
#define SLUICE_CLIENT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
    FILE *out;
    int tty;            /* redraw a bar in place */
    const char *label;  /* "upload", "publish" */
    uint64_t total;     /* bytes of the whole job */
    uint64_t done;      /* bytes done, skipped ones included */
    uint64_t moved;     /* bytes moved by this run: the rate's base */
    int64_t start_ms;
    int64_t drawn_ms;   /* when the bar was last drawn */
    int drawn;          /* a bar is on the line now */
};

/* Start p for a job of total bytes on out; tty says whether to draw a bar
 * (normally isatty(fileno(out))). */
void progress_init(struct progress *p, FILE *out, int tty, const char *label,
                   uint64_t total);

/* Record that done bytes of the job are done, moved of them by this run;
 * redraw the bar when it is due (every 100 ms) or when force is set.
 * Draws nothing when p is not on a terminal. */
void progress_update(struct progress *p, uint64_t done, uint64_t moved,
                     int force);

/* Print one line of text (printf rules, no newline needed) above the bar,
 * which is redrawn after it on a terminal. */
void progress_note(struct progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Draw the bar one last time and end its line. */
void progress_finish(struct progress *p);

/* Write the status text of a job into out[0..cap): percent, done and
 * total bytes, the rate (bytes per second; below 0: unknown) and the time
 * left, e.g. " 52%  20.8/40.0 MiB  11.5 MiB/s  0:02 left". Always
 * NUL-terminates when cap > 0. */
void progress_format(char *out, size_t cap, uint64_t done, uint64_t total,
                     double rate);

/* Write n bytes in human units ("512 B", "1.5 KiB", "40.0 MiB") into
 * out[0..cap). */
void progress_bytes(char *out, size_t cap, uint64_t n);

/* Return the monotonic clock in milliseconds. */
int64_t progress_now_ms(void);

#endif
