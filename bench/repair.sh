#!/usr/bin/env bash
# bench/repair.sh: how fast the cluster gets back to three copies after a
# chunk server dies, against copying the same bytes on the local disk.
#
# A fresh cluster of 4 chunk servers (the master declares a server dead
# after --dead-after-ms 3000) gets a file of --size MB of random data;
# the chunk server holding most of it is killed with kill -9, and the
# clock runs from the moment the master can know (kill + 3 s) until
# `dfs status` counts no under-replicated chunk.  The baseline is
# `dd conv=fsync` of as many bytes as were repaired, on the same disk.
# Repair is rate-limited on purpose (32 copies per server per heartbeat,
# master/repair.h): this measures that limit more than the disks.
# Not a test: run it by hand.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
set -euo pipefail

PROG=repair
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MB=400
DEAD_MS=3000
WORK=""

usage() {
    cat <<EOF
usage: bench/repair.sh [--size MB]
  --size MB   size of the file whose copies are repaired (default $SIZE_MB)
Environment: DFS_BUILD (build directory), TMPDIR.
EOF
}

cleanup() {
    set +e
    [[ -d $WORK/cluster ]] && DFS_NO_BUILD=1 "$ROOT/tools/cluster" down \
        "$WORK/cluster" >/dev/null 2>&1
    [[ -n $WORK ]] && rm -rf --one-file-system "$WORK"
}

dfs_cli() {
    "${DFS_BUILD:-$ROOT/build}/cli/dfs" --master "$(cat "$WORK/cluster/master.addr")" \
        --secret-file "$WORK/cluster/secret" "$@"
}

under_replicated() {
    dfs_cli status | sed -n 's/.*(\([0-9]*\) under-replicated).*/\1/p'
}

# The chunk server K (1..4) holding the most chunk files.
fullest() {
    local k best=1
    for k in 2 3 4; do
        (($(find "$WORK/cluster/chunk$k/chunks" -type f | wc -l) > \
            $(find "$WORK/cluster/chunk$best/chunks" -type f | wc -l))) &&
            best=$k
    done
    echo "$best"
}

main() {
    while (($#)); do
        case $1 in
        --size) SIZE_MB=${2:?--size needs a number}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
        shift
    done
    [[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "--size needs a positive number"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/dfs-repair.XXXXXX")
    trap cleanup EXIT
    DFS_MASTER_OPTS="--dead-after-ms $DEAD_MS" "$ROOT/tools/cluster" up \
        "$WORK/cluster" -n 4 >"$WORK/up.out" 2>&1 ||
        { cat "$WORK/up.out" >&2; die "tools/cluster up failed"; }
    head -c $((SIZE_MB << 20)) /dev/urandom >"$WORK/random"
    dd if="$WORK/random" of="$WORK/cluster/mnt/f" bs=1M conv=fsync status=none
    local k chunks t0 t1 secs local_secs
    k=$(fullest)
    chunks=$(find "$WORK/cluster/chunk$k/chunks" -type f | wc -l)
    kill -9 "$(cat "$WORK/cluster/chunk$k.pid")"
    t0=$(($(now_ns) + DEAD_MS * 1000000))
    sleep "$((DEAD_MS / 1000))"
    while [[ $(under_replicated) != 0 ]]; do sleep 0.2; done
    t1=$(now_ns)
    secs=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')
    head -c $((chunks << 22)) "$WORK/random" >"$WORK/part"
    sync
    local_secs=$(timed dd if="$WORK/part" of="$WORK/copy" bs=1M conv=fsync \
        status=none)
    awk -v c="$chunks" -v s="$secs" -v l="$local_secs" 'BEGIN {
        mb = c * 4 * 1048576 / 1e6
        printf "repair of %d chunks (%.0f MB) after a kill -9: %.2f s, %.1f MB/s\n", c, mb, s, mb / s
        printf "local dd conv=fsync of the same bytes:      %.2f s, %.1f MB/s\n", l, mb / l
        printf "repair / local:                              %.2f\n", l / s }'
}

main "$@"
