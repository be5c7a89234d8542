/* sluiced export: write a data-set's original bytes back out. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway/cmd.h"
#include "lib/hex.h"
#include "storage/fsutil.h"
#include "storage/reader.h"
#include "storage/store.h"

static int export_write_fd(void *arg, const uint8_t *buf, size_t len,
                           struct fault *f)
{
    return fsutil_write_all(*(int *)arg, buf, len, f);
}

int cmd_export(int argc, char **argv, struct fault *f)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    struct store *st = NULL;
    const char *dir = NULL, *out = NULL, *id_text;
    uint8_t id[CATALOG_ID_LEN];
    int fd = STDOUT_FILENO, c, rv = -1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'o': out = optarg; break;
        default:
            fault_set(f, FAULT_INVALID, NULL, "unknown option; see "
                                              "sluiced --help");
            goto done;
        }
    }
    if (dir == NULL || optind != argc - 1) {
        fault_set(f, FAULT_INVALID, NULL,
                  "usage: sluiced export --data-dir DIR ID [-o FILE]");
        goto done;
    }
    id_text = argv[optind];
    if (hex_decode_0x(id, sizeof id, id_text, strlen(id_text), "ID", f) < 0)
        goto done;
    if (store_open(&st, NULL, dir, f) < 0)
        goto done;
    if (out != NULL) {
        /* The plaintext is the owner's data: keep it private. */
        fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            fault_set(f, FAULT_IO, "-o", "cannot create %s: %m", out);
            goto done;
        }
    }
    if (reader_export(st, id, export_write_fd, &fd, f) < 0)
        goto done;
    if (out != NULL && fsutil_fsync(fd, f) < 0)
        goto done;
    rv = 0;
done:
    if (fd > STDERR_FILENO)
        close(fd);
    store_close(st);
    return rv;
}
