#include "client/wfetch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "lib/secret.h"
#include "storage/chunkobj.h"

#define WFETCH_TARGET_MAX 4096

/* A slot is EMPTY (free), CLAIMED (a thread fills it), READY (held for
 * the caller), SINKING (being handed to the sink) or FAILED. */
enum wfetch_slot_state { WFETCH_EMPTY = 0, WFETCH_CLAIMED, WFETCH_READY,
                         WFETCH_SINKING, WFETCH_FAILED };

/* Item k's plaintext is opened into slot k % window's buffer, which the
 * slot keeps from item to item (wiped when the downloads stop), so that a
 * query allocates and faults in no fresh memory per chunk. */
struct wfetch_slot {
    enum wfetch_slot_state state;
    uint8_t *buf;
    size_t cap;
    size_t len; /* of the plaintext in buf, when READY */
    struct fault fault;
};

struct wfetch_thread {
    struct wfetch *w;
    pthread_t tid;
    unsigned id;
    struct http_client gw;    /* the gateway's connection */
    struct http_client other; /* the last other server's */
    int other_set;
    struct chunkobj_opener *opener;
    uint8_t *cached;          /* the last object read from the cache */
    size_t cached_cap;
};

struct wfetch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wfetch_item *items;
    size_t n;
    struct wfetch_config cfg;
    char *cache_dir;
    int pack_fd;        /* the pack, or -1: per-object files */
    uint64_t *pack_off; /* item k's place in the pack */
    size_t next_claim; /* the next item a thread takes */
    size_t next_take;  /* the next item the caller takes (or has taken,
                          while lent) */
    int lent;          /* the caller holds item next_take's buffer */
    wfetch_sink_fn sink; /* set: items go there, in any order */
    void *sink_arg;
    size_t sunk;       /* items handed to the sink */
    struct wfetch_slot *slots; /* cfg.window of them: item k in k % window */
    int stop;
    struct wfetch_thread *threads;
    unsigned nthreads;
    struct wfetch_stats stats;
};

static void wfetch_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int wfetch_pack_path(char *out, size_t cap, const char *dir,
                     const char *name)
{
    int n;

    if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
        return -1;
    n = snprintf(out, cap, "%s/%s.pack", dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int wfetch_cache_path(char *out, size_t cap, const char *dir,
                      const char *object_id)
{
    int n = snprintf(out, cap, "%s/%s", dir, object_id);

    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ---- the cache --------------------------------------------------------- */

/* Make t->cached hold at least n + 1 bytes. Returns 0, or -1. */
static int wfetch_cached_reserve(struct wfetch_thread *t, uint64_t n)
{
    if (t->cached_cap >= n + 1)
        return 0;
    free(t->cached);
    t->cached_cap = 0;
    t->cached = malloc((size_t)n + 1);
    if (t->cached == NULL)
        return -1;
    t->cached_cap = (size_t)n + 1;
    return 0;
}

/* Read item k from its place in the pack into t's buffer. Returns 1 with
 * *obj pointing into t->cached when the bytes there hash to it, else 0. */
static int wfetch_pack_read(struct wfetch_thread *t, size_t k,
                            const uint8_t **obj)
{
    struct wfetch *w = t->w;
    const struct wfetch_item *it = &w->items[k];
    uint8_t digest[32];
    size_t got = 0;
    ssize_t r;

    *obj = NULL;
    if (w->pack_fd < 0 || wfetch_cached_reserve(t, it->stored_bytes) < 0)
        return 0;
    while (got < it->stored_bytes) {
        r = pread(w->pack_fd, t->cached + got,
                  (size_t)it->stored_bytes - got,
                  (off_t)(w->pack_off[k] + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    SHA256(t->cached, got, digest);
    if (memcmp(digest, it->digest, 32) != 0)
        return 0;
    *obj = t->cached;
    return 1;
}

/* Write item k's verified object at its place in the pack. A pack that
 * cannot be written costs a later fetch, nothing else. */
static void wfetch_pack_write(struct wfetch *w, size_t k, const uint8_t *obj,
                              size_t len)
{
    size_t off = 0;
    ssize_t r;

    while (off < len) {
        r = pwrite(w->pack_fd, obj + off, len - off,
                   (off_t)(w->pack_off[k] + off));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        off += (size_t)r;
    }
}

/* Read object item from the cache into t's buffer when a file of its
 * name is there and hashes to it; remove a file that does not. Returns 1
 * with *obj pointing into t->cached, 0 when the cache does not hold it. */
static int wfetch_cache_read(struct wfetch_thread *t,
                             const struct wfetch_item *it,
                             const uint8_t **obj)
{
    struct wfetch *w = t->w;
    char path[4200];
    uint8_t digest[32], *buf = NULL;
    struct stat st;
    size_t got = 0;
    ssize_t r;
    int fd, ok = 0;

    *obj = NULL;
    if (wfetch_cache_path(path, sizeof path, w->cache_dir, it->object_id) <
        0)
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size == it->stored_bytes &&
        wfetch_cached_reserve(t, it->stored_bytes) == 0) {
        buf = t->cached;
        while (got < it->stored_bytes) {
            r = read(fd, buf + got, it->stored_bytes - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (got == it->stored_bytes) {
            SHA256(buf, got, digest);
            ok = memcmp(digest, it->digest, 32) == 0;
        }
    }
    close(fd);
    if (!ok) {
        /* Damaged or cut short: fetch it again and write it afresh. */
        unlink(path);
        return 0;
    }
    *obj = buf;
    return 1;
}

/* Write a verified object to the cache: a temporary file, renamed. A
 * cache that cannot be written costs a later fetch, nothing else. */
static void wfetch_cache_write(struct wfetch *w, const struct wfetch_thread *t,
                               const struct wfetch_item *it,
                               const uint8_t *obj, size_t len)
{
    char path[4200], tmp[4300];
    size_t off = 0;
    ssize_t r;
    int fd;

    if (wfetch_cache_path(path, sizeof path, w->cache_dir, it->object_id) <
            0 ||
        snprintf(tmp, sizeof tmp, "%s/.%s.%ld.%u.tmp", w->cache_dir,
                 it->object_id, (long)getpid(), t->id) >= (int)sizeof tmp)
        return;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
              0600);
    if (fd < 0)
        return;
    while (off < len) {
        r = write(fd, obj + off, len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    if (close(fd) < 0 || off != len || rename(tmp, path) < 0)
        unlink(tmp);
}

/* ---- fetching ---------------------------------------------------------- */

/* Pick the connection and target for item's url. */
static int wfetch_route(struct wfetch_thread *t, const struct wfetch_item *it,
                        struct http_client **client, char *target,
                        size_t cap, struct fault *f)
{
    struct wfetch *w = t->w;
    const char *url = it->url, *rest;
    char base[HTTP_HOST_MAX + 32];
    struct http_url u;
    size_t alen, i;

    for (i = 0; url[i] != '\0'; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return fault_set(f, FAULT_CORRUPT, "chunks.url",
                             "chunk %llu's url holds a space or a "
                             "character that is not printable ASCII",
                             (unsigned long long)it->index);
    if (url[0] == '/') {
        if (snprintf(target, cap, "%s%s", w->cfg.gateway.prefix, url) >=
            (int)cap)
            return fault_set(f, FAULT_CORRUPT, "chunks.url",
                             "chunk %llu's url is too long",
                             (unsigned long long)it->index);
        *client = &t->gw;
        return 0;
    }
    if (strncasecmp(url, "https://", 8) == 0)
        return fault_set(f, FAULT_UNAVAILABLE, "chunks.url",
                         "chunk %llu is served at an https:// URL, which "
                         "this client cannot fetch yet (http:// only)",
                         (unsigned long long)it->index);
    if (strncasecmp(url, "http://", 7) != 0)
        return fault_set(f, FAULT_CORRUPT, "chunks.url",
                         "chunk %llu's url '%.80s' is neither a path nor an "
                         "http:// URL", (unsigned long long)it->index, url);
    alen = strcspn(url + 7, "/?");
    rest = url + 7 + alen;
    if (7 + alen >= sizeof base ||
        snprintf(target, cap, "%s%s", rest[0] == '/' ? "" : "/", rest) >=
            (int)cap)
        return fault_set(f, FAULT_CORRUPT, "chunks.url",
                         "chunk %llu's url is too long",
                         (unsigned long long)it->index);
    memcpy(base, url, 7 + alen);
    base[7 + alen] = '\0';
    if (http_url_parse(&u, base, NULL, NULL) < 0)
        return fault_set(f, FAULT_CORRUPT, "chunks.url",
                         "chunk %llu's url '%.80s' is not a usable http:// "
                         "URL", (unsigned long long)it->index, url);
    if (!t->other_set || strcmp(t->other.url.host, u.host) != 0 ||
        strcmp(t->other.url.port, u.port) != 0) {
        if (t->other_set)
            http_client_free(&t->other);
        http_client_init(&t->other, &u);
        if (w->cfg.timeout_ms > 0)
            t->other.conn.timeout_ms = w->cfg.timeout_ms;
        t->other_set = 1;
    }
    *client = &t->other;
    return 0;
}

/* GET item's object into *r, from the connection *c. Returns 0 with the
 * object in r->body (the caller gives r back: http_client_keep_body(*c,
 * r)); on failure -1 with r cleared, f set and *retry 1 when asking again
 * may help (the connection, a 5xx, a 429). */
static int wfetch_get(struct wfetch_thread *t, const struct wfetch_item *it,
                      struct http_client **client, struct http_response *res,
                      int *retry, struct fault *f)
{
    struct http_client *c = NULL;
    struct http_response r;
    char target[WFETCH_TARGET_MAX];

    memset(res, 0, sizeof *res);
    *retry = 0;
    if (wfetch_route(t, it, &c, target, sizeof target, f) < 0)
        return -1;
    c->max_body = (size_t)it->stored_bytes;
    if (http_client_request(c, &r, "GET", target, NULL, 0, NULL, 0, NULL,
                            NULL, f) < 0) {
        if (f->kind == FAULT_TOO_LARGE)
            return fault_set(f, FAULT_CORRUPT, NULL,
                             "the object of chunk %llu (%s) is larger than "
                             "the %llu bytes the answer says",
                             (unsigned long long)it->index, it->object_id,
                             (unsigned long long)it->stored_bytes);
        *retry = f->kind == FAULT_UNAVAILABLE;
        return -1;
    }
    if (r.status != 200) {
        int st = r.status;
        http_response_clear(&r);
        if (st >= 500 || st == 429) {
            *retry = 1;
            return fault_set(f, FAULT_UNAVAILABLE, NULL,
                             "fetching chunk %llu's object got HTTP %d",
                             (unsigned long long)it->index, st);
        }
        return fault_set(f, st == 404 ? FAULT_NOT_FOUND : FAULT_CORRUPT,
                         NULL,
                         "chunk %llu's object %s: its url answered HTTP %d",
                         (unsigned long long)it->index, it->object_id, st);
    }
    if (r.body_len != it->stored_bytes) {
        size_t got = r.body_len;
        http_response_clear(&r);
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the object of chunk %llu (%s) is %zu bytes, not "
                         "the %llu the answer says",
                         (unsigned long long)it->index, it->object_id, got,
                         (unsigned long long)it->stored_bytes);
    }
    *client = c;
    *res = r;
    return 0;
}

/* Fetch, verify, decrypt and inflate item k into *buf (of *cap bytes,
 * replaced by a larger one when it must be: chunkobj_opener_open). */
static int wfetch_one(struct wfetch_thread *t, size_t k, uint8_t **buf,
                      size_t *cap, size_t *plain_len, int *cached,
                      struct fault *f)
{
    struct wfetch *w = t->w;
    const struct wfetch_item *it = &w->items[k];
    struct http_client *c = NULL;
    struct http_response r;
    const uint8_t *obj = NULL;
    uint8_t digest[32];
    unsigned attempt;
    int retry, rv = -1;

    memset(&r, 0, sizeof r);
    *plain_len = 0;
    *cached = 0;
    if (w->cache_dir != NULL)
        *cached = wfetch_cache_read(t, it, &obj) ||
                  wfetch_pack_read(t, k, &obj);
    if (!*cached) {
        for (attempt = 0;; attempt++) {
            fault_clear(f);
            if (wfetch_get(t, it, &c, &r, &retry, f) == 0)
                break;
            if (!retry || attempt >= WFETCH_RETRIES)
                goto done;
            pthread_mutex_lock(&w->mu);
            w->stats.retries++;
            pthread_mutex_unlock(&w->mu);
            wfetch_sleep_ms(WFETCH_BACKOFF_MS << attempt);
        }
        obj = r.body;
        SHA256(obj, (size_t)it->stored_bytes, digest);
        if (memcmp(digest, it->digest, 32) != 0) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the object of chunk %llu does not hash to its "
                      "object_id %s: refused",
                      (unsigned long long)it->index, it->object_id);
            goto done;
        }
    }
    if (chunkobj_opener_open(t->opener, buf, cap, plain_len, it->ck,
                             w->cfg.dataset_id, it->index, obj,
                             (size_t)it->stored_bytes, f) < 0) {
        char d[FAULT_DETAIL_MAX];
        snprintf(d, sizeof d, "%s", f->detail);
        fault_set(f, FAULT_CORRUPT, NULL,
                  "chunk %llu (object %.16s...) does not open with its key: "
                  "%s", (unsigned long long)it->index, it->object_id, d);
        goto done;
    }
    if (*plain_len != it->plain_bytes) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "chunk %llu holds %zu bytes, not the %llu the answer says",
                  (unsigned long long)it->index, *plain_len,
                  (unsigned long long)it->plain_bytes);
        goto done;
    }
    if (!*cached && w->pack_fd >= 0)
        wfetch_pack_write(w, k, obj, (size_t)it->stored_bytes);
    else if (!*cached && w->cache_dir != NULL && !w->cfg.cache_read_only)
        wfetch_cache_write(w, t, it, obj, (size_t)it->stored_bytes);
    rv = 0;
done:
    if (c != NULL)
        http_client_keep_body(c, &r);
    if (rv < 0)
        *plain_len = 0;
    return rv;
}

/* The item that slot i holds, of those between the next to take and the
 * next to claim (at most window of them, one per slot). */
static size_t wfetch_slot_item(const struct wfetch *w, unsigned i)
{
    size_t k = w->next_take + ((i + w->cfg.window -
                                w->next_take % w->cfg.window) %
                               w->cfg.window);

    return k;
}

/* May a thread claim item next_claim now? In order, at most window items
 * past the one the caller reads; to a sink, as soon as the item's slot is
 * free (the item window places before it handed over). */
static int wfetch_can_claim(const struct wfetch *w)
{
    if (w->sink != NULL)
        return w->slots[w->next_claim % w->cfg.window].state == WFETCH_EMPTY;
    return w->next_claim < w->next_take + w->cfg.window;
}

static void *wfetch_main(void *arg)
{
    struct wfetch_thread *t = arg;
    struct wfetch *w = t->w;
    struct wfetch_slot *s;
    struct fault f;
    uint8_t *buf;
    size_t k, len, cap;
    int r, cached;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && w->next_claim < w->n && !wfetch_can_claim(w))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop || w->next_claim >= w->n)
            break;
        k = w->next_claim++;
        /* The slot is free (its last item was taken or handed over), so
         * it and its buffer are ours until we fill them. */
        s = &w->slots[k % w->cfg.window];
        s->state = WFETCH_CLAIMED;
        buf = s->buf;
        cap = s->cap;
        s->buf = NULL;
        s->cap = 0;
        pthread_mutex_unlock(&w->mu);
        fault_clear(&f);
        r = wfetch_one(t, k, &buf, &cap, &len, &cached, &f);
        pthread_mutex_lock(&w->mu);
        s->buf = buf;
        s->cap = cap;
        if (r == 0) {
            w->stats.objects++;
            w->stats.bytes += w->items[k].stored_bytes;
            if (cached)
                w->stats.from_cache++;
            else
                w->stats.fetched_bytes += w->items[k].stored_bytes;
        }
        if (r == 0 && w->sink != NULL && !w->stop) {
            s->state = WFETCH_SINKING;
            pthread_mutex_unlock(&w->mu);
            r = w->sink(w->sink_arg, k, buf, len, &f);
            pthread_mutex_lock(&w->mu);
            if (r == 0) {
                s->state = WFETCH_EMPTY;
                s->len = 0;
                w->sunk++;
                pthread_cond_broadcast(&w->cv);
                continue;
            }
        }
        if (r == 0) {
            s->state = WFETCH_READY;
            s->len = len;
        } else {
            s->state = WFETCH_FAILED;
            s->fault = f;
            w->stop = 1; /* nothing after it will be read */
        }
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Free what thread t holds. */
static void wfetch_thread_clear(struct wfetch_thread *t)
{
    http_client_free(&t->gw);
    if (t->other_set)
        http_client_free(&t->other);
    t->other_set = 0;
    chunkobj_opener_free(t->opener);
    t->opener = NULL;
    free(t->cached);
    t->cached = NULL;
    t->cached_cap = 0;
}

static void wfetch_items_free(struct wfetch_item *items, size_t n)
{
    size_t i;

    for (i = 0; items != NULL && i < n; i++) {
        free(items[i].url);
        secret_wipe(items[i].ck, sizeof items[i].ck);
    }
    free(items);
}

/* Open (or make) the pack and place the items in it. Returns 0 (with
 * w->pack_fd -1 when it cannot be opened: per-object files then), or -1
 * with f set when the name is not a file name or memory runs out. */
static int wfetch_pack_open(struct wfetch *w, const char *name,
                            struct fault *f)
{
    char path[4200];
    uint64_t off = 0;
    size_t k;

    if (wfetch_pack_path(path, sizeof path, w->cache_dir, name) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "wfetch: a bad pack name");
    w->pack_off = calloc(w->n > 0 ? w->n : 1, sizeof *w->pack_off);
    if (w->pack_off == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    for (k = 0; k < w->n; k++) {
        w->pack_off[k] = off;
        off += w->items[k].stored_bytes;
    }
    w->pack_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    return 0;
}

int wfetch_start(struct wfetch **out, struct wfetch_item *items, size_t n,
                 const struct wfetch_config *cfg, struct fault *f)
{
    struct wfetch *w;
    unsigned i;

    *out = NULL;
    if (cfg->parallel < 1 || cfg->parallel > WFETCH_PARALLEL_MAX ||
        cfg->window < cfg->parallel) {
        wfetch_items_free(items, n);
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "wfetch: parallel %u and window %u", cfg->parallel,
                         cfg->window);
    }
    w = calloc(1, sizeof *w);
    if (w == NULL) {
        wfetch_items_free(items, n);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->pack_fd = -1;
    w->items = items;
    w->n = n;
    w->cfg = *cfg;
    w->cfg.cache_dir = NULL;
    w->cfg.pack_name = NULL; /* the caller's strings are not kept */
    if (cfg->cache_dir != NULL) {
        if (mkdir(cfg->cache_dir, 0700) < 0 && errno != EEXIST) {
            fault_set(f, FAULT_IO, "cache", "cannot make the cache folder "
                                            "%.160s: %s",
                      cfg->cache_dir, strerror(errno));
            goto fail;
        }
        w->cache_dir = strdup(cfg->cache_dir);
        if (w->cache_dir == NULL)
            goto oom;
        if (cfg->pack_name != NULL &&
            wfetch_pack_open(w, cfg->pack_name, f) < 0)
            goto fail;
    }
    w->slots = calloc(cfg->window, sizeof *w->slots);
    w->threads = calloc(cfg->parallel, sizeof *w->threads);
    if (w->slots == NULL || w->threads == NULL)
        goto oom;
    /* No more threads than objects. */
    for (i = 0; i < cfg->parallel && i < (n > 0 ? n : 1); i++) {
        struct wfetch_thread *t = &w->threads[i];
        t->w = w;
        t->id = i;
        http_client_init(&t->gw, &cfg->gateway);
        if (cfg->timeout_ms > 0)
            t->gw.conn.timeout_ms = cfg->timeout_ms;
        if (chunkobj_opener_new(&t->opener, f) < 0) {
            if (w->nthreads > 0)
                fault_clear(f); /* fewer threads, still working */
            break;
        }
        if (pthread_create(&t->tid, NULL, wfetch_main, t) != 0) {
            wfetch_thread_clear(t);
            break;
        }
        w->nthreads++;
    }
    if (w->nthreads == 0) {
        if (f->kind == FAULT_NONE)
            fault_set(f, FAULT_INTERNAL, NULL,
                      "cannot start a download thread");
        goto fail;
    }
    *out = w;
    return 0;
oom:
    fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
fail:
    wfetch_stop(w);
    return -1;
}

/* The caller is done with the buffer the last take lent, if any: its
 * slot may be refilled. Called with w->mu held. */
static void wfetch_give_back(struct wfetch *w)
{
    struct wfetch_slot *s;

    if (!w->lent)
        return;
    s = &w->slots[w->next_take % w->cfg.window];
    s->state = WFETCH_EMPTY;
    s->len = 0;
    w->next_take++;
    w->lent = 0;
    pthread_cond_broadcast(&w->cv);
}

int wfetch_take(struct wfetch *w, const uint8_t **plain, size_t *len,
                struct fault *f)
{
    struct wfetch_slot *s;
    int rv;

    *plain = NULL;
    *len = 0;
    pthread_mutex_lock(&w->mu);
    wfetch_give_back(w);
    if (w->next_take >= w->n) {
        pthread_mutex_unlock(&w->mu);
        return 0;
    }
    s = &w->slots[w->next_take % w->cfg.window];
    while (s->state == WFETCH_EMPTY || s->state == WFETCH_CLAIMED)
        pthread_cond_wait(&w->cv, &w->mu);
    if (s->state == WFETCH_READY) {
        *plain = s->buf;
        *len = s->len;
        w->lent = 1;
        rv = 1;
    } else {
        *f = s->fault;
        w->stop = 1;
        rv = -1;
    }
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return rv;
}

/* The fault of a slot that failed, or NULL. */
static const struct fault *wfetch_failed(const struct wfetch *w)
{
    unsigned i;

    for (i = 0; i < w->cfg.window; i++)
        if (w->slots[i].state == WFETCH_FAILED)
            return &w->slots[i].fault;
    return NULL;
}

/* Is a download thread handing an item to the sink? */
static int wfetch_sinking(const struct wfetch *w)
{
    unsigned i;

    for (i = 0; i < w->cfg.window; i++)
        if (w->slots[i].state == WFETCH_SINKING)
            return 1;
    return 0;
}

int wfetch_sink(struct wfetch *w, wfetch_sink_fn sink, void *arg,
                struct fault *f)
{
    const struct fault *bad;
    struct wfetch_slot *s;
    unsigned i;
    size_t k;
    int rv = -1, r;

    pthread_mutex_lock(&w->mu);
    wfetch_give_back(w);
    w->sink = sink;
    w->sink_arg = arg;
    pthread_cond_broadcast(&w->cv);
    /* What was opened before is held in its slot: hand it over from here
     * (only items opened before now are ever READY). */
    for (i = 0; i < w->cfg.window; i++) {
        s = &w->slots[i];
        if (s->state != WFETCH_READY)
            continue;
        /* Slot i holds the one item of [next_take, next_claim) that maps
         * to it. */
        k = wfetch_slot_item(w, i);
        s->state = WFETCH_SINKING;
        pthread_mutex_unlock(&w->mu);
        r = sink(arg, k, s->buf, s->len, f);
        pthread_mutex_lock(&w->mu);
        if (r < 0) {
            s->state = WFETCH_FAILED;
            s->fault = *f;
            w->stop = 1;
            pthread_cond_broadcast(&w->cv);
            goto done;
        }
        s->state = WFETCH_EMPTY;
        s->len = 0;
        w->sunk++;
        pthread_cond_broadcast(&w->cv);
    }
    while ((bad = wfetch_failed(w)) == NULL && w->next_take + w->sunk < w->n)
        pthread_cond_wait(&w->cv, &w->mu);
    if (bad != NULL) {
        *f = *bad;
        w->stop = 1;
        pthread_cond_broadcast(&w->cv);
        goto done;
    }
    w->next_take = w->n;
    rv = 0;
done:
    /* No call of sink outlives this one: the caller may free its arg. */
    while (wfetch_sinking(w))
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    return rv;
}

void wfetch_stats(struct wfetch *w, struct wfetch_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
}

void wfetch_stop(struct wfetch *w)
{
    unsigned i;

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i].tid, NULL);
    for (i = 0; i < w->nthreads; i++)
        wfetch_thread_clear(&w->threads[i]);
    for (i = 0; w->slots != NULL && i < w->cfg.window; i++)
        secret_free(w->slots[i].buf, w->slots[i].cap);
    free(w->slots);
    free(w->threads);
    wfetch_items_free(w->items, w->n);
    free(w->cache_dir);
    if (w->pack_fd >= 0)
        close(w->pack_fd);
    free(w->pack_off);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
