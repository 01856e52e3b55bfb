#!/usr/bin/env bash
# bench/bench.sh: measure dfs against a plain local directory on the same
# disk, in the same run, and print a table of times and ratios with the
# floors dfs must reach:
#
#   sequential write (random data, dd conv=fsync)   dfs >= 0.25 x local
#   cold sequential read                            dfs >= 0.5  x local
#   the same file read again at once (no floor: the kernel's page cache,
#   kept across opens while the file is unchanged)
#   2,000 files of 4 KiB: create / stat / read / delete
#                                                   creates >= 0.1 x local
#   rsync -a /usr/include/                          dfs <= 8 x local time
#
# This machine is noisy (the local disk's speed swings 2-5x between runs),
# so everything is measured in --runs rounds (3 by default), local and dfs
# side by side in each, and the table shows the median of each side; every
# round's numbers are printed too. The cold read, a second or less and the
# noisiest, is taken --cold-reads times per round (3), the sides taking
# turns, and its median is over all of them. By default each round starts its own
# fresh cluster (tools/cluster up in a temporary directory; the first also
# builds dfs) and takes it down at the end, so no round finds the chunks
# of an earlier one already stored. With --mount DIR it uses an existing
# mount instead (one round by default). Not a test: run it by hand.
# Exit status 1 when a floor is missed. Small-file creates end with `sync`
# so the local side pays for durability too (dfs's close() has already
# replicated the data).
set -euo pipefail

PROG=bench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

SIZE_MB=1024          # sequential write/read size
NFILES=2000           # small files
RSYNC_SRC=/usr/include
MOUNT=""              # --mount: existing dfs mount
WORK=""               # temporary directory: cluster, local dir, random data
CLUSTER_DIR=""        # set when we started the cluster
MISSED=0
RUNS=""               # --runs: rounds of every measurement
COLD_READS=3          # --cold-reads: cold reads per side in each round
declare -A LOCAL_S DFS_S   # row key -> the seconds of each round

usage() {
    cat <<EOF
usage: bench/bench.sh [--quick] [--runs N] [--cold-reads N] [--mount DIR]
                      [--nodes N]

Compares dfs with a local directory on the same disk.
  --quick       64 MiB instead of 1 GiB, 500 small files, rsync of
                /usr/include/linux only
  --runs N      rounds of every measurement; the table shows medians
                (default 3, or 1 with --mount)
  --cold-reads N
                cold reads of each side in every round, taking turns
                (default 3): the shortest and noisiest measurement
  --mount DIR   benchmark an existing dfs mount (default: start a fresh
                cluster per round with tools/cluster in a temporary
                directory)
  --nodes N     chunk servers of the cluster started (default 3)
Environment: DFS_BUILD (build directory), TMPDIR (where the temporary
directory and the local side go; keep it on the disk you mean to compare).
EOF
}

cleanup() {
    set +e
    stop_cluster
    [[ -n $WORK ]] && rm -rf --one-file-system "$WORK"
}

# Drop cached pages: the whole page cache when allowed, else the pages of
# the given files (posix_fadvise DONTNEED through dd iflag=nocache).
drop_cache() {
    sync
    if echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then
        return 0
    fi
    local f
    for f in "$@"; do
        dd if="$f" iflag=nocache count=0 status=none 2>/dev/null || true
    done
}

# The files whose cache must go before a cold read of dfs FILE: the file
# itself and, when the cluster is ours, every stored chunk.
dfs_cold_files() {
    echo "$1"
    [[ -n $CLUSTER_DIR ]] && find "$CLUSTER_DIR"/chunk*/chunks -type f 2>/dev/null
    return 0
}

# Unmount and mount again so mount.dfs's own chunk cache is empty too.
remount_if_ours() {
    [[ -n $CLUSTER_DIR ]] || return 0
    fusermount3 -u "$MOUNT" || die "cannot unmount $MOUNT for a cold read"
    "$ROOT/tools/cluster" restart "$CLUSTER_DIR" >/dev/null ||
        die "cannot remount $MOUNT"
}

# --- the measurements (each prints seconds) ---------------------------------

seq_write() {
    timed dd if="$WORK/random" of="$1/seq" bs=1M conv=fsync status=none
}

cold_read() {
    local target=$1 side=$2
    if [[ $side == dfs ]]; then
        remount_if_ours
        # shellcheck disable=SC2046  # one argument per file is wanted
        drop_cache $(dfs_cold_files "$target/seq")
    else
        drop_cache "$target/seq"
    fi
    timed dd if="$target/seq" of=/dev/null bs=1M status=none
}

# The file read once more, then timed through a new open: the page cache
# on both sides.  (The read first, since the other side's cold read
# dropped every cache since.)
warm_read() {
    dd if="$1/seq" of=/dev/null bs=1M status=none
    timed dd if="$1/seq" of=/dev/null bs=1M status=none
}

# Small files are written with shell builtins (no process per file), each
# with distinct content so dfs cannot deduplicate them.
small_create() {
    local d=$1/small i
    mkdir -p "$d"
    local t0 t1
    t0=$(now_ns)
    for ((i = 0; i < NFILES; i++)); do
        printf '%s%08d' "$FILL" "$i" >"$d/f$i"
    done
    sync
    t1=$(now_ns)
    awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}

small_stat() {
    local d=$1/small i t0 t1
    t0=$(now_ns)
    for ((i = 0; i < NFILES; i++)); do
        [[ -f $d/f$i ]] || die "$d/f$i is missing"
    done
    t1=$(now_ns)
    awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}

small_read() {
    local d=$1/small i t0 t1 data
    t0=$(now_ns)
    for ((i = 0; i < NFILES; i++)); do
        read -r -N 4096 data <"$d/f$i" || true
    done
    t1=$(now_ns)
    [[ ${#data} -eq 4096 ]] || die "read ${#data} bytes from $d/f$((NFILES - 1)), expected 4096"
    awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}

small_delete() {
    timed rm -rf "$1/small"
}

# The source is read into the page cache first, so neither side pays for
# reading it from disk (the local side, which goes first, would).
rsync_tree() {
    find "$RSYNC_SRC" -type f -exec cat {} + >/dev/null 2>&1 || true
    timed rsync -a "$RSYNC_SRC/" "$1/inc/"
}

# --- the table ---------------------------------------------------------------

# row NAME LOCAL_S DFS_S KIND FLOOR
#   KIND rate: a throughput or rate, ratio = local_time / dfs_time (dfs
#              relative speed), must be >= FLOOR
#   KIND time: ratio = dfs_time / local_time, must be <= FLOOR
#   FLOOR "-": none
row() {
    local name=$1 l=$2 d=$3 kind=$4 floor=$5 ratio verdict=""
    if [[ $kind == rate ]]; then
        ratio=$(awk -v l="$l" -v d="$d" 'BEGIN { printf "%.2f", (d > 0 ? l / d : 0) }')
        [[ $floor == - ]] || verdict=$(judge "$ratio" ">=" "$floor" "")
    else
        ratio=$(awk -v l="$l" -v d="$d" 'BEGIN { printf "%.2fx", (l > 0 ? d / l : 0) }')
        [[ $floor == - ]] || verdict=$(judge "${ratio%x}" "<=" "$floor" x)
    fi
    [[ $verdict == MISSED* ]] && MISSED=1
    printf '%-24s %14s %14s %8s  %s\n' "$name" "$(describe "$l")" "$(describe "$d")" \
        "$ratio" "$verdict"
}

# judge RATIO OP FLOOR SUFFIX: "ok (OP FLOORSUFFIX)" or "MISSED (...)".
judge() {
    if awk -v r="$1" -v f="$3" -v op="$2" \
        'BEGIN { exit !(op == ">=" ? r >= f : r <= f) }'; then
        echo "ok ($2 $3$4)"
    else
        echo "MISSED ($2 $3$4)"
    fi
}

# Time in seconds, plus the throughput or rate of the row being printed.
describe() {
    awk -v s="$1" -v mb="$UNIT_MB" -v n="$UNIT_N" 'BEGIN {
        if (mb > 0) printf "%.0f MB/s", (s > 0 ? mb / s : 0)
        else if (n > 0) printf "%.0f /s", (s > 0 ? n / s : 0)
        else printf "%.2f s", s }'
}

# measure_one KEY FN SIDE: run FN on SIDE, append its seconds to KEY's.
measure_one() {
    local dir=$LOCAL_DIR t
    [[ $3 == dfs ]] && dir=$MOUNT/bench
    t=$($2 "$dir" "$3")
    if [[ $3 == local ]]; then
        LOCAL_S[$1]+="$t "
    else
        DFS_S[$1]+="$t "
    fi
}

# One round: every measurement on the local directory and on dfs, one
# after the other, appending seconds to LOCAL_S / DFS_S by row key.  The
# cold read, the shortest and noisiest, is taken COLD_READS times, the
# sides taking turns.
measure_round() {
    local key fn side rep reps
    for key in write read reread create stat sread delete rsync; do
        case $key in
        write) fn=seq_write ;; read) fn=cold_read ;; reread) fn=warm_read ;;
        create) fn=small_create ;; stat) fn=small_stat ;;
        sread) fn=small_read ;; delete) fn=small_delete ;;
        rsync) fn=rsync_tree ;;
        esac
        reps=1
        [[ $key == read ]] && reps=$COLD_READS
        for ((rep = 0; rep < reps; rep++)); do
            for side in local dfs; do
                measure_one "$key" "$fn" "$side"
            done
        done
    done
    rm -rf "$LOCAL_DIR/inc" "$LOCAL_DIR/seq" "${MOUNT:?}/bench/inc" \
        "$MOUNT/bench/seq"
}

# print_row NAME KEY KIND FLOOR: the medians of KEY's rounds.
print_row() {
    local name=$1 key=$2
    # shellcheck disable=SC2086  # one argument per round is wanted
    row "$name" "$(median ${LOCAL_S[$key]})" "$(median ${DFS_S[$key]})" "$3" "$4"
}

print_rounds() {
    local key
    echo "$PROG: seconds of each measurement (local | dfs):"
    for key in write read reread create stat sread delete rsync; do
        printf '  %-7s %s| %s\n' "$key" "${LOCAL_S[$key]}" "${DFS_S[$key]}"
    done
}

# --- setup -------------------------------------------------------------------

start_cluster() {
    local nodes=$1 round=$2
    CLUSTER_DIR=$WORK/cluster$round
    echo "$PROG: round $round: a fresh cluster of $nodes chunk servers in $CLUSTER_DIR"
    "$ROOT/tools/cluster" up "$CLUSTER_DIR" -n "$nodes" >"$WORK/cluster.out" 2>&1 || {
        cat "$WORK/cluster.out" >&2
        die "tools/cluster up failed"
    }
    MOUNT=$CLUSTER_DIR/mnt
    export DFS_NO_BUILD=1   # built once above; remounts need no rebuild
}

stop_cluster() {
    [[ -n $CLUSTER_DIR ]] || return 0
    "$ROOT/tools/cluster" down "$CLUSTER_DIR" >/dev/null 2>&1
    rm -rf --one-file-system "$CLUSTER_DIR"
    CLUSTER_DIR=""
}

main() {
    local nodes=3
    while (($#)); do
        case $1 in
        --quick) SIZE_MB=64 NFILES=500 RSYNC_SRC=/usr/include/linux ;;
        --mount) MOUNT=${2:?--mount needs a directory}; shift ;;
        --nodes) nodes=${2:?--nodes needs a number}; shift ;;
        --runs) RUNS=${2:?--runs needs a number}; shift ;;
        --cold-reads) COLD_READS=${2:?--cold-reads needs a number}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "$PROG: unknown option '$1'" >&2; exit 2 ;;
        esac
        shift
    done
    [[ -z $MOUNT ]] || mountpoint -q "$MOUNT" || die "$MOUNT is not a mount point"
    [[ -d $RSYNC_SRC ]] || die "$RSYNC_SRC does not exist"

    [[ -z $RUNS || $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive number"
    local own=true round
    [[ -n $MOUNT ]] && own=false
    [[ -n $RUNS ]] || { $own && RUNS=3 || RUNS=1; }

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/dfs-bench.XXXXXX")
    trap cleanup EXIT
    LOCAL_DIR=$WORK/local
    echo "$PROG: preparing $SIZE_MB MiB of random data"
    head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$WORK/random"
    # Written back now: otherwise the first syncfs of a chunk server (they
    # share this disk) pays for flushing our own input file.
    sync
    for ((round = 1; round <= RUNS; round++)); do
        $own && start_cluster "$nodes" "$round"
        mkdir -p "$LOCAL_DIR" "$MOUNT/bench"
        [[ -z $(ls -A "$MOUNT/bench") ]] || die "$MOUNT/bench is not empty"
        # distinct small files in every round, so none is stored already
        FILL=$(head -c 3100 /dev/urandom | base64 -w0)
        FILL=${FILL:0:4088}   # + an 8-digit index = 4096 bytes per file
        echo "$PROG: round $round of $RUNS: local $LOCAL_DIR, dfs $MOUNT/bench"
        measure_round
        rm -rf "${MOUNT:?}/bench" "$LOCAL_DIR"
        $own && stop_cluster
    done

    print_rounds
    printf '%-24s %14s %14s %8s  %s\n' "median of $RUNS" local dfs ratio floor
    UNIT_MB=$SIZE_MB UNIT_N=0
    print_row "write ${SIZE_MB} MiB" write rate 0.25
    print_row "cold read ${SIZE_MB} MiB" read rate 0.5
    print_row "read again ${SIZE_MB} MiB" reread rate -
    UNIT_MB=0 UNIT_N=$NFILES
    print_row "create $NFILES x 4 KiB" create rate 0.1
    print_row "stat $NFILES" stat rate -
    print_row "read $NFILES" sread rate -
    print_row "delete $NFILES" delete rate -
    UNIT_MB=0 UNIT_N=0
    print_row "rsync -a ${RSYNC_SRC#/usr/}" rsync time 8

    if ((MISSED)); then
        echo "$PROG: some floors were missed"
        return 1
    fi
    echo "$PROG: all floors met"
}

main "$@"
