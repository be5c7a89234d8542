#include "tests/support/testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *testutil_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char *path;

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    if (asprintf(&path, "%s/sluice-unit.XXXXXX", base) < 0)
        abort();
    if (mkdtemp(path) == NULL) {
        perror("mkdtemp");
        abort();
    }
    return path;
}

static int testutil_rm_one(const char *path, const struct stat *sb, int flag,
                           struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void testutil_rmtree(char *path)
{
    if (path == NULL)
        return;
    nftw(path, testutil_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

int testutil_write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const uint8_t *p = data;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (len > 0) {
        n = write(fd, p, len);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return close(fd);
}

int testutil_read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    struct stat st;
    size_t n;

    *out = NULL;
    *len = 0;
    if (fp == NULL)
        return -1;
    if (fstat(fileno(fp), &st) < 0) {
        fclose(fp);
        return -1;
    }
    *out = malloc((size_t)st.st_size + 1);
    if (*out == NULL) {
        fclose(fp);
        return -1;
    }
    n = fread(*out, 1, (size_t)st.st_size, fp);
    fclose(fp);
    *len = n;
    return n == (size_t)st.st_size ? 0 : -1;
}

void testutil_fill(uint8_t *buf, size_t len, uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)(x >> 24);
    }
    *state = x;
}

static long testutil_files;

static int testutil_count_one(const char *path, const struct stat *sb,
                              int flag, struct FTW *ftw)
{
    (void)path;
    (void)sb;
    (void)ftw;
    if (flag == FTW_F)
        testutil_files++;
    return 0;
}

long testutil_count_files(const char *path)
{
    testutil_files = 0;
    nftw(path, testutil_count_one, 16, FTW_PHYS);
    return testutil_files;
}
