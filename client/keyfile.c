#include "client/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/secret.h"
#include "storage/fsutil.h"

#define KEYFILE_TEXT_LEN 66 /* "0x" + 64 digits */
#define KEYFILE_READ_MAX 128

int keyfile_default_path(char *out, size_t cap, struct fault *f)
{
    const char *env = getenv(KEYFILE_ENV), *home;
    struct passwd *pw;
    int n;

    if (cap > 0)
        out[0] = '\0';
    if (env != NULL && env[0] != '\0') {
        n = snprintf(out, cap, "%s", env);
    } else {
        home = getenv("HOME");
        if (home == NULL || home[0] == '\0') {
            pw = getpwuid(geteuid());
            home = pw != NULL ? pw->pw_dir : NULL;
        }
        if (home == NULL || home[0] == '\0')
            return fault_set(f, FAULT_INVALID, "--key",
                             "no home folder to keep the key in; give "
                             "--key FILE or set %s", KEYFILE_ENV);
        n = snprintf(out, cap, "%s/.config/sluice/key", home);
    }
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return fault_set(f, FAULT_INVALID, "--key",
                         "the key file path is too long");
    }
    return 0;
}

int keyfile_parse(struct ethkey *out, const char *text, size_t len,
                  const char *path, struct fault *f)
{
    uint8_t secret[ETHKEY_SECRET_LEN];
    struct fault inner;
    size_t body = len;
    int rv = -1;

    memset(out, 0, sizeof *out);
    if (body >= 1 && text[body - 1] == '\n') {
        body--;
        if (body >= 1 && text[body - 1] == '\r')
            body--;
    }
    if (body != KEYFILE_TEXT_LEN || text[0] != '0' ||
        (text[1] != 'x' && text[1] != 'X') ||
        hex_decode(secret, sizeof secret, text + 2, KEYFILE_TEXT_LEN - 2,
                   "key", &inner) < 0) {
        fault_set(f, FAULT_INVALID, "key",
                  "the key file %s must hold one line: 0x and 64 hex digits",
                  path);
        goto done;
    }
    if (ethkey_from_secret(out, secret, &inner) < 0) {
        fault_set(f, inner.kind, "key",
                  "the key file %s does not hold a valid secp256k1 key",
                  path);
        goto done;
    }
    rv = 0;
done:
    secret_wipe(secret, sizeof secret);
    if (rv < 0)
        ethkey_wipe(out);
    return rv;
}

int keyfile_load(struct ethkey *out, const char *path, struct fault *f)
{
    char text[KEYFILE_READ_MAX];
    struct stat st;
    size_t len = 0;
    ssize_t n;
    int fd = -1, rv = -1;

    memset(out, 0, sizeof *out);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            fault_set(f, FAULT_NOT_FOUND, "key",
                      "no key file at %s; make one with `sluice key new` "
                      "or give --key FILE", path);
        else
            fault_set(f, FAULT_IO, "key", "cannot open the key file %s: %s",
                      path, strerror(errno));
        goto done;
    }
    if (fstat(fd, &st) < 0) {
        fault_set(f, FAULT_IO, "key", "cannot stat the key file %s: %s",
                  path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        fault_set(f, FAULT_INVALID, "key",
                  "the key file %s is not a regular file", path);
        goto done;
    }
    if (st.st_uid != geteuid()) {
        fault_set(f, FAULT_INVALID, "key",
                  "the key file %s belongs to another user", path);
        goto done;
    }
    if ((st.st_mode & 077) != 0) {
        fault_set(f, FAULT_INVALID, "key",
                  "the key file %s has mode %03o: others can read it; run "
                  "chmod 600 on it", path, (unsigned)(st.st_mode & 0777));
        goto done;
    }
    for (;;) {
        n = read(fd, text + len, sizeof text - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fault_set(f, FAULT_IO, "key", "cannot read the key file %s: %s",
                      path, strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof text) {
            fault_set(f, FAULT_INVALID, "key",
                      "the key file %s must hold one line: 0x and 64 hex "
                      "digits", path);
            goto done;
        }
    }
    rv = keyfile_parse(out, text, len, path, f);
done:
    if (fd >= 0)
        close(fd);
    secret_wipe(text, sizeof text);
    if (rv < 0)
        ethkey_wipe(out);
    return rv;
}

/* Create each missing folder above path with mode 0700. */
static int keyfile_make_parents(const char *path, struct fault *f)
{
    char dir[KEYFILE_PATH_MAX];
    size_t i, n = strlen(path);

    if (n >= sizeof dir)
        return fault_set(f, FAULT_INVALID, "key", "the key path is too long");
    memcpy(dir, path, n + 1);
    for (i = n; i > 0 && dir[i - 1] != '/'; i--)
        ;
    if (i <= 1)
        return 0; /* in the current folder or in / */
    dir[i - 1] = '\0';
    for (i = 1; dir[i] != '\0'; i++) {
        if (dir[i] != '/')
            continue;
        dir[i] = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return fault_set(f, FAULT_IO, "key", "cannot create %s: %s", dir,
                             strerror(errno));
        dir[i] = '/';
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return fault_set(f, FAULT_IO, "key", "cannot create %s: %s", dir,
                         strerror(errno));
    return 0;
}

int keyfile_create(struct ethkey *out, const char *path, struct fault *f)
{
    char text[KEYFILE_TEXT_LEN + 2];
    int fd = -1, created = 0, rv = -1;

    memset(out, 0, sizeof *out);
    memset(text, 0, sizeof text);
    if (ethkey_generate(out, f) < 0)
        goto done;
    if (keyfile_make_parents(path, f) < 0)
        goto done;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd < 0) {
        if (errno == EEXIST)
            fault_set(f, FAULT_CONFLICT, "key",
                      "%s already exists; sluice never overwrites a key "
                      "file (move it away first, or give --key NEWFILE)",
                      path);
        else
            fault_set(f, FAULT_IO, "key", "cannot create the key file %s: %s",
                      path, strerror(errno));
        goto done;
    }
    created = 1;
    /* The umask may have taken bits away, never added them; make sure. */
    if (fchmod(fd, 0600) < 0) {
        fault_set(f, FAULT_IO, "key", "cannot chmod the key file %s: %s",
                  path, strerror(errno));
        goto done;
    }
    if (hex_encode_0x(text, sizeof text, out->secret, ETHKEY_SECRET_LEN) < 0) {
        fault_set(f, FAULT_INTERNAL, "key", "hex");
        goto done;
    }
    text[KEYFILE_TEXT_LEN] = '\n';
    if (fsutil_write_all(fd, text, KEYFILE_TEXT_LEN + 1, f) < 0 ||
        fsutil_fsync(fd, f) < 0)
        goto done;
    if (close(fd) < 0) {
        fd = -1;
        fault_set(f, FAULT_IO, "key", "cannot write the key file %s: %s",
                  path, strerror(errno));
        goto done;
    }
    fd = -1;
    if (fsutil_fsync_parent(path, f) < 0)
        goto done;
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    if (rv < 0 && created)
        unlink(path);
    secret_wipe(text, sizeof text);
    if (rv < 0)
        ethkey_wipe(out);
    return rv;
}
