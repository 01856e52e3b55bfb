#!/usr/bin/env bash
# it_hostile: thousands of unsigned, malformed, truncated, oversized,
# path-traversing, slow and signed-but-hostile requests at the master and a
# chunk server (tests/integration/hostile.py).  Afterwards: every answer
# was a 4xx or a closed connection, no file appeared, vanished or changed
# in any data directory, both daemons live, their memory did not grow
# without bound, the namespace is what the test wrote, and the mounted data
# reads back identical (through the mount and through dfs get).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

RSS_GROWTH_MAX_KB=$((64 * 1024)) # what "without bound" means here

command -v python3 >/dev/null ||
    fail "python3 is needed (meson, which tools/check installs, needs it)"

# Resident memory of PID in KiB.
rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# Every file of the data directories with a hash of its content; the
# master's SQLite files change by design (and -wal/-shm come and go), so
# for the master only the names count.  chunkK/tmp is listed apart.
data_snapshot() {
    local d
    (
        cd "$DIR" || exit 1
        find master -type f ! -name '*-wal' ! -name '*-shm' \
            ! -name '*-journal' | sort
        for d in chunk*/; do
            find "${d%/}" -type f ! -path '*/tmp/*' -print0 | sort -z |
                xargs -0r b2sum -l 256
        done
    )
}

tmp_listing() {
    (cd "$DIR" && find chunk*/tmp -type f 2>/dev/null | sort)
}

# Names, types and sizes under the mount.
namespace_listing() {
    (cd "$MNT" && find . -printf '%p %y %s\n' | sort)
}

# Requests cut short are closed by the daemons' idle timeout: a short one
# here (30 s by default) keeps the test from waiting it out twice.
IDLE_TIMEOUT=3
export DFS_MASTER_OPTS="--idle-timeout $IDLE_TIMEOUT"
export DFS_CHUNKD_OPTS="--idle-timeout $IDLE_TIMEOUT"

it_begin
cluster_up -n 3
MASTER_ADDR=$(<"$DIR/master.addr")
CHUNK_ADDR=$(<"$DIR/chunk1.addr")
MASTER_PID=$(<"$DIR/master.pid")
CHUNK_PID=$(<"$DIR/chunk1.pid")
dfs() {
    "$DFS_BIN" --master "$MASTER_ADDR" --secret-file "$DIR/secret" "$@"
}

step "write a 9 MiB file and a few small ones through the mount"
random_file "$LOCAL/big" $((9 * 1024 * 1024))
cp "$LOCAL/big" "$MNT/big"
mkdir "$MNT/dir"
for i in 1 2 3; do
    random_file "$LOCAL/small$i" $((i * 1000 + 17))
    cp "$LOCAL/small$i" "$MNT/dir/small$i"
done
echo hello >"$LOCAL/hello"
cp "$LOCAL/hello" "$MNT/hello"
sync
sleep 2 # chunk servers' batched fsync, heartbeats: let everything settle

step "snapshot data directories, namespace and memory"
data_snapshot >"$LOCAL/data.before"
tmp_listing >"$LOCAL/tmp.before"
namespace_listing >"$LOCAL/ns.before"
echo "    $(wc -l <"$LOCAL/data.before") files in the data directories," \
    "$(wc -l <"$LOCAL/ns.before") entries under the mount"
pid_alive "$MASTER_PID" || fail "master (pid $MASTER_PID) is not running"
pid_alive "$CHUNK_PID" || fail "chunk1 (pid $CHUNK_PID) is not running"
MASTER_RSS0=$(rss_kb "$MASTER_PID")
CHUNK_RSS0=$(rss_kb "$CHUNK_PID")

step "hostile traffic at master $MASTER_ADDR and chunk1 $CHUNK_ADDR"
status=0
timeout 300 python3 "$ROOT/tests/integration/hostile.py" \
    --idle-timeout "$IDLE_TIMEOUT" "$MASTER_ADDR" "$CHUNK_ADDR" \
    "$DIR/secret" 2>&1 | sed 's/^/    /' ||
    status=$?
((status == 0)) ||
    fail "hostile.py reported failures (status $status, see above)"

step "both daemons are alive"
pid_alive "$MASTER_PID" || fail "master (pid $MASTER_PID) died"
pid_alive "$CHUNK_PID" || fail "chunk1 (pid $CHUNK_PID) died"

step "memory did not grow without bound"
sleep 1
MASTER_RSS1=$(rss_kb "$MASTER_PID")
CHUNK_RSS1=$(rss_kb "$CHUNK_PID")
echo "    master VmRSS: before ${MASTER_RSS0} kB, after ${MASTER_RSS1} kB"
echo "    chunk1 VmRSS: before ${CHUNK_RSS0} kB, after ${CHUNK_RSS1} kB"
((MASTER_RSS1 < MASTER_RSS0 + RSS_GROWTH_MAX_KB)) ||
    fail "master RSS grew from $MASTER_RSS0 kB to $MASTER_RSS1 kB"
((CHUNK_RSS1 < CHUNK_RSS0 + RSS_GROWTH_MAX_KB)) ||
    fail "chunk1 RSS grew from $CHUNK_RSS0 kB to $CHUNK_RSS1 kB"

step "no file appeared, vanished or changed in any data directory"
data_snapshot >"$LOCAL/data.after"
diff "$LOCAL/data.before" "$LOCAL/data.after" | sed 's/^/    /' ||
    fail "the data directories changed (diff above)"
# an interrupted upload may have left nothing behind in tmp/
tmp_listing >"$LOCAL/tmp.after"
extra=$(comm -13 "$LOCAL/tmp.before" "$LOCAL/tmp.after")
[[ -z $extra ]] || fail "files left in tmp/: $extra"

step "the namespace is what the test wrote"
namespace_listing >"$LOCAL/ns.after"
diff "$LOCAL/ns.before" "$LOCAL/ns.after" | sed 's/^/    /' ||
    fail "the namespace changed (diff above)"

step "no refused heartbeat registered a chunk server"
# every server the master knows, alive or not: the rows of the status table
assert_eq "chunk servers in dfs status" 3 \
    "$(dfs status | awk 'NR > 1 && NF == 0 { exit } NR > 1 { n++ } END { print n }')"
! dfs status | grep -q draining || fail "a refused drain request drained a node"

step "the data reads back identical through the mount"
drop_cache "$MNT/big" "$MNT/hello" "$MNT"/dir/*
assert_same_file "$LOCAL/big" "$MNT/big"
assert_same_file "$LOCAL/hello" "$MNT/hello"
for i in 1 2 3; do
    assert_same_file "$LOCAL/small$i" "$MNT/dir/small$i"
done

step "and through dfs get (no mount cache)"
dfs get /big "$LOCAL/big.get" >/dev/null
assert_same_file "$LOCAL/big" "$LOCAL/big.get"
dfs get /dir/small2 "$LOCAL/small2.get" >/dev/null
assert_same_file "$LOCAL/small2" "$LOCAL/small2.get"

step "a new write still works"
random_file "$LOCAL/after" $((5 * 1024 * 1024 + 3))
cp "$LOCAL/after" "$MNT/after"
drop_cache "$MNT/after"
assert_same_file "$LOCAL/after" "$MNT/after"
