/*
 * placement.c - weighted rendezvous hashing of chunks onto nodes.
 *
 * For each node: h = first 8 bytes (little endian) of BLAKE2b-128 over
 * chunk_id || '\0' || node_id, u = ((h >> 11) + 0.5) / 2^53 in (0, 1), and
 * score = -weight / ln(u).  The highest score wins; a node's chance of
 * ranking first is its share of the total weight, and removing a node
 * only moves the chunks it was ranked first for.  (libsodium's minimum
 * BLAKE2b output is 16 bytes, hence 128 bits cut down to 64.)
 *
 * The client and the master must agree bit for bit, so this file must not
 * change its arithmetic without changing both.  For the same reason ln()
 * is computed here with plain IEEE operations rather than taken from
 * libm, whose last bit may differ between versions (and which common/ does
 * not link).
 */
#include "placement.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define PLACEMENT_STACK_NODES 256
#define PLACEMENT_LN2 0.69314718055994530941723212145818
#define PLACEMENT_SQRT2 1.41421356237309504880168872420970

/* ln(u) for u in (0, 1): split u = f * 2^e from the IEEE bits, then
 * ln f = 2 atanh((f - 1) / (f + 1)) by its series, which converges fast
 * for f in [sqrt(1/2), sqrt(2)). */
static double placement_ln(double u)
{
    uint64_t bits;
    double f, s, s2, term, sum;
    int e;

    memcpy(&bits, &u, sizeof(bits));
    e = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0xfffffffffffffULL) | (1023ULL << 52);
    memcpy(&f, &bits, sizeof(f));
    if (f > PLACEMENT_SQRT2) {
        f /= 2;
        e++;
    }
    s = (f - 1) / (f + 1);
    s2 = s * s;
    term = s;
    sum = 0;
    /* |s| < 0.172: 15 terms are far below one ulp of the result */
    for (int k = 0; k < 15; k++) {
        sum += term / (2 * k + 1);
        term *= s2;
    }
    return e * PLACEMENT_LN2 + 2 * sum;
}

static double placement_score(const char *chunk_id,
                              const struct placement_node *node)
{
    crypto_generichash_state st;
    unsigned char out[crypto_generichash_BYTES_MIN];
    uint64_t h = 0;
    double u, w;

    crypto_generichash_init(&st, NULL, 0, sizeof(out));
    /* including the NUL separates id and node so no pair collides */
    crypto_generichash_update(&st, (const unsigned char *)chunk_id,
                              strlen(chunk_id) + 1);
    crypto_generichash_update(&st, (const unsigned char *)node->id,
                              strnlen(node->id, sizeof(node->id)));
    crypto_generichash_final(&st, out, sizeof(out));
    for (int i = 7; i >= 0; i--)
        h = (h << 8) | out[i];
    /* 53 bits fit a double exactly; +0.5 keeps u away from 0 and 1 */
    u = ((double)(h >> 11) + 0.5) / 9007199254740992.0;
    if (u >= 1.0) /* 2^53 - 0.5 rounds up to 2^53: keep ln(u) < 0 */
        u = 1.0 - 1.0 / 9007199254740992.0;
    w = node->weight ? (double)node->weight : 1.0;
    return -w / placement_ln(u);
}

struct placement_ctx {
    const double *score;
    const struct placement_node *nodes;
};

/* Best first; equal scores by node id, then zone, so input order never
 * matters for distinct nodes. */
static int placement_cmp(const void *a, const void *b, void *arg)
{
    const struct placement_ctx *c = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int r;

    if (c->score[i] != c->score[j]) return c->score[i] > c->score[j] ? -1 : 1;
    r = strcmp(c->nodes[i].id, c->nodes[j].id);
    if (r) return r;
    return strcmp(c->nodes[i].zone, c->nodes[j].zone);
}

static bool placement_zone_used(const struct placement_node *node,
                                const char *const *used, size_t nused)
{
    if (node->zone[0] == '\0') return false; /* no zone: never conflicts */
    for (size_t i = 0; i < nused; i++)
        if (strcmp(used[i], node->zone) == 0) return true;
    return false;
}

/* Move into slot k the best-ranked node from k on whose zone is unused;
 * false when every remaining node repeats a used zone. */
static bool placement_pick(const struct placement_node *nodes, size_t *order,
                           size_t n, size_t k, const char *const *used)
{
    for (size_t i = k; i < n; i++) {
        if (placement_zone_used(&nodes[order[i]], used, k)) continue;
        size_t pick = order[i];
        /* shift the skipped ones down by one: they keep their rank order */
        memmove(&order[k + 1], &order[k], (i - k) * sizeof(*order));
        order[k] = pick;
        return true;
    }
    return false;
}

static void placement_apply_zones(const struct placement_node *nodes, size_t n,
                                  size_t replicas, size_t *order)
{
    const char *stack_used[16];
    const char **used = stack_used;

    if (replicas > n) replicas = n;
    if (replicas > 16 && !(used = malloc(replicas * sizeof(*used))))
        abort(); /* out of memory for a few pointers */
    for (size_t k = 0; k < replicas; k++) {
        if (!placement_pick(nodes, order, n, k, used))
            break; /* zones exhausted: plain rank order from here */
        used[k] = nodes[order[k]].zone;
    }
    if (used != stack_used) free(used);
}

void placement_rank(const char *chunk_id, const struct placement_node *nodes,
                    size_t n, size_t replicas, size_t *order)
{
    double stack_score[PLACEMENT_STACK_NODES];
    double *score = stack_score;
    struct placement_ctx ctx;

    if (n == 0) return;
    if (n > PLACEMENT_STACK_NODES && !(score = malloc(n * sizeof(*score))))
        abort(); /* placement cannot fail; no memory is a dead process */
    for (size_t i = 0; i < n; i++) {
        score[i] = placement_score(chunk_id, &nodes[i]);
        order[i] = i;
    }
    ctx.score = score;
    ctx.nodes = nodes;
    qsort_r(order, n, sizeof(*order), placement_cmp, &ctx);
    placement_apply_zones(nodes, n, replicas, order);
    if (score != stack_score) free(score);
}
