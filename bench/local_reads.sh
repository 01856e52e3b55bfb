#!/usr/bin/env bash
# bench/local_reads.sh: what local reads (chunk files handed over a Unix
# socket to a mount on the chunk servers' host, common/local_chunk.h) buy
# a cold sequential read, against the same cluster read over HTTP
# (-o local_reads=false), in the same run; and what reading those files
# with O_DIRECT (fuse/chunk_file.h) buys over reading them through the
# page cache (-o direct_reads=false).
#
# One cluster (tools/cluster up in a temporary directory), one file of
# SIZE MiB of random data.  Each round mounts it once in each of the
# three ways, in turn, drops every cache (the mount's own too: a new
# mount.dfs) and reads the file with dd, timing it and counting the CPU
# time mount.dfs and the chunk servers used for it (from /proc/PID/stat).
# Prints every round and the medians, with each way's ratio to the
# default (direct; above 1: the default is better).  Not a test: run it
# by hand, as root (drop_caches).
set -euo pipefail

PROG=local_reads
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

ROUNDS=3
SIZE_MB=1024
WORK=""
MNT_PID=""
declare -A SECS CPU # "mode" -> values of each round
# the ways to read, default first, and their mount options
MODES=(direct cached http)
declare -A MODE_OPTS=([direct]="" [cached]="direct_reads=false"
    [http]="local_reads=false")

usage() {
    cat <<EOF
usage: bench/local_reads.sh [--rounds N] [--size MB]

Cold-reads one file through a mount with direct local reads, one with
local reads through the page cache and one over HTTP, in turn, and prints
throughput, CPU seconds per GiB and the ratios.
  --rounds N   rounds (default $ROUNDS)
  --size MB    file size (default $SIZE_MB)
Environment: DFS_BUILD (build directory), TMPDIR (where the cluster goes).
EOF
}

while (($#)); do
    case $1 in
    --rounds) ROUNDS=${2:?}; shift 2 ;;
    --size) SIZE_MB=${2:?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $SIZE_MB =~ ^[1-9][0-9]*$ ]] ||
    die "--rounds and --size must be positive integers"
[[ -w /proc/sys/vm/drop_caches ]] || die "needs root, to drop caches"

BUILD=${DFS_BUILD:-$ROOT/build}
CLUSTER="$ROOT/tools/cluster"

unmount() {
    mountpoint -q "$WORK/mnt2" && fusermount3 -u "$WORK/mnt2"
    if [[ -n $MNT_PID ]]; then
        while kill -0 "$MNT_PID" 2>/dev/null; do sleep 0.1; done
        MNT_PID=""
    fi
}

cleanup() {
    set +e
    [[ -n $WORK ]] || return 0
    unmount
    DFS_BUILD=$BUILD "$CLUSTER" down "$WORK/cluster" >/dev/null 2>&1
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

# user+system CPU ticks of the given pids, summed
cpu_ticks() {
    local p t=0 f
    for p in "$@"; do
        read -r -a f <"/proc/$p/stat"
        t=$((t + f[13] + f[14]))
    done
    echo "$t"
}

# mount2 MODE: mount the cluster at $WORK/mnt2 the MODE way.
mount2() {
    local opts=${MODE_OPTS[$1]}
    mkdir -p "$WORK/mnt2"
    "$BUILD/fuse/mount.dfs" "$(cat "$WORK/cluster/master.addr")" "$WORK/mnt2" \
        -o "secret_file=$WORK/cluster/secret${opts:+,$opts}" -f \
        </dev/null >>"$WORK/mount2.log" 2>&1 &
    MNT_PID=$!
    for ((i = 0; i < 100; i++)); do
        mountpoint -q "$WORK/mnt2" && return 0
        sleep 0.1
    done
    die "mount for $1 reads not ready (see $WORK/mount2.log)"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dfs-local-reads.XXXXXX")
echo "$PROG: cluster in $WORK/cluster, $SIZE_MB MiB file"
DFS_BUILD=$BUILD "$CLUSTER" up "$WORK/cluster" >/dev/null
head -c $((SIZE_MB << 20)) /dev/urandom >"$WORK/cluster/mnt/file"
fusermount3 -u "$WORK/cluster/mnt" # the bench's mounts only from here
read -r -a SERVERS <<<"$(cat "$WORK"/cluster/chunk*.pid | xargs)"

for ((r = 1; r <= ROUNDS; r++)); do
    for mode in "${MODES[@]}"; do
        mount2 "$mode"
        sync
        echo 3 >/proc/sys/vm/drop_caches
        c0=$(cpu_ticks "$MNT_PID" "${SERVERS[@]}")
        s=$(timed dd if="$WORK/mnt2/file" of=/dev/null bs=1M status=none)
        c1=$(cpu_ticks "$MNT_PID" "${SERVERS[@]}")
        cpu=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v mb="$SIZE_MB" \
            'BEGIN { printf "%.3f", t / hz * 1024 / mb }')
        SECS[$mode]+="$s "
        CPU[$mode]+="$cpu "
        printf 'round %d  %-6s  %6.0f MB/s  %s CPU s/GiB\n' "$r" \
            "$mode" "$(awk -v s="$s" -v mb="$SIZE_MB" 'BEGIN { print mb * 1.048576 / s }')" "$cpu"
        unmount
    done
done

echo "median of $ROUNDS        MB/s   CPU s/GiB   time/direct   CPU/direct"
# shellcheck disable=SC2086  # one argument per round is wanted
{
    ds=$(median ${SECS[direct]})
    dc=$(median ${CPU[direct]})
}
for mode in "${MODES[@]}"; do
    # shellcheck disable=SC2086
    awk -v m="$mode" -v s="$(median ${SECS[$mode]})" \
        -v c="$(median ${CPU[$mode]})" -v ds="$ds" -v dc="$dc" \
        -v mb="$SIZE_MB" 'BEGIN {
        printf "%-16s %8.0f %11.3f %13.2f %12.2f\n", m, mb * 1.048576 / s, c,
            s / ds, c / dc }'
done
