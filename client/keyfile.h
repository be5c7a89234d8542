/*
 * keyfile: the owner's or worker's secp256k1 key on disk.
 *
 * The file holds one line, "0x" + 64 hex digits of the private key and a
 * newline, and no one but its owner may read it: like the gateway's master
 * key, a key file that its group or others can read or write is refused,
 * as is one that is not a regular file or belongs to another user. The
 * default path is $SLUICE_KEY, else ~/.config/sluice/key.
 */
#ifndef SLUICE_CLIENT_KEYFILE_H
#define SLUICE_CLIENT_KEYFILE_H

#include <stddef.h>

#include "lib/ethkey.h"
#include "lib/fault.h"

#define KEYFILE_PATH_MAX 4096
#define KEYFILE_ENV "SLUICE_KEY"

/* Write the default key path into out[0..cap): $SLUICE_KEY when set and
 * not empty, else $HOME/.config/sluice/key (the password database's home
 * when HOME is unset). Returns 0; on failure -1 with out = "" and f set
 * (FAULT_INVALID when there is no home or the path does not fit). */
int keyfile_default_path(char *out, size_t cap, struct fault *f)
    __attribute__((warn_unused_result));

/* Parse the key file text[0..len) ("0x" + 64 hex digits, then one optional
 * "\n" or "\r\n", nothing else) into *out; path only names the file in
 * messages. Returns 0; on failure -1 with *out wiped and f FAULT_INVALID
 * naming "key" (the secret never appears in the detail). */
int keyfile_parse(struct ethkey *out, const char *text, size_t len,
                  const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Load the key file at path into *out after checking it (regular file,
 * owned by us, mode without group or other bits). Returns 0; on failure -1
 * with *out wiped and f set: FAULT_NOT_FOUND when there is no such file
 * (the detail says how to make one), FAULT_INVALID for a file that fails a
 * check or does not parse, FAULT_IO when it cannot be read. The caller
 * wipes *out with ethkey_wipe. */
int keyfile_load(struct ethkey *out, const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Make a new random key and write it to path with mode 0600, creating the
 * missing folders above it with mode 0700; an existing file is never
 * overwritten. Returns 0 with *out the new key; on failure -1 with *out
 * wiped, no file left behind, and f set: FAULT_CONFLICT when path exists,
 * FAULT_IO when it cannot be written, FAULT_INTERNAL when no key could be
 * made. The caller wipes *out with ethkey_wipe. */
int keyfile_create(struct ethkey *out, const char *path, struct fault *f)
    __attribute__((warn_unused_result));

#endif
