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
    char part[4200];
    uint8_t id[CATALOG_ID_LEN];
    int fd = STDOUT_FILENO, c, rv = -1;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'o': out = optarg; break;
        default:
            cmd_bad_option(c, argv, f);
            goto done;
        }
    }
    if (cmd_required(dir, "--data-dir", f) < 0 ||
        cmd_positional(argc, argv, 1, "ID", f) < 0)
        goto done;
    id_text = argv[optind];
    if (hex_decode_0x(id, sizeof id, id_text, strlen(id_text), "ID", f) < 0)
        goto done;
    if (store_open_existing(&st, NULL, dir, f) < 0)
        goto done;
    part[0] = '\0';
    if (out != NULL) {
        /* Write beside the target and rename at the end, so that a failed
         * export never leaves a file that looks complete. The plaintext is
         * the owner's data: keep it private. */
        if (snprintf(part, sizeof part, "%s.part", out) >= (int)sizeof part) {
            part[0] = '\0';
            fault_set(f, FAULT_INVALID, "-o", "the output path is too long");
            goto done;
        }
        fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            part[0] = '\0';
            fault_set(f, FAULT_IO, "-o", "cannot create %s: %m", out);
            goto done;
        }
    }
    if (reader_export(st, id, export_write_fd, &fd, f) < 0)
        goto done;
    if (out != NULL) {
        if (fsutil_fsync(fd, f) < 0)
            goto done;
        if (rename(part, out) < 0) {
            fault_set(f, FAULT_IO, "-o", "cannot create %s: %m", out);
            goto done;
        }
        part[0] = '\0';
    }
    rv = 0;
done:
    if (fd > STDERR_FILENO)
        close(fd);
    if (part[0] != '\0')
        unlink(part);
    store_close(st);
    return rv;
}
