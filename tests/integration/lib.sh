# tests/integration/lib.sh: helpers shared by the integration tests.
#
# A test sources this file with its BUILD_DIR argument, calls it_begin, then
# cluster_up. Every step prints one line; a failure prints what was expected
# and what was seen, then the tail of every daemon log. The EXIT trap always
# takes the cluster down and removes the temporary directory.
#
#   . "$(dirname "$0")/lib.sh" "$@"
#   it_begin
#   cluster_up -n 3
#   step "copy a file in"; cp "$SRC" "$MNT/x"
#   assert_same_file "$SRC" "$MNT/x"

# shellcheck shell=bash disable=SC2034  # sourced: the tests use the variables

set -euo pipefail
set -E  # the ERR trap also fires inside functions

if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi

BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER=$ROOT/tools/cluster
TEST=$(basename "$0" .sh)
MASTER_BIN=$BUILD/master/dfs-master
CHUNKD_BIN=$BUILD/chunkd/dfs-chunkd
MOUNT_BIN=$BUILD/fuse/mount.dfs
DFS_BIN=$BUILD/cli/dfs
# meson test has just built everything: tools/cluster must not rebuild.
export DFS_BUILD=$BUILD DFS_NO_BUILD=1
CHUNK_SIZE=4194304

DIR=""     # the cluster directory (tools/cluster layout)
MNT=""     # DIR/mnt
LOCAL=""   # DIR/local: reference files on the local disk

# One line per step, with the seconds since the test started.
step() {
    echo "[$TEST +${SECONDS}s] $*"
}

# Print the last lines of every log of the cluster.
show_logs() {
    local log
    [[ -n $DIR ]] || return 0
    for log in "$DIR"/*.log; do
        [[ -s $log ]] || continue
        echo "--- last lines of $log:"
        tail -n 25 "$log"
    done
}

fail() {
    echo "[$TEST] FAIL: $*" >&2
    show_logs >&2
    FAILED=1
    exit 1
}

FAILED=0

on_error() {
    local status=$1 line=$2 cmd=$3
    ((FAILED)) && return 0
    FAILED=1
    echo "[$TEST] FAIL: command exited with status $status at line $line: $cmd" >&2
    show_logs >&2
}

cleanup() {
    local status=$?
    trap - ERR
    set +e
    if [[ -n $DIR && -d $DIR ]]; then
        step "clean up: tools/cluster down"
        "$CLUSTER" down "$DIR" >/dev/null 2>&1 ||
            echo "[$TEST] warning: tools/cluster down $DIR failed"
        # A sanitizer build reports memory errors and leaks in the daemons'
        # logs (they exit normally); any such report fails the test.
        if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
            "$DIR"/*.log >/dev/null 2>&1; then
            echo "[$TEST] FAIL: sanitizer report in the daemons' logs:" >&2
            grep -h -A 30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
                "$DIR"/*.log | head -n 80 >&2
            status=1
        fi
        step "clean up: rm -rf $DIR"
        # --one-file-system: never descend into a mount that is still there.
        rm -rf --one-file-system "$DIR"
    fi
    if ((status == 0)); then
        echo "[$TEST] PASS (${SECONDS}s)"
    fi
    exit "$status"
}

# Skip (exit 77, meson's "skipped") when this machine cannot run FUSE.
require_fuse() {
    if [[ ! -c /dev/fuse ]] || ! command -v fusermount3 >/dev/null; then
        echo "[$TEST] SKIP: no /dev/fuse or fusermount3"
        exit 77
    fi
}

it_begin() {
    require_fuse
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/dfs-$TEST.XXXXXX")
    MNT=$DIR/mnt
    LOCAL=$DIR/local
    mkdir -p "$LOCAL"
    trap cleanup EXIT
    trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR
    step "cluster directory $DIR"
}

# cluster CMD [ARGS]: run tools/cluster on DIR, indenting its output.
cluster() {
    local cmd=$1
    shift
    step "tools/cluster $cmd $*"
    local status=0
    "$CLUSTER" "$cmd" "$DIR" "$@" 2>&1 | sed 's/^/    /' || status=$?
    ((status == 0)) || fail "tools/cluster $cmd $* exited with status $status"
}

cluster_up() {
    cluster up "$@"
}

# Random file of SIZE bytes at PATH.
random_file() {
    head -c "$2" /dev/urandom >"$1"
}

# Drop cached pages of FILE (no privilege needed: posix_fadvise DONTNEED),
# and the whole page cache when allowed.
drop_cache() {
    sync
    echo 3 2>/dev/null >/proc/sys/vm/drop_caches || true
    local f
    for f in "$@"; do
        dd if="$f" iflag=nocache count=0 status=none 2>/dev/null || true
    done
}

assert_same_file() {
    local want=$1 got=$2 out
    [[ -e $got ]] || fail "$got does not exist (expected a copy of $want)"
    out=$(cmp "$want" "$got" 2>&1) ||
        fail "$got differs from $want: $out (sizes $(stat -c %s "$want") vs $(stat -c %s "$got" 2>/dev/null))"
    local a b
    a=$(sha256sum <"$want" | cut -d' ' -f1)
    b=$(sha256sum <"$got" | cut -d' ' -f1)
    [[ $a == "$b" ]] || fail "sha256 of $got is $b, expected $a"
}

# assert_eq WHAT EXPECTED GOT
assert_eq() {
    [[ $2 == "$3" ]] || fail "$1: expected '$2', got '$3'"
}

# The id of a chunk's bytes: BLAKE2b-256, 64 hex characters.
chunk_id_of() {
    b2sum -l 256 <"$1" | cut -d' ' -f1
}

# True while PID runs (a zombie waiting for its parent counts as dead).
pid_alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# wait_until CMD...: run CMD every 0.1 s until it succeeds, 10 s at most
# (another mount's view may be up to entry_timeout or attr_timeout old);
# the assertion that follows says what was expected.
wait_until() {
    local i
    for ((i = 0; i < 100; i++)); do
        "$@" 2>/dev/null && return 0
        sleep 0.1
    done
    return 0
}

# A second mount of the cluster at DIR/mnt2 (MNT2), with more -o options
# if given; its log is DIR/mount2.log.  unmount_second undoes it; tests
# that use it call unmount_second from their EXIT trap.
MNT2=""
MNT2_PID=""

mount_second() {
    local opts=${1:-} i
    MNT2=$DIR/mnt2
    mkdir -p "$MNT2"
    step "second mount of the same cluster at $MNT2${opts:+ (-o $opts)}"
    "$MOUNT_BIN" "$(cat "$DIR/master.addr")" "$MNT2" \
        -o "secret_file=$DIR/secret${opts:+,$opts}" -f </dev/null \
        >>"$DIR/mount2.log" 2>&1 &
    MNT2_PID=$!
    for ((i = 0; i < 100; i++)); do
        pid_alive "$MNT2_PID" || fail "second mount.dfs exited (see mount2.log)"
        mountpoint -q "$MNT2" && return 0
        sleep 0.1
    done
    fail "second mount not ready within 10 s"
}

unmount_second() {
    [[ -n $MNT2 ]] || return 0
    # A mount whose mount.dfs was killed is no "mountpoint" any more
    # (ENOTCONN) but still in the table: unmount it too.
    if mountpoint -q "$MNT2" 2>/dev/null ||
        awk -v m="$MNT2" '$2 == m { found = 1 } END { exit !found }' \
            /proc/mounts; then
        fusermount3 -u "$MNT2" 2>/dev/null || fusermount3 -u -z "$MNT2" || true
    fi
    if [[ -n $MNT2_PID ]]; then
        local i
        for ((i = 0; i < 50; i++)); do
            pid_alive "$MNT2_PID" || break
            sleep 0.1
        done
        if pid_alive "$MNT2_PID"; then kill "$MNT2_PID" 2>/dev/null || true; fi
    fi
    MNT2=""
}
