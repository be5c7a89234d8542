#include "client/upload.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/progress.h"
#include "lib/hex.h"

#define UPLOAD_BACKOFF_MAX_MS 30000

/* What the gateway holds of one part. */
struct upload_have {
    int present;
    uint64_t bytes;
    uint8_t sha256[32];
};

struct upload_run {
    struct api *a;
    const struct upload_opts *o;
    struct upload_stats *st;
    struct progress bar;
    int show;
    uint64_t done;   /* bytes of the file accounted for */
    uint64_t moved;  /* bytes sent by this run */
    uint64_t skip_first, skip_last; /* a run of skipped parts to report */
    int64_t t0_ms;   /* when sending began, for limit_rate */
};

static void upload_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Refuse early what the gateway would refuse part by part: a data-set
 * that is published or being published takes no parts (and one that is
 * not ours is not found). */
static int upload_check_state(struct upload_run *r, const char *id,
                              struct fault *f)
{
    struct api_call call;
    char path[128];
    const char *state;
    json_t *doc = NULL;
    int status, rv = -1;

    memset(&call, 0, sizeof call);
    snprintf(path, sizeof path, "/v1/datasets/%s", id);
    call.method = "GET";
    call.path = path;
    call.sign = 1;
    if (api_request(r->a, &doc, &status, &call, f) < 0)
        return -1;
    state = json_string_value(json_object_get(doc, "state"));
    if (state != NULL && (strcmp(state, "published") == 0 ||
                          strcmp(state, "publishing") == 0)) {
        fault_set(f, FAULT_CONFLICT, NULL,
                  "the data-set is %s: its content can no longer change "
                  "(a new version is a new data-set)", state);
        goto done;
    }
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

/* Read the gateway's part list into *have[0..*count) indexed by n. */
static int upload_list(struct upload_run *r, struct upload_have **have,
                       size_t *count, const char *id, struct fault *f)
{
    struct api_call call;
    char path[128];
    json_t *doc = NULL, *parts, *e;
    size_t i, max_n = 0;
    int status, rv = -1;

    *have = NULL;
    *count = 0;
    memset(&call, 0, sizeof call);
    snprintf(path, sizeof path, "/v1/datasets/%s/parts", id);
    call.method = "GET";
    call.path = path;
    call.sign = 1;
    if (api_request(r->a, &doc, &status, &call, f) < 0)
        return -1;
    parts = json_object_get(doc, "parts");
    if (!json_is_array(parts)) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the gateway's part list has no \"parts\" array");
        goto done;
    }
    json_array_foreach(parts, i, e) {
        json_int_t n = json_integer_value(json_object_get(e, "n"));
        if (n < 1 || n > UPLOAD_PARTS_MAX) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway's part list holds a bad part number");
            goto done;
        }
        if ((size_t)n > max_n)
            max_n = (size_t)n;
    }
    *have = calloc(max_n + 1, sizeof **have);
    if (*have == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    *count = max_n + 1;
    json_array_foreach(parts, i, e) {
        size_t n = (size_t)json_integer_value(json_object_get(e, "n"));
        json_int_t bytes = json_integer_value(json_object_get(e, "bytes"));
        const char *sha = json_string_value(json_object_get(e, "sha256"));
        if (bytes < 0 || sha == NULL ||
            hex_decode_0x((*have)[n].sha256, 32, sha, strlen(sha), "sha256",
                          f) < 0) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway's part list holds a bad entry for part "
                      "%zu", n);
            goto done;
        }
        (*have)[n].present = 1;
        (*have)[n].bytes = (uint64_t)bytes;
    }
    rv = 0;
done:
    if (rv < 0) {
        free(*have);
        *have = NULL;
        *count = 0;
    }
    json_decref(doc);
    return rv;
}

static void upload_on_sent(void *arg, uint64_t sent)
{
    struct upload_run *r = arg;

    if (r->o->limit_rate > 0) {
        /* Hold back until the bytes sent so far are due. */
        int64_t due = r->t0_ms + (int64_t)((double)(r->moved + sent) *
                                           1000.0 /
                                           (double)r->o->limit_rate);
        int64_t now = progress_now_ms();
        if (due > now)
            upload_sleep_ms((unsigned)(due - now));
    }
    if (r->show)
        progress_update(&r->bar, r->done + sent, r->moved + sent, 0);
}

/* Report a run of skipped parts, if any. */
static void upload_flush_skips(struct upload_run *r)
{
    if (r->skip_first == 0)
        return;
    if (r->show) {
        if (r->skip_first == r->skip_last)
            progress_note(&r->bar, "part %llu/%llu: already there, skipped",
                          (unsigned long long)r->skip_first,
                          (unsigned long long)r->st->parts);
        else
            progress_note(&r->bar,
                          "parts %llu-%llu/%llu: already there, skipped",
                          (unsigned long long)r->skip_first,
                          (unsigned long long)r->skip_last,
                          (unsigned long long)r->st->parts);
    }
    r->skip_first = r->skip_last = 0;
}

/* Is a failure of a part worth another try? */
static int upload_retryable(int status, const struct fault *f)
{
    if (status >= 500 || status == 429)
        return 1;
    if (status != 0)
        return 0;
    /* No switch: a kind added to lib/fault.h is simply not retried. */
    return f->kind == FAULT_UNAVAILABLE || f->kind == FAULT_CORRUPT ||
           f->kind == FAULT_RATE_LIMITED;
}

/* PUT part n (data[0..len), hash sha) and check the answer. */
static int upload_put(struct upload_run *r, const char *id, uint64_t n,
                      const uint8_t *data, size_t len,
                      const uint8_t sha[32], struct fault *f)
{
    struct api_call call;
    char path[160], want[67];
    const char *got_sha;
    json_t *doc = NULL;
    unsigned attempt, pause = r->o->backoff_ms;
    int status = 0, rv = -1;

    memset(&call, 0, sizeof call);
    snprintf(path, sizeof path, "/v1/datasets/%s/parts/%llu", id,
             (unsigned long long)n);
    call.method = "PUT";
    call.path = path;
    call.body = data;
    call.body_len = len;
    call.content_type = "application/octet-stream";
    call.sign = 1;
    call.progress = upload_on_sent;
    call.progress_arg = r;
    for (attempt = 0;; attempt++) {
        /* The nonce stays across tries: a part that reached the gateway
         * before the answer was lost is answered from its record. */
        if (api_request(r->a, &doc, &status, &call, f) == 0)
            break;
        if (!upload_retryable(status, f) || attempt >= r->o->retries)
            goto done;
        r->st->retried++;
        if (r->show)
            progress_note(&r->bar, "part %llu: %s; trying again in %.1f s",
                          (unsigned long long)n, f->detail,
                          (double)pause / 1000.0);
        upload_sleep_ms(pause);
        pause = pause * 2 > UPLOAD_BACKOFF_MAX_MS ? UPLOAD_BACKOFF_MAX_MS
                                                  : pause * 2;
        fault_clear(f);
    }
    if (hex_encode_0x(want, sizeof want, sha, 32) < 0)
        goto done;
    got_sha = json_string_value(json_object_get(doc, "sha256"));
    if (json_integer_value(json_object_get(doc, "n")) != (json_int_t)n ||
        json_integer_value(json_object_get(doc, "bytes")) !=
            (json_int_t)len ||
        got_sha == NULL || strcasecmp(got_sha, want) != 0) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the gateway stored part %llu with another size or hash "
                  "than was sent", (unsigned long long)n);
        goto done;
    }
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

/* Read exactly len bytes at off. */
static int upload_read(int fd, uint8_t *buf, size_t len, uint64_t off,
                       const char *path, struct fault *f)
{
    ssize_t n;

    while (len > 0) {
        n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fault_set(f, FAULT_IO, "FILE", "cannot read %s: %s", path,
                             strerror(errno));
        if (n == 0)
            return fault_set(f, FAULT_IO, "FILE",
                             "%s got shorter during the upload; run it again",
                             path);
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

int upload_file(struct api *a, struct upload_stats *st, const char *id,
                const char *path, const struct upload_opts *o,
                struct fault *f)
{
    struct upload_run r;
    struct upload_have *have = NULL;
    struct stat sb, sb2;
    uint8_t *buf = NULL, sha[32];
    size_t nhave = 0, len;
    uint64_t n, off;
    int fd = -1, rv = -1;

    memset(st, 0, sizeof *st);
    memset(&r, 0, sizeof r);
    r.a = a;
    r.o = o;
    r.st = st;
    r.show = o->progress != NULL;
    if (o->part_size == 0)
        return fault_set(f, FAULT_INVALID, "--part-size",
                         "the part size must be above 0");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fault_set(f, FAULT_IO, "FILE", "cannot open %s: %s", path,
                  strerror(errno));
        goto done;
    }
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        fault_set(f, FAULT_INVALID, "FILE", "%s is not a regular file", path);
        goto done;
    }
    st->bytes = (uint64_t)sb.st_size;
    st->parts = st->bytes == 0 ? 1
                               : (st->bytes + o->part_size - 1) / o->part_size;
    if (st->parts > UPLOAD_PARTS_MAX) {
        fault_set(f, FAULT_INVALID, "--part-size",
                  "%s would take %llu parts of %llu bytes; the gateway takes "
                  "at most %d: give a larger --part-size",
                  path, (unsigned long long)st->parts,
                  (unsigned long long)o->part_size, UPLOAD_PARTS_MAX);
        goto done;
    }
    if (upload_check_state(&r, id, f) < 0 ||
        upload_list(&r, &have, &nhave, id, f) < 0)
        goto done;
    len = st->bytes < o->part_size ? (size_t)st->bytes : (size_t)o->part_size;
    buf = malloc(len ? len : 1);
    if (buf == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL,
                  "out of memory for a part of %zu bytes", len);
        goto done;
    }
    if (r.show)
        progress_init(&r.bar, o->progress, o->tty, "upload", st->bytes);
    r.t0_ms = progress_now_ms();
    for (n = 1; n <= st->parts; n++) {
        off = (n - 1) * o->part_size;
        len = (size_t)(st->bytes - off < o->part_size ? st->bytes - off
                                                      : o->part_size);
        if (upload_read(fd, buf, len, off, path, f) < 0)
            goto done;
        if (EVP_Digest(buf, len, sha, NULL, EVP_sha256(), NULL) != 1) {
            fault_set(f, FAULT_INTERNAL, NULL, "sha256 failed");
            goto done;
        }
        if (n < nhave && have[n].present && have[n].bytes == len &&
            memcmp(have[n].sha256, sha, 32) == 0) {
            st->skipped++;
            if (r.skip_first == 0)
                r.skip_first = n;
            r.skip_last = n;
            r.done += len;
            if (r.show)
                progress_update(&r.bar, r.done, r.moved, 0);
            continue;
        }
        upload_flush_skips(&r);
        if (upload_put(&r, id, n, buf, len, sha, f) < 0) {
            char detail[FAULT_DETAIL_MAX];
            snprintf(detail, sizeof detail, "%s", f->detail);
            fault_set(f, f->kind, f->field, "part %llu: %s%s",
                      (unsigned long long)n, detail,
                      f->kind == FAULT_TOO_LARGE
                          ? " (give a smaller --part-size)"
                          : "");
            goto done;
        }
        st->sent++;
        st->bytes_sent += len;
        r.done += len;
        r.moved += len;
        if (r.show) {
            if (o->tty) {
                progress_update(&r.bar, r.done, r.moved, 1);
            } else {
                char line[128];
                int64_t ms = progress_now_ms() - r.bar.start_ms;
                progress_format(line, sizeof line, r.done, st->bytes,
                                ms > 0 ? (double)r.moved * 1000.0 /
                                             (double)ms
                                       : -1.0);
                progress_note(&r.bar, "part %llu/%llu: sent  %s",
                              (unsigned long long)n,
                              (unsigned long long)st->parts, line);
            }
        }
    }
    upload_flush_skips(&r);
    /* Parts past the file's end would be joined in at publish: empty them. */
    for (n = st->parts + 1; n < nhave; n++) {
        if (!have[n].present || have[n].bytes == 0)
            continue;
        if (EVP_Digest(buf, 0, sha, NULL, EVP_sha256(), NULL) != 1) {
            fault_set(f, FAULT_INTERNAL, NULL, "sha256 failed");
            goto done;
        }
        if (r.show)
            progress_note(&r.bar,
                          "part %llu: left by an earlier upload past the "
                          "file's end; emptying it", (unsigned long long)n);
        if (upload_put(&r, id, n, buf, 0, sha, f) < 0)
            goto done;
        st->blanked++;
    }
    if (fstat(fd, &sb2) < 0 || sb2.st_size != sb.st_size ||
        sb2.st_mtim.tv_sec != sb.st_mtim.tv_sec ||
        sb2.st_mtim.tv_nsec != sb.st_mtim.tv_nsec) {
        fault_set(f, FAULT_IO, "FILE",
                  "%s changed during the upload; run it again", path);
        goto done;
    }
    rv = 0;
done:
    if (r.show && r.bar.out != NULL)
        progress_finish(&r.bar);
    if (fd >= 0)
        close(fd);
    free(buf);
    free(have);
    return rv;
}
