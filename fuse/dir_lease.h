/*
 * dir_lease.h - the directory leases this mount holds (master/leases.h):
 * while it holds one, no other client changes that directory's names.
 *
 * Why: rsync, tar and git write each file under a temporary name made
 * with open(O_EXCL) and rename it into place.  Only the master knows
 * whether a name is free for O_EXCL, so each create and each rename was a
 * round trip the program waited for.  Under a lease the mount's set of
 * the directory's names is exact (dir_cache_exact), so the create and the
 * rename are answered at once and sent behind (setattr_behind.h), riding
 * with the file's commit: one round trip per file instead of three.
 *
 * The life of a lease:
 *  - Taken at an O_EXCL create in a directory (ops_file.c), then the
 *    directory is listed: a set listed after the take is exact.
 *  - Used: dir_lease_use_begin .. _end brackets answering a change from
 *    the exact set and queueing it.
 *  - Renewed: the queue's next batch carries a renewal of every lease used
 *    since the last one (at most every DIR_LEASE_RENEW_MS), so a lease in
 *    use does not run out, and a lease another client waits for is known
 *    to be wanted within a batch or two.
 *  - Given up: when a renewal is refused (another client waits), when it
 *    has not been used for DIR_LEASE_IDLE_MS, when the mount goes idle,
 *    or when it unmounts.  The give-up rides behind
 *    every change answered under the lease (dir_lease_lost waits for
 *    those being answered to be queued), so none lands after it.
 *
 * Timing: the master counts a lease's term from when it answers; this
 * mount from when it asked, less DIR_LEASE_MARGIN_MS, so it stops using a
 * lease well before the master lets anyone else in, and a change queued
 * just before then still reaches the master in time (the queue is sent
 * within two delays, milliseconds).  A lost renewal only ends the lease
 * sooner.  A change that arrives late anyway (a master unreachable for
 * longer than the margin) is refused if another client took the name
 * meanwhile: the create's writer gets EIO at close, as for any create
 * sent behind, and a rename is logged.
 *
 * Thread-safe.  NULL is accepted everywhere (no leases).
 */
#ifndef DFS_FUSE_DIR_LEASE_H
#define DFS_FUSE_DIR_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dir_cache.h"

#define DIR_LEASE_MAX 1024          /* leases held at once */
#define DIR_LEASE_MARGIN_MS 500     /* stop using a lease this early */
#define DIR_LEASE_RENEW_MS 100      /* renew a lease in use this often */
#define DIR_LEASE_RETRY_MS 5000     /* after a refusal, ask again after */
#define DIR_LEASE_IDLE_MS 300       /* give up a lease unused this long */
/* Leases only with a queue sent this often (-o setattr_delay_ms) */
#define DIR_LEASE_DELAY_MAX_MS (DIR_LEASE_MARGIN_MS / 5)

struct dir_lease;

/* dirs: the cache whose sets become exact. */
struct dir_lease *dir_lease_new(struct dir_cache *dirs);
void dir_lease_free(struct dir_lease *l);

/* Whether to ask for dir's lease now: not held, not refused lately, no
 * give-up of it on its way, room in the table.  *gen: pass it back to
 * dir_lease_taken. */
bool dir_lease_worth_asking(struct dir_lease *l, uint64_t dir, uint32_t *gen);
/* The master answered a take of dir sent at sent_ms (monotonic): rc 0
 * and ms it runs, or rc < 0 (refused: not asked again for a while).  A
 * grant is not used if dir was given up since it was asked for. */
void dir_lease_taken(struct dir_lease *l, uint64_t dir, uint32_t gen,
                     int64_t sent_ms, int rc, int64_t ms);
/* The lease of dir is held and usable: when it stops being, ms
 * monotonic (0: not held). */
int64_t dir_lease_until(struct dir_lease *l, uint64_t dir);

/* Answering a change in dir from its exact set: true and the lease stays
 * usable until dir_lease_use_end (which must follow), or false (not
 * held; nothing to end). */
bool dir_lease_use_begin(struct dir_lease *l, uint64_t dir);
void dir_lease_use_end(struct dir_lease *l);

/* What the queue's next batch must carry: renewals, then (after the
 * queued changes) give-ups.  Fills up to max of each; *nrenew and
 * *ngive_up are set.  Renewals are marked sent at now_ms. */
void dir_lease_pending(struct dir_lease *l, int64_t now_ms, uint64_t *renew,
                       size_t *nrenew, uint64_t *give_up, size_t *ngive_up,
                       size_t max);
/* A renewal sent at sent_ms was answered: rc 0 and ms, or rc < 0 (the
 * lease is wanted elsewhere, or the answer was lost): given up. */
void dir_lease_renewed(struct dir_lease *l, uint64_t dir, int64_t sent_ms,
                       int rc, int64_t ms);
/* The give-up of dir reached the master (or failed for good): dir may be
 * asked for again. */
void dir_lease_released(struct dir_lease *l, uint64_t dir);
/* Give every lease up at the next batch (idle, unmounting); whether any
 * was held. */
bool dir_lease_give_up_all(struct dir_lease *l);
/* Give up, likewise, the leases not used for DIR_LEASE_IDLE_MS (rsync
 * has moved on to the next directory): another client wanting one then
 * waits for a batch, not for the lease to run out. */
bool dir_lease_give_up_unused(struct dir_lease *l);

#endif
