/*
 * repair.h - re-replication: every chunk a file refers to gets back to the
 * replication factor of live copies after a chunk server dies, or after a
 * write stored fewer copies than wanted (a full or unreachable server).
 *
 * A server being drained (dfs drain) counts like a dead one, except that
 * it stays a source to copy from.
 *
 * repair_run (a periodic job) asks the store for weak chunks
 * (meta_weak_chunks).  For each one not already being copied it ranks the
 * live servers that lack it by placement (weighted by free space), skips
 * those without room for a chunk, and queues one copy command per missing
 * copy: "fetch chunk X from holder H".  A chunk server takes its commands
 * from the reply to its heartbeat (repair_commands), fetches, checks the
 * bytes against the id, stores them durably and lists the id in its next
 * heartbeat; repair_added records the replica and ends the command.  A
 * copy the server could not make comes back the same way (repair_failed)
 * and is planned on another server at once; one not confirmed within
 * REPAIR_TIMEOUT_MS is dropped and planned again.
 *
 * Cost: the scan reads every chunk row (a page at a time, the store free
 * for other calls in between: meta.h), so it runs only while something
 * may be weak: at start, when the store hints at it (a commit with fewer
 * copies than the factor, a chunk report; at most every REPAIR_HINT_MS),
 * when the set of live servers changes, while an earlier scan found work,
 * and every REPAIR_RESCAN_MS as a safety net.  At most REPAIR_INFLIGHT_MAX
 * copies are outstanding and a server gets at most REPAIR_PER_BEAT per
 * heartbeat, most endangered chunks first: repair is rate-limited and cannot
 * swamp the servers.
 *
 * Once no chunk is weak, chunks with more counted copies than the factor
 * (a dead server came back, a drain was stopped) are trimmed: the copies
 * past the factor in placement order get a "delete" command, and the
 * replica stops counting before the command leaves (if the chunk still
 * has a copy too many then), so no reader is sent to it.
 *
 * When there is nothing else to do, every REPAIR_BALANCE_MS, a batch of
 * chunks moves from the most to the least loaded server (balance.h): a
 * copy, then, once it is confirmed, the deletion of the source's copy.
 * Only when the servers' own counts are uneven (balance_wanted) are the
 * copies counted; once a count finds the shares even, the next waits
 * until chunks or copies change (meta_placement_version) or the live
 * servers do.
 * Chunks nothing refers to are gc.h's.
 *
 * Thread-safe (one mutex, never held across a store call).
 */
#ifndef DFS_MASTER_REPAIR_H
#define DFS_MASTER_REPAIR_H

#include <stddef.h>

#include <json-c/json.h>

#include "meta.h"

#define REPAIR_INFLIGHT_MAX 256
#define REPAIR_PER_BEAT 32
#define REPAIR_TIMEOUT_MS 60000
#define REPAIR_RESCAN_MS 60000
#define REPAIR_HINT_MS 2000    /* scans the store's hints cause: one per */
#define REPAIR_RETRY_MS 30000  /* a node that failed a copy: not again for */
#define REPAIR_BALANCE_MS 5000 /* when idle, look at the balance this often */

struct repair;

/* NULL on allocation failure.  m must outlive the repair. */
struct repair *repair_new(struct meta *m);
void repair_free(struct repair *r);

/* Plan: expire old commands, scan when due, queue copies.  0 or -errno. */
int repair_run(struct repair *r);

/* The commands for node_id (a JSON array, possibly empty; caller owns),
 * marked as sent. */
json_object *repair_commands(struct repair *r, const char *node_id);

/* node_id now holds these chunks: record them and end their commands. */
int repair_added(struct repair *r, const char *node_id,
                 const char (*ids)[CHUNK_ID_STRLEN], size_t n);

/* node_id could not copy these chunks: end their commands, and plan them
 * on other nodes (this one again only after REPAIR_RETRY_MS). */
int repair_failed(struct repair *r, const char *node_id,
                  const char (*ids)[CHUNK_ID_STRLEN], size_t n);

/* Commands queued or sent and not yet confirmed (for tests, status). */
size_t repair_outstanding(struct repair *r);

#endif
