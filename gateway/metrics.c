#include "gateway/metrics.h"

#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds of the latency buckets, in seconds. */
static const double metrics_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
#define METRICS_NBUCKETS (sizeof metrics_buckets / sizeof metrics_buckets[0])
#define METRICS_MAX_SERIES 256

struct metrics_series {
    const char *route;
    int status;
    uint64_t count;
};

struct metrics_route {
    const char *route;
    uint64_t buckets[METRICS_NBUCKETS];
    uint64_t count;
    double sum;
};

struct metrics {
    struct metrics_series series[METRICS_MAX_SERIES];
    size_t nseries;
    struct metrics_route routes[64];
    size_t nroutes;
    uint64_t bytes_in, bytes_out;
    uint64_t dropped; /* requests past the series bound */
    uint64_t batches, batched; /* group commits, and requests in them */
};

int metrics_new(struct metrics **out, struct fault *f)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    return 0;
}

void metrics_free(struct metrics *m)
{
    free(m);
}

void metrics_request(struct metrics *m, const char *route, int status,
                     size_t bytes_in, size_t bytes_out, double ms)
{
    struct metrics_route *r = NULL;
    size_t i;

    if (m == NULL)
        return;
    m->bytes_in += bytes_in;
    m->bytes_out += bytes_out;
    for (i = 0; i < m->nseries; i++)
        if (m->series[i].route == route && m->series[i].status == status)
            break;
    if (i == m->nseries) {
        if (m->nseries == METRICS_MAX_SERIES) {
            m->dropped++;
            return;
        }
        m->series[i].route = route;
        m->series[i].status = status;
        m->nseries++;
    }
    m->series[i].count++;
    for (i = 0; i < m->nroutes; i++)
        if (m->routes[i].route == route)
            r = &m->routes[i];
    if (r == NULL) {
        if (m->nroutes == sizeof m->routes / sizeof m->routes[0])
            return;
        r = &m->routes[m->nroutes++];
        r->route = route;
    }
    r->count++;
    r->sum += ms / 1000.0;
    for (i = 0; i < METRICS_NBUCKETS; i++)
        if (ms / 1000.0 <= metrics_buckets[i])
            r->buckets[i]++;
}

void metrics_write_batch(struct metrics *m, size_t n)
{
    if (m == NULL)
        return;
    m->batches++;
    m->batched += n;
}

void metrics_render(const struct metrics *m, struct evbuffer *out)
{
    size_t i, b;

    evbuffer_add_printf(out,
                        "# HELP sluice_http_requests_total Requests answered, "
                        "by route and status.\n"
                        "# TYPE sluice_http_requests_total counter\n");
    for (i = 0; i < m->nseries; i++)
        evbuffer_add_printf(out,
                            "sluice_http_requests_total{route=\"%s\","
                            "status=\"%d\"} %llu\n",
                            m->series[i].route, m->series[i].status,
                            (unsigned long long)m->series[i].count);
    evbuffer_add_printf(out,
                        "# HELP sluice_http_request_seconds Time to answer, "
                        "by route.\n"
                        "# TYPE sluice_http_request_seconds histogram\n");
    for (i = 0; i < m->nroutes; i++) {
        const struct metrics_route *r = &m->routes[i];
        for (b = 0; b < METRICS_NBUCKETS; b++)
            evbuffer_add_printf(out,
                                "sluice_http_request_seconds_bucket{route="
                                "\"%s\",le=\"%g\"} %llu\n",
                                r->route, metrics_buckets[b],
                                (unsigned long long)r->buckets[b]);
        evbuffer_add_printf(out,
                            "sluice_http_request_seconds_bucket{route=\"%s\","
                            "le=\"+Inf\"} %llu\n"
                            "sluice_http_request_seconds_sum{route=\"%s\"} "
                            "%.6f\n"
                            "sluice_http_request_seconds_count{route=\"%s\"} "
                            "%llu\n",
                            r->route, (unsigned long long)r->count, r->route,
                            r->sum, r->route, (unsigned long long)r->count);
    }
    evbuffer_add_printf(out,
                        "# HELP sluice_http_bytes_total Body bytes, by "
                        "direction.\n"
                        "# TYPE sluice_http_bytes_total counter\n"
                        "sluice_http_bytes_total{direction=\"in\"} %llu\n"
                        "sluice_http_bytes_total{direction=\"out\"} %llu\n",
                        (unsigned long long)m->bytes_in,
                        (unsigned long long)m->bytes_out);
    evbuffer_add_printf(out,
                        "# HELP sluice_write_batches_total Transactions "
                        "that committed signed requests together.\n"
                        "# TYPE sluice_write_batches_total counter\n"
                        "sluice_write_batches_total %llu\n"
                        "# HELP sluice_write_batch_requests_total Signed "
                        "requests committed in those transactions.\n"
                        "# TYPE sluice_write_batch_requests_total counter\n"
                        "sluice_write_batch_requests_total %llu\n",
                        (unsigned long long)m->batches,
                        (unsigned long long)m->batched);
}
