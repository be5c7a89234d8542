/*
 * offload: blocking work (writing and fsyncing an upload part) done on a
 * small pool of threads so that the event loop never waits on a disk.
 *
 * A job runs work(arg) on a pool thread, then activates done_ev, an event
 * of the loop's base made by the caller, whose callback finishes the job
 * on the loop's thread. The base must have been made after
 * evthread_use_pthreads().
 */
#ifndef SLUICE_GATEWAY_OFFLOAD_H
#define SLUICE_GATEWAY_OFFLOAD_H

#include <event2/event.h>

#include "lib/fault.h"

struct offload;

/* Start threads (>= 1) pool threads. Returns 0 with *out set, or -1 with f
 * set. */
int offload_start(struct offload **out, unsigned threads, struct fault *f)
    __attribute__((warn_unused_result));

/* Queue work(arg), then activate done_ev. Returns 0, or -1 with f set
 * (nothing queued). */
int offload_submit(struct offload *o, void (*work)(void *arg), void *arg,
                   struct event *done_ev, struct fault *f)
    __attribute__((warn_unused_result));

/* Finish the queued jobs (their done events fire if the loop runs), join
 * the threads and free o. o may be NULL. */
void offload_free(struct offload *o);

#endif
