#include "storage/mapfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct mapfile {
    uint8_t *base;   /* the reservation: the file, then zeros */
    size_t span;     /* bytes reserved */
    size_t len;      /* bytes of the file */
    size_t released; /* pages before this offset have been let go */
    size_t page;
};

int mapfile_open(struct mapfile **out, int fd, struct fault *f)
{
    struct mapfile *m = NULL;
    struct stat sb;
    size_t page, fspan;
    void *p;
    long ps = sysconf(_SC_PAGESIZE);
    int rv = -1;

    *out = NULL;
    if (fstat(fd, &sb) < 0)
        return fault_set(f, FAULT_IO, "file", "cannot stat the input: %s",
                         strerror(errno));
    if (!S_ISREG(sb.st_mode) || sb.st_size <= 0)
        return fault_set(f, FAULT_INVALID, "file",
                         "only a non-empty regular file can be mapped");
    page = ps > 0 ? (size_t)ps : 4096;
    if ((uint64_t)sb.st_size > SIZE_MAX / 2)
        return fault_set(f, FAULT_IO, "file", "the input is too large to "
                                              "map");
    m = calloc(1, sizeof *m);
    if (m == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    m->page = page;
    m->len = (size_t)sb.st_size;
    fspan = (m->len + page - 1) / page * page;
    m->span = fspan + page;
    /* Reserve the file's pages and one more of zeros, then put the file
     * over the front: reads past its end find zeros, never a fault. */
    p = mmap(NULL, m->span, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fault_set(f, FAULT_IO, "file", "cannot map the input: %s",
                  strerror(errno));
        goto done;
    }
    m->base = p;
    p = mmap(m->base, fspan, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (p == MAP_FAILED) {
        fault_set(f, FAULT_IO, "file", "cannot map the input: %s",
                  strerror(errno));
        goto done;
    }
    /* Read ahead generously; pages behind are let go as we pass. */
    (void)madvise(m->base, fspan, MADV_SEQUENTIAL);
    *out = m;
    m = NULL;
    rv = 0;
done:
    mapfile_close(m);
    return rv;
}

const uint8_t *mapfile_data(const struct mapfile *m, size_t *len)
{
    *len = m->len;
    return m->base;
}

void mapfile_prefetch(struct mapfile *m, size_t off, size_t n)
{
#ifdef MADV_POPULATE_READ
    size_t start = off / m->page * m->page;

    if (off >= m->len || n == 0)
        return;
    if (n > m->len - off)
        n = m->len - off;
    (void)madvise(m->base + start, off + n - start, MADV_POPULATE_READ);
#else
    (void)m;
    (void)off;
    (void)n;
#endif
}

void mapfile_release(struct mapfile *m, size_t upto)
{
    size_t end;

    if (upto > m->len)
        upto = m->len;
    end = upto / m->page * m->page;
    if (end <= m->released)
        return;
    /* The mapping is private and never written: dropping its pages only
     * drops our references to the page cache. */
    (void)madvise(m->base + m->released, end - m->released, MADV_DONTNEED);
    m->released = end;
}

void mapfile_close(struct mapfile *m)
{
    if (m == NULL)
        return;
    if (m->base != NULL)
        munmap(m->base, m->span);
    free(m);
}
