/* sluiced fsck: check every object of a data dir, and published content
 * against the parts it was made of. */
#include <getopt.h>
#include <stdio.h>

#include "gateway/cmd.h"
#include "storage/fsck.h"
#include "storage/store.h"

static void fsck_print(void *arg, const char *line)
{
    (void)arg;
    printf("%s\n", line);
}

int cmd_fsck(int argc, char **argv, struct fault *f)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    struct store_recovery rec;
    struct fsck_report rep;
    struct store *st = NULL;
    const char *dir = NULL;
    int c, rv = -1;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c != 'd') {
            cmd_bad_option(c, argv, f);
            goto done;
        }
        dir = optarg;
    }
    if (cmd_required(dir, "--data-dir", f) < 0 ||
        cmd_positional(argc, argv, 0, "", f) < 0)
        goto done;
    if (store_open_existing(&st, &rec, dir, f) < 0 ||
        fsck_run(st, &rep, fsck_print, NULL, f) < 0)
        goto done;
    fprintf(stderr,
            "fsck: %llu data-sets, %llu chunks: %llu damaged, %llu missing, "
            "%llu bad content roots, %llu parts not as recorded, %llu orphan "
            "part files, %llu orphans\n",
            (unsigned long long)rep.datasets, (unsigned long long)rep.chunks,
            (unsigned long long)rep.damaged, (unsigned long long)rep.missing,
            (unsigned long long)rep.roots, (unsigned long long)rep.parts,
            (unsigned long long)rep.part_orphans,
            (unsigned long long)rep.orphans);
    if (rec.interrupted)
        fprintf(stderr, "fsck: %lu interrupted ingest(s) were marked failed\n",
                rec.interrupted);
    fflush(stdout);
    rv = fsck_damaged(&rep) ? 1 : 0;
done:
    store_close(st);
    return rv;
}
