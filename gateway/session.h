/*
 * session: the browser sessions of Sign-In with Ethereum (DESIGN.md 3.11):
 * the nonces handed out for sign-in messages, and the sessions that a
 * signed message opens. The HTTP side is in h_session.c; who a session
 * speaks for is decided in principal.c.
 *
 * Both live in the gateway's memory, never on disk. A session lets a
 * browser read its own account and end itself, nothing more; a restart
 * that signs everyone out costs each of them one more wallet signature,
 * which is acceptable. Keeping sessions in a database would cost a durable
 * write for every sign-in and, for nonces, for every anonymous GET, and the
 * ledger's database is for money. The price: behind N gateways a browser
 * must stay on the gateway it signed in with (a sticky load balancer) until
 * sessions move to the shared database.
 *
 * A session's token is 32 random bytes, handed to the browser once as the
 * cookie value "0x" + 64 lowercase hex digits. Only its SHA-256 is kept and
 * it is compared in constant time, so that what the gateway holds (a core
 * dump, a debugger) opens no session. Nonces are kept the same way.
 *
 * Bounds: at most max_nonces nonces and max_sessions sessions. Each table
 * keeps its entries in the order they were made, and a new entry takes the
 * slot of the one made max entries before it, if that one still lives: a
 * flood of nonce requests makes an older sign-in fail (and the page retry),
 * and a flood of sign-ins ends the oldest sessions first; memory never
 * grows. Expired entries are dropped when met and by session_expire.
 *
 * Every function runs on the event loop's thread; there are no locks.
 * Times are unix seconds, passed in (tests age entries that way).
 */
#ifndef SLUICE_GATEWAY_SESSION_H
#define SLUICE_GATEWAY_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/fault.h"

#define SESSION_COOKIE "sluice_session"
#define SESSION_NONCE_LEN 32          /* characters of [A-Za-z0-9] */
#define SESSION_NONCE_TTL_S 300
#define SESSION_TOKEN_TEXT_SIZE 67    /* "0x" + 64 digits + NUL */
#define SESSION_MAX_DEFAULT 100000
#define SESSION_NONCES_MAX_DEFAULT 10000

struct session_store;

/* Make an empty store of at most max_sessions sessions and max_nonces
 * nonces (each at least 1). Returns 0 with *out set; on failure -1 with
 * *out = NULL and f set (FAULT_INVALID for a zero bound, FAULT_INTERNAL
 * when memory runs out). */
int session_store_new(struct session_store **out, size_t max_sessions,
                      size_t max_nonces, struct fault *f)
    __attribute__((warn_unused_result));

/* Free s, wiping what it holds. s may be NULL. */
void session_store_free(struct session_store *s);

/* Make a nonce: SESSION_NONCE_LEN characters of [A-Za-z0-9], outstanding
 * until now + SESSION_NONCE_TTL_S. Returns 0 with out set; on failure -1
 * with out "" and f set (FAULT_INTERNAL: no randomness). */
int session_nonce_new(struct session_store *s,
                      char out[SESSION_NONCE_LEN + 1], int64_t now,
                      struct fault *f) __attribute__((warn_unused_result));

/* Consume nonce[0..len): it is no longer outstanding afterwards, whatever
 * this returns. Returns 1 if it was outstanding at now, 0 if not (never
 * made here, consumed already, expired, or replaced by newer ones). */
int session_nonce_take(struct session_store *s, const char *nonce, size_t len,
                       int64_t now);

/* Open a session for who, live while now < expires (expires > now).
 * Returns 0 with token set to the cookie value; on failure -1 with token
 * "" and f set (FAULT_INTERNAL: no randomness). The caller sends token to
 * its browser and keeps no copy. */
int session_open(struct session_store *s,
                 char token[SESSION_TOKEN_TEXT_SIZE], const struct ethaddr *who,
                 int64_t expires, int64_t now, struct fault *f)
    __attribute__((warn_unused_result));

/* Find the session of the cookie value token[0..len). Returns 1 with *who
 * and *expires set when it is live at now; 0 with them zeroed when it is
 * not (malformed, unknown, ended, or expired: then it is dropped). */
int session_find(struct session_store *s, struct ethaddr *who,
                 int64_t *expires, const char *token, size_t len,
                 int64_t now);

/* End the session of the cookie value token[0..len). Returns 1 if it was
 * live at now, 0 otherwise; it is gone either way. */
int session_close(struct session_store *s, const char *token, size_t len,
                  int64_t now);

/* Drop every nonce and session that is no longer live at now. */
void session_expire(struct session_store *s, int64_t now);

/* Put the number of sessions and nonces held (live or not yet dropped)
 * in *sessions and *nonces. */
void session_counts(const struct session_store *s, size_t *sessions,
                    size_t *nonces);

#endif
