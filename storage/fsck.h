/*
 * fsck: check a whole data dir the way `git fsck` checks a repository.
 *
 * Every chunk of every published data-set is read back in full: its object
 * must exist, hash to its name, carry the right header and index, decrypt
 * under its chunk key and inflate to its recorded length; each data-set's
 * content root must match its objects. Objects that no chunk names are
 * reported too, as orphans (harmless, but a sign of an old crash).
 *
 * Parts: a published data-set's content (prefix and chunks, as export
 * writes it), split at the sizes of the parts its publish recorded, must
 * hash to their recorded SHA-256s, so that what buyers get is what the
 * owner uploaded and was told; part files still on disk must hold their
 * recorded bytes (for a draft, every part's file must be there). Files
 * under uploads/ that no part names are orphans too.
 */
#ifndef SLUICE_STORAGE_FSCK_H
#define SLUICE_STORAGE_FSCK_H

#include <stdint.h>

#include "lib/fault.h"
#include "storage/store.h"

struct fsck_report {
    uint64_t datasets;  /* published data-sets checked */
    uint64_t chunks;    /* chunks checked */
    uint64_t damaged;   /* objects present but unreadable or wrong */
    uint64_t missing;   /* objects named by a chunk but absent */
    uint64_t roots;     /* data-sets whose content root does not match */
    uint64_t orphans;   /* objects no chunk names */
    uint64_t parts;     /* published content or part files not as the
                           parts recorded (or a draft's part file missing) */
    uint64_t part_orphans; /* files under uploads/ that no part names */
};

/* Told one line per problem, e.g. "damaged <object_id> dataset 0x...
 * chunk 3: <why>", "missing <object_id> ...", "orphan <object_id>",
 * "damaged parts dataset 0x... part 2: <why>", "damaged part-file <name>
 * dataset 0x... part 2: <why>", "missing part-file <name> ...", "orphan
 * part-file <name>" (names relative to uploads/). */
typedef void (*fsck_line_fn)(void *arg, const char *line);

/* Check st. Returns 0 with *rep filled when the check ran (whatever it
 * found: damage is in *rep, not an error); -1 with f set when it could not
 * run (the database cannot be read). */
int fsck_run(struct store *st, struct fsck_report *rep, fsck_line_fn line,
             void *arg, struct fault *f) __attribute__((warn_unused_result));

/* Return 1 if rep shows any damage (orphans do not count), else 0. */
int fsck_damaged(const struct fsck_report *rep);

#endif
