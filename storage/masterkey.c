#include "storage/masterkey.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/random.h"
#include "lib/secret.h"
#include "storage/fsutil.h"

static int masterkey_create(const char *path, struct fault *f)
{
    uint8_t mk[MASTERKEY_LEN];
    int fd = -1;
    int rv = -1;

    if (random_bytes(mk, sizeof mk, f) < 0)
        goto done;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd < 0) {
        if (errno == EEXIST) { /* another process won the race: use its */
            rv = 0;
            goto done;
        }
        log_error("create %s: %s", path, strerror(errno));
        fault_set(f, FAULT_IO, "master_key", "cannot create the master key "
                                             "file: %s", strerror(errno));
        goto done;
    }
    if (fsutil_write_all(fd, mk, sizeof mk, f) < 0 || fsutil_fsync(fd, f) < 0)
        goto done;
    if (fsutil_fsync_parent(path, f) < 0)
        goto done;
    log_info("created a new master key in %s", path);
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    if (rv < 0 && fd >= 0)
        unlink(path);
    secret_wipe(mk, sizeof mk);
    return rv;
}

int masterkey_load_or_create(uint8_t mk[MASTERKEY_LEN], const char *path,
                             struct fault *f)
{
    struct stat st;
    uint8_t extra;
    int fd = -1;
    int rv = -1;
    ssize_t n;

    memset(mk, 0, MASTERKEY_LEN);
    if (lstat(path, &st) < 0) {
        if (errno != ENOENT) {
            fault_set(f, FAULT_IO, "master_key", "cannot stat the master "
                                                 "key file: %s", strerror(errno));
            goto done;
        }
        if (masterkey_create(path, f) < 0)
            goto done;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        fault_set(f, FAULT_IO, "master_key",
                  "cannot open the master key file: %s", strerror(errno));
        goto done;
    }
    if (fstat(fd, &st) < 0) {
        fault_set(f, FAULT_IO, "master_key", "cannot stat the master key "
                                             "file: %s", strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        fault_set(f, FAULT_INVALID, "master_key",
                  "the master key file %s is not a regular file", path);
        goto done;
    }
    if (st.st_uid != geteuid()) {
        fault_set(f, FAULT_INVALID, "master_key",
                  "the master key file %s belongs to another user", path);
        goto done;
    }
    if ((st.st_mode & 077) != 0) {
        fault_set(f, FAULT_INVALID, "master_key",
                  "the master key file %s has mode %03o: others can read "
                  "it; run chmod 600 on it", path,
                  (unsigned)(st.st_mode & 0777));
        goto done;
    }
    if (st.st_size != MASTERKEY_LEN ||
        fsutil_read_all(fd, mk, MASTERKEY_LEN, f) < 0 ||
        (n = read(fd, &extra, 1)) != 0) {
        fault_set(f, FAULT_INVALID, "master_key",
                  "the master key file %s must hold exactly %d bytes", path,
                  MASTERKEY_LEN);
        goto done;
    }
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    if (rv < 0)
        secret_wipe(mk, MASTERKEY_LEN);
    return rv;
}
