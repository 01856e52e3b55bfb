#!/usr/bin/env bash
# bench/ab.sh: did a change make dfs faster?  Compares this checkout with
# a base revision on the same machine at the same moment: it builds the
# base in a git worktree, starts one cluster of each side by side, and
# runs every workload on one, then the other, round after round, so both
# see the same machine noise (on a shared VM, a side measured minutes
# after the other can be 2x off for no reason of its own).
#
# Workloads, each on fresh names and fresh data (nothing the servers
# already hold, which they would not write again):
#   create   N files of 4 KiB with a bash loop (bench.sh's)
#   rsync    rsync -a of a source tree (default /usr/include/linux)
#   write    dd of SIZE MiB of new random data, conv=fsync
# Prints every round and the medians, with new/base time ratios (below
# 1: the new code is faster).  Not a test: run it by hand.
set -euo pipefail

PROG=ab
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

BASE=""              # --base: git revision to compare with
ROUNDS=4
NFILES=1000
SIZE_MB=256
RSYNC_SRC=/usr/include/linux
WORK=""
declare -A SECS      # "side workload" -> seconds of each round

usage() {
    cat <<EOF
usage: bench/ab.sh --base REV [--rounds N] [--files N] [--size MB] [--src DIR]

Runs the same workloads on a cluster of revision REV and on one of this
checkout, alternating, and prints medians and new/base ratios.
  --base REV    the revision to compare with (e.g. HEAD~3, main, a hash)
  --rounds N    rounds of every workload (default $ROUNDS)
  --files N     small files per create round (default $NFILES)
  --size MB     size of the sequential write (default $SIZE_MB)
  --src DIR     tree rsync copies (default $RSYNC_SRC)
Environment: DFS_BUILD (this checkout's build directory), TMPDIR.
EOF
}

creates() {
    local d=$1 i fill
    fill=$(head -c 3100 /dev/urandom | base64 -w0)
    fill=${fill:0:4088}
    mkdir -p "$d"
    for ((i = 0; i < NFILES; i++)); do
        printf '%s%08d' "$fill" "$i" >"$d/f$i"
    done
}

write_new() {
    head -c $((SIZE_MB << 20)) /dev/urandom >"$WORK/random"
    sync
    dd if="$WORK/random" of="$1" bs=1M conv=fsync status=none
}

cleanup() {
    set +e
    local side
    for side in base new; do
        [[ -d $WORK/$side ]] && DFS_BUILD=$(build_of "$side") DFS_NO_BUILD=1 \
            "$ROOT/tools/cluster" down "$WORK/$side" >/dev/null 2>&1
    done
    [[ -d $WORK/src ]] && git -C "$ROOT" worktree remove --force "$WORK/src"
    [[ -n $WORK ]] && rm -rf --one-file-system "$WORK"
}

build_of() {
    if [[ $1 == base ]]; then echo "$WORK/build-base"; else echo "${DFS_BUILD:-$ROOT/build}"; fi
}

setup() {
    git -C "$ROOT" rev-parse --verify -q "$BASE^{commit}" >/dev/null ||
        die "no such revision '$BASE'"
    echo "$PROG: building $BASE in $WORK/src"
    git -C "$ROOT" worktree add -q --detach "$WORK/src" "$BASE" ||
        die "git worktree add failed"
    meson setup "$WORK/build-base" "$WORK/src" >/dev/null ||
        die "meson setup of $BASE failed"
    ninja -C "$WORK/build-base" >/dev/null || die "building $BASE failed"
    DFS_BUILD=${DFS_BUILD:-$ROOT/build} "$ROOT/tools/check" --build-only \
        --no-install >/dev/null || die "building this checkout failed"
    local side
    for side in base new; do
        DFS_BUILD=$(build_of "$side") DFS_NO_BUILD=1 \
            "$ROOT/tools/cluster" up "$WORK/$side" >"$WORK/$side.out" 2>&1 || {
            cat "$WORK/$side.out" >&2
            die "tools/cluster up for $side failed"
        }
    done
}

round() {
    local r=$1 side mnt
    for side in base new; do
        mnt=$WORK/$side/mnt
        SECS["$side create"]+="$(timed creates "$mnt/c$r") "
        SECS["$side rsync"]+="$(timed rsync -a "$RSYNC_SRC/" "$mnt/r$r/") "
        SECS["$side write"]+="$(timed write_new "$mnt/w$r") "
        rm -f "$mnt/w$r"
    done
}

report() {
    local w b n
    echo "$PROG: seconds per round (base $BASE | this checkout)"
    for w in create rsync write; do
        printf '  %-7s %s| %s\n' "$w" "${SECS["base $w"]}" "${SECS["new $w"]}"
    done
    printf '%-34s %9s %9s %9s\n' "median of $ROUNDS" base new new/base
    for w in create rsync write; do
        # shellcheck disable=SC2086  # one argument per round
        b=$(median ${SECS["base $w"]})
        # shellcheck disable=SC2086
        n=$(median ${SECS["new $w"]})
        case $w in
        create) label="create $NFILES x 4 KiB" ;;
        rsync) label="rsync -a $RSYNC_SRC" ;;
        write) label="write $SIZE_MB MiB of new data" ;;
        esac
        awk -v l="$label" -v b="$b" -v n="$n" \
            'BEGIN { printf "%-34s %8.3fs %8.3fs %9.2f\n", l, b, n, n / b }'
    done
}

main() {
    while (($#)); do
        case $1 in
        --base) BASE=${2:?--base needs a revision}; shift ;;
        --rounds) ROUNDS=${2:?--rounds needs a number}; shift ;;
        --files) NFILES=${2:?--files needs a number}; shift ;;
        --size) SIZE_MB=${2:?--size needs a number}; shift ;;
        --src) RSYNC_SRC=${2:?--src needs a directory}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "$PROG: unknown option '$1'" >&2; exit 2 ;;
        esac
        shift
    done
    [[ -n $BASE ]] || { usage >&2; exit 2; }
    [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a positive number"
    [[ $NFILES =~ ^[1-9][0-9]*$ ]] || die "--files needs a positive number"
    [[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "--size needs a positive number"
    [[ -d $RSYNC_SRC ]] || die "$RSYNC_SRC does not exist"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/dfs-ab.XXXXXX")
    trap cleanup EXIT
    setup
    local r
    for ((r = 1; r <= ROUNDS; r++)); do
        echo "$PROG: round $r of $ROUNDS"
        round "$r"
    done
    report
}

main "$@"
