#include "storage/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"

static int fsutil_io_fault(struct fault *f, const char *what, int err)
{
    if (err == ENOSPC || err == EDQUOT)
        return fault_set(f, FAULT_IO, NULL, "the disk is full");
    log_error("%s: %s", what, strerror(err));
    return fault_set(f, FAULT_IO, NULL, "%s failed: %s", what, strerror(err));
}

int fsutil_write_all(int fd, const void *buf, size_t len, struct fault *f)
{
    const uint8_t *p = buf;
    ssize_t n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fsutil_io_fault(f, "write", errno);
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fsutil_read_all(int fd, void *buf, size_t len, struct fault *f)
{
    uint8_t *p = buf;
    ssize_t n;

    while (len > 0) {
        n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fsutil_io_fault(f, "read", errno);
        }
        if (n == 0)
            return fault_set(f, FAULT_CORRUPT, NULL, "the file is shorter "
                                                     "than expected");
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fsutil_fsync(int fd, struct fault *f)
{
    if (fsync(fd) < 0)
        return fsutil_io_fault(f, "fsync", errno);
    return 0;
}

int fsutil_fsync_parent(const char *path, struct fault *f)
{
    char dir[4096];
    char *slash;
    int fd;
    int rv;

    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return fault_set(f, FAULT_INVALID, NULL, "path too long");
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fsutil_io_fault(f, "open folder", errno);
    rv = fsutil_fsync(fd, f);
    close(fd);
    return rv;
}

int fsutil_mkdir(const char *path, unsigned mode, struct fault *f)
{
    struct stat st;

    if (mkdir(path, (mode_t)mode) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (errno == EEXIST)
        return fault_set(f, FAULT_IO, NULL, "%s exists and is not a folder",
                         path);
    return fsutil_io_fault(f, "mkdir", errno);
}

int fsutil_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return -1;
    }
    return 0;
}
