/*
 * leases.h - directory leases: for a short term, one client alone may
 * change the names in a directory.
 *
 * Why: rsync, tar and git make a temporary name with open(O_EXCL), write
 * it, and rename it over the real one.  The master is the only judge of
 * which names exist, so without a lease each of those is a round trip
 * the program waits for.  A mount holding a directory's lease knows
 * every name in it for as long as the lease runs (nobody else can change
 * them), so it answers the O_EXCL create and the rename at once and sends
 * them behind (fuse/setattr_behind.h), in the round trip of the file's
 * commit.
 *
 * The promise: while a client holds dir's lease, no other client's create,
 * link, unlink, rmdir or rename of a name in dir takes effect, nor the
 * removal of dir itself (routes_fs.c asks for both).  Such a
 * change waits: leases_may_change says -EAGAIN (the route replies 503 and
 * the client retries), and the holder is told to give the lease up (its
 * renewal is refused).  A lease lasts `term` from when it was taken or
 * last renewed, so a holder that died or went quiet blocks others at
 * most that long.
 *
 * After a restart the master has forgotten its leases, but a mount may
 * still use one and its changes may still be on their way.  So for
 * `term` after leases_new only a client that says it held a lease
 * (leases_take with held) may take one, and names change only in
 * directories whose lease the changer holds; everyone else waits, at
 * most `term`.
 *
 * Clients are named by an id they choose at random and send with every
 * call (DFS_HEADER_CLIENT); a call without one holds no lease and takes
 * none.  The caller keeps the store held (meta_hold) from
 * leases_may_change until its change is made, and from leases_take
 * until it has answered, so no change slips between a check and the act.
 * Thread-safe.
 */
#ifndef DFS_MASTER_LEASES_H
#define DFS_MASTER_LEASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many leases are held at once; more are refused. */
#define LEASES_MAX 65536
/* Longest client id accepted. */
#define LEASES_CLIENT_MAX 64

struct leases;

/* now_ms: the master's start, on the clock later calls use (monotonic). */
struct leases *leases_new(int64_t term_ms, int64_t now_ms);
void leases_free(struct leases *l);

/* Whether client is a usable id: 16 to LEASES_CLIENT_MAX characters of
 * [0-9a-f]. */
bool leases_client_valid(const char *client);

/* client takes or renews dir's lease: 0 and *ms, how long it runs from
 * now.  -EBUSY: another client holds it, or this client was asked to give
 * it up (a renewal is then refused, and the lease runs out), or the
 * master restarted less than `term` ago and client did not hold it.
 * -ENOSPC: LEASES_MAX are held.  -EINVAL: no valid client id. */
int leases_take(struct leases *l, uint64_t dir, const char *client,
                bool held, int64_t now_ms, int64_t *ms);

/* client gives dir's lease up (nothing if it does not hold it). */
void leases_give_up(struct leases *l, uint64_t dir, const char *client);

/* May client (NULL: none) change names in dir now?  0, or -EAGAIN. */
int leases_may_change(struct leases *l, uint64_t dir, const char *client,
                      int64_t now_ms);

/* Whether any lease may be held (cheap: counts those not yet swept). */
bool leases_any(struct leases *l);

/* For tests and status: leases held now. */
size_t leases_count(struct leases *l, int64_t now_ms);

#endif
