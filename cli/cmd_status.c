/*
 * cmd_status.c - dfs status and dfs nodes: what the cluster looks like;
 * dfs drain and dfs undrain: emptying a chunk server before removing it.
 *
 * `status` is for people: a table of every chunk server the master knows,
 * alive or not, and the totals, in binary units.  `nodes` is for scripts:
 * exactly one line per live chunk server on stdout and nothing else
 * (tools/cluster counts the lines to know when the servers are up).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_util.h"
#include "meta_wire.h"
#include "wire.h"

/* The status document's count of chunks below the replication factor;
 * wire.h has no name for it yet. */

#define STATUS_ID_SHORT 8
#define STATUS_UNITS_MAX 32

/* 1536 -> "1.5 KiB"; bytes below 1 KiB stay exact. */
static const char *status_units(uint64_t v, char buf[STATUS_UNITS_MAX])
{
    static const char *const unit[] = {"KiB", "MiB", "GiB",
                                       "TiB", "PiB", "EiB"};
    double d = (double)v;
    int i = -1;

    if (v < 1024) {
        snprintf(buf, STATUS_UNITS_MAX, "%" PRIu64 " B", v);
        return buf;
    }
    while (d >= 1024 && i < 5) {
        d /= 1024;
        i++;
    }
    snprintf(buf, STATUS_UNITS_MAX, "%.1f %s", d, unit[i]);
    return buf;
}

struct status_doc {
    struct dfs_node *nodes;
    size_t nnodes;
    uint64_t files, chunks, chunk_size, replication, under_replicated;
};

static int status_decode(json_object *doc, struct status_doc *s, char *err,
                         size_t errlen)
{
    json_object *arr;
    int rc;

    if ((rc = json_get_array(doc, K_NODES, &arr, err, errlen)) < 0 ||
        (rc = json_get_u64(doc, K_FILES, &s->files, err, errlen)) < 0 ||
        (rc = json_get_u64(doc, K_CHUNKS, &s->chunks, err, errlen)) < 0 ||
        (rc = json_get_u64(doc, K_CHUNK_SIZE, &s->chunk_size, err, errlen)) <
            0 ||
        (rc = json_get_u64(doc, K_REPLICATION, &s->replication, err, errlen)) <
            0 ||
        (rc = json_get_u64(doc, K_UNDER_REPLICATED, &s->under_replicated, err,
                           errlen)) < 0)
        return rc;
    s->nnodes = json_object_array_length(arr);
    s->nodes = calloc(s->nnodes ? s->nnodes : 1, sizeof(*s->nodes));
    if (!s->nodes) return -ENOMEM;
    for (size_t i = 0; i < s->nnodes; i++) {
        rc = meta_node_from_json(json_object_array_get_idx(arr, i),
                                 &s->nodes[i], err, errlen);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Alive first, then by address: the order a person scans for. */
static int status_node_cmp(const void *a, const void *b)
{
    const struct dfs_node *x = a, *y = b;

    if (x->alive != y->alive) return x->alive ? -1 : 1;
    return strcmp(x->addr, y->addr);
}

static void status_print_nodes(const struct status_doc *s)
{
    char cap[STATUS_UNITS_MAX], fre[STATUS_UNITS_MAX];
    int aw = (int)strlen("ADDRESS"), zw = (int)strlen("ZONE");

    for (size_t i = 0; i < s->nnodes; i++) {
        int a = (int)strlen(s->nodes[i].addr),
            z = (int)strlen(s->nodes[i].zone);
        aw = a > aw ? a : aw;
        zw = z > zw ? z : zw;
    }
    printf("%-*s  %-*s  %-*s  %-8s  %10s  %10s  %8s\n", STATUS_ID_SHORT, "NODE",
           aw, "ADDRESS", zw, "ZONE", "STATE", "CAPACITY", "FREE", "CHUNKS");
    for (size_t i = 0; i < s->nnodes; i++) {
        const struct dfs_node *n = &s->nodes[i];
        const char *state = !n->alive     ? "DOWN"
                            : n->draining ? "draining"
                                          : "up";
        printf("%-*.*s  %-*s  %-*s  %-8s  %10s  %10s  %8" PRIu64 "\n",
               STATUS_ID_SHORT, STATUS_ID_SHORT, n->id, aw, n->addr, zw,
               n->zone[0] ? n->zone : "-", state,
               status_units(n->capacity, cap), status_units(n->free, fre),
               n->chunk_count);
    }
}

static void status_print_totals(const struct status_doc *s)
{
    char raw[STATUS_UNITS_MAX], fre[STATUS_UNITS_MAX], use[STATUS_UNITS_MAX];
    char csz[STATUS_UNITS_MAX];
    uint64_t capacity = 0, free_bytes = 0;
    size_t alive = 0, draining = 0;

    for (size_t i = 0; i < s->nnodes; i++) {
        if (!s->nodes[i].alive) continue;
        alive++;
        draining += s->nodes[i].draining;
        capacity += s->nodes[i].capacity;
        free_bytes += s->nodes[i].free;
    }
    printf("\nservers:   %zu alive, %zu down", alive, s->nnodes - alive);
    /* a drain is done when no chunk still needs a copy made */
    if (draining)
        printf(", %zu draining (%s)", draining,
               s->under_replicated ? "copying" : "done: safe to remove");
    printf("\n");
    printf("files:     %" PRIu64 "\n", s->files);
    printf("chunks:    %" PRIu64 " (%" PRIu64 " under-replicated), "
           "chunk size %s, replication %" PRIu64 "\n",
           s->chunks, s->under_replicated, status_units(s->chunk_size, csz),
           s->replication);
    /* As df(1) on a mount sees it: free space over the copies it costs. */
    printf(
        "capacity:  raw %s, free %s, usable %s\n", status_units(capacity, raw),
        status_units(free_bytes, fre),
        status_units(free_bytes / (s->replication ? s->replication : 1), use));
}

int cmd_status(struct cli *cli, char **args)
{
    struct status_doc s = {0};
    json_object *doc = NULL;
    char err[512] = "";
    int rc;

    (void)args;
    rc = master_status(cli->mc, &doc);
    if (rc < 0) return cli_master_fail(cli, rc);
    rc = status_decode(doc, &s, err, sizeof(err));
    if (rc == 0) {
        qsort(s.nodes, s.nnodes, sizeof(*s.nodes), status_node_cmp);
        status_print_nodes(&s);
        status_print_totals(&s);
    }
    free(s.nodes);
    json_object_put(doc);
    if (rc < 0)
        return cli_fail("%s: bad status reply: %s", cli->master,
                        err[0] ? err : strerror(-rc));
    return CLI_EXIT_OK;
}

/* Bytes exact, no spaces inside a field: this output is parsed. */
int cmd_nodes(struct cli *cli, char **args)
{
    struct dfs_node *nodes = NULL;
    size_t n = 0;
    int rc;

    (void)args;
    rc = master_nodes(cli->mc, &nodes, &n);
    if (rc < 0) return cli_master_fail(cli, rc);
    for (size_t i = 0; i < n; i++)
        printf("%s %s %s %" PRIu64 "/%" PRIu64 "\n", nodes[i].id, nodes[i].addr,
               nodes[i].zone[0] ? nodes[i].zone : "-", nodes[i].free,
               nodes[i].capacity);
    free(nodes);
    return CLI_EXIT_OK;
}

static int drain_set(struct cli *cli, const char *which, bool on)
{
    struct dfs_node n;
    int rc = master_drain(cli->mc, which, on, &n);

    if (rc == -ENOENT)
        return cli_fail("no chunk server has the id or address '%s' "
                        "(see dfs status)",
                        which);
    if (rc == -EINVAL)
        return cli_fail("'%s' begins the ids of several chunk servers: "
                        "give more of it",
                        which);
    if (rc < 0) return cli_master_fail(cli, rc);
    if (on)
        printf("draining node %s at %s: it takes no new chunk and its chunks "
               "are copied to other servers; when 'dfs status' says the drain "
               "is done, it can be stopped\n",
               n.id, n.addr);
    else
        printf("node %s at %s takes chunks again\n", n.id, n.addr);
    return CLI_EXIT_OK;
}

int cmd_drain(struct cli *cli, char **args)
{
    return drain_set(cli, args[0], true);
}

int cmd_undrain(struct cli *cli, char **args)
{
    return drain_set(cli, args[0], false);
}
