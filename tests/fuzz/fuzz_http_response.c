/*
 * fuzz_http_response: any bytes as what a server sends back to the
 * client's HTTP reader (client/http.c), read as a kept-alive connection
 * would: response after response until one fails or the bytes end. The
 * worker reads objects from any server an answer names, so these bytes
 * are untrusted.
 *
 * Input: one byte of settings (bit 0: the answer to a HEAD; bits 1-2: the
 * body bound, 0, 64, 4096 or 1 MiB; bit 3: the header bound, 256 or 8192
 * bytes), then the bytes the server sends (sent whole, then the sending
 * side is shut).
 *
 * Checked on every input:
 * - a response read has a status of 200 to 599, a minor version digit, at
 *   most HTTP_MAX_HEADERS headers (each name and value a string within
 *   the header bound), a body of at most the bound, NUL-terminated, and
 *   none for a HEAD;
 * - a failure leaves the response cleared (no head, no body) with a fault
 *   kind and a non-empty detail;
 * - the reader never takes more bytes than were sent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a socket pair holds before a write would block, and then some. */
#define FUZZ_HTTP_MAX_INPUT ((size_t)64 << 10)
#define FUZZ_HTTP_RESPONSES 8

static void check_ok(const struct http_response *r, int head,
                     size_t max_head, size_t max_body)
{
    size_t i;

    if (r->status < 200 || r->status > 599 || r->minor < 0 ||
        r->minor > 9 || r->head == NULL || r->reason == NULL ||
        r->nheaders > HTTP_MAX_HEADERS || r->body == NULL ||
        r->body_len > max_body || r->body_len >= r->body_cap ||
        r->body[r->body_len] != 0 || (head && r->body_len != 0))
        abort();
    for (i = 0; i < r->nheaders; i++)
        if (r->names[i] == NULL || r->values[i] == NULL ||
            strnlen(r->names[i], max_head + 1) > max_head ||
            strnlen(r->values[i], max_head + 1) > max_head ||
            r->names[i][0] == '\0')
            abort();
}

static void check_failed(const struct http_response *r,
                         const struct fault *f)
{
    if (r->head != NULL || r->body != NULL || r->body_len != 0 ||
        f->kind == FAULT_NONE || f->detail[0] == '\0' ||
        strnlen(f->detail, sizeof f->detail) >= sizeof f->detail)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t bodies[] = {0, 64, 4096, (size_t)1 << 20};
    struct http_response r;
    struct http_conn conn;
    struct fault f;
    size_t max_head, max_body, off = 0;
    int sv[2], head, k;
    ssize_t n;

    if (size < 1 || size - 1 > FUZZ_HTTP_MAX_INPUT)
        return 0;
    head = data[0] & 1;
    max_body = bodies[(data[0] >> 1) & 3];
    max_head = (data[0] & 8) ? 8192 : 256;
    data++;
    size--;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    {
        int sndbuf = (int)FUZZ_HTTP_MAX_INPUT * 4;
        (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf,
                         sizeof sndbuf);
    }
    while (off < size) {
        n = write(sv[1], data + off, size - off);
        if (n <= 0)
            abort(); /* the pair holds it all: see FUZZ_HTTP_MAX_INPUT */
        off += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);
    http_conn_init(&conn, sv[0], 1000);
    for (k = 0; k < FUZZ_HTTP_RESPONSES; k++) {
        fault_clear(&f);
        if (http_read_response(&r, &conn, head, max_head, max_body, &f) <
            0) {
            check_failed(&r, &f);
            break;
        }
        check_ok(&r, head, max_head, max_body);
        http_response_clear(&r);
        if (conn.got > size)
            abort();
    }
    close(sv[0]); /* conn owns it; nothing else to free */
    close(sv[1]);
    return 0;
}
