#!/usr/bin/env bash
# it_repair: the master re-replicates.
#  1. Four chunk servers, replication 3: a file's chunks are on three of
#     them.  kill -9 the server holding the most of its chunks; once the
#     master declares it dead (--dead-after-ms 3000), every chunk is copied
#     back to three live servers (found under its BLAKE2b-256 id in their
#     data directories), `dfs status` counts no under-replicated chunk, and
#     the file reads back identical with the page cache dropped.
#     `dfs fsck` says HEALTHY.  The dead server comes back, and the copies
#     it holds that are now too many are deleted; then
#     `dfs drain` of the server holding the most chunks: a file written
#     meanwhile puts nothing on it, every chunk gets 3 copies on the
#     others, `dfs status` says the drain is done, and once that server is
#     killed every file still reads back identical.  After a chunk file is
#     deleted from a server's disk, only `dfs fsck --verify` sees it.
#  2. Three chunk servers, one of them on a full disk (a small tmpfs): a
#     write stores 2 of 3 copies, as the mount's log says, and `dfs fsck`
#     says DEGRADED and names them.  Nothing can be repaired while no
#     server has room; a fourth server joins, the chunks get their third
#     copy there and fsck says HEALTHY.  With three of the four servers
#     killed, fsck says CORRUPT.
#  3. Three chunk servers hold all 20 chunks of a file; a fourth joins, and
#     chunks move to it (copied, then deleted at the source) until the
#     shares are even enough, each chunk keeping exactly 3 copies.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

export DFS_MASTER_OPTS="--dead-after-ms 3000" DFS_CHUNKD_OPTS="--heartbeat-ms 300"
SETTLE_S=${SETTLE_S:-30} # how long repair may take here (it takes a few seconds)
CL=""       # the cluster directory of the part running
TINY=""     # the tmpfs of part 2

# tools/cluster CMD on $CL.
cl() {
    local cmd=$1 status=0
    shift
    step "tools/cluster $cmd ${CL#"$DIR"/} $*"
    "$CLUSTER" "$cmd" "$CL" "$@" 2>&1 | sed 's/^/    /' || status=$?
    ((status == 0)) || fail "tools/cluster $cmd $CL $* exited with status $status"
}

dfs_cli() {
    "$DFS_BIN" --master "$(cat "$CL/master.addr")" --secret-file "$CL/secret" "$@"
}

# The ids of FILE's 4 MiB slices into $LOCAL/ids.
chunk_ids() {
    rm -rf "$LOCAL/slices"
    mkdir "$LOCAL/slices"
    split -b "$CHUNK_SIZE" -a 3 "$1" "$LOCAL/slices/s"
    for f in "$LOCAL"/slices/s*; do chunk_id_of "$f"; done >"$LOCAL/ids"
}

# How many of the chunk servers K in "$@" hold chunk ID.
copies_of() {
    local id=$1 n=0 k
    shift
    for k in "$@"; do
        [[ -f $CL/chunk$k/chunks/${id:0:2}/$id ]] && n=$((n + 1))
    done
    echo "$n"
}

# Print "ID COUNT" for each chunk of $LOCAL/ids not on exactly 3 of the
# chunk servers K in "$@".
short_chunks() {
    local id n
    while read -r id; do
        n=$(copies_of "$id" "$@")
        ((n == 3)) || echo "$id $n"
    done <"$LOCAL/ids"
}

# The number K of the chunk server of $CL (of 4) holding the most chunks.
fullest_server() {
    local k best=1
    for k in 2 3 4; do
        if (($(find "$CL/chunk$k/chunks" -type f | wc -l) > \
            $(find "$CL/chunk$best/chunks" -type f | wc -l))); then
            best=$k
        fi
    done
    echo "$best"
}

# fsck_says VERDICT [ARGS]: dfs fsck ARGS prints VERDICT last, with exit
# status 0 for HEALTHY and 1 otherwise; its output is in $LOCAL/fsck.
fsck_says() {
    local want=$1 status=0 got
    shift
    dfs_cli fsck "$@" >"$LOCAL/fsck" 2>&1 || status=$?
    got=$(tail -n 1 "$LOCAL/fsck")
    [[ $got == "$want" ]] || fail "dfs fsck $*: expected $want, got:
$(cat "$LOCAL/fsck")"
    assert_eq "exit status of dfs fsck $* ($want)" \
        "$([[ $want == HEALTHY ]] && echo 0 || echo 1)" "$status"
}

# Wait until every chunk is on 3 of the servers in "$@" and the master
# counts none under-replicated.
wait_repaired() {
    local i bad under
    for ((i = 0; i < SETTLE_S * 4; i++)); do
        bad=$(short_chunks "$@")
        under=$(dfs_cli status | sed -n 's/.*(\([0-9]*\) under-replicated).*/\1/p')
        [[ -z $bad && $under == 0 ]] && return 0
        sleep 0.25
    done
    fail "not repaired within ${SETTLE_S}s; under-replicated: '$under'; chunks (id copies):
$bad"
}

# Part 2's cluster lives on a tmpfs: stop it before unmounting that.
part2_down() {
    [[ -n $TINY ]] || return 0
    "$CLUSTER" down "$DIR/full" >/dev/null 2>&1
    umount "$TINY"
    TINY=""
}
# The parts' own clusters, if a failure left them up (cleanup takes down
# only the one in DIR).
parts_down() {
    part2_down
    [[ -d $DIR/grow ]] && "$CLUSTER" down "$DIR/grow" >/dev/null 2>&1
    return 0
}
it_begin
# After it_begin, which sets its own EXIT trap.
trap 'st=$?; trap - ERR; set +e; parts_down; (exit "$st"); cleanup' EXIT

# ---- 1. a dead server ----
CL=$DIR
cl up -n 4
step "write a 40 MiB random file (10 chunks)"
random_file "$LOCAL/f" $((40 * 1024 * 1024))
cp "$LOCAL/f" "$MNT/f"
chunk_ids "$LOCAL/f"
assert_eq "chunks on 3 servers each" "" "$(short_chunks 1 2 3 4)"

victim=$(fullest_server)
held=$(while read -r id; do copies_of "$id" $victim; done <"$LOCAL/ids" |
    grep -c 1 || true)
((held > 0)) || fail "chunk$victim holds none of the file's chunks"
alive=$(for k in 1 2 3 4; do ((k == victim)) || printf '%s ' $k; done)
step "kill -9 chunk$victim ($held of the 10 chunks), pid $(cat "$CL/chunk$victim.pid")"
kill -9 "$(cat "$CL/chunk$victim.pid")"

step "wait until each chunk is on the 3 live servers ($alive)"
# shellcheck disable=SC2086  # one argument per server
wait_repaired $alive
grep -q "repair: copy chunk" "$DIR/master.log" ||
    fail "the master's log names no repair copy"
step "the file reads back identical with the page cache dropped"
drop_cache "$MNT/f"
assert_same_file "$LOCAL/f" "$MNT/f"
step "dfs fsck and dfs fsck --verify say HEALTHY"
fsck_says HEALTHY
fsck_says HEALTHY --verify /
grep -q "^1 files in 1 directories, 10 chunks" "$LOCAL/fsck" ||
    fail "fsck counted otherwise: $(cat "$LOCAL/fsck")"
step "chunk$victim comes back; the file still reads back identical"
cl restart
drop_cache "$MNT/f"
assert_same_file "$LOCAL/f" "$MNT/f"
step "its surplus copies are trimmed: each chunk on exactly 3 of the 4"
wait_repaired 1 2 3 4
grep -q "deleted surplus chunk" "$CL"/chunk*.log ||
    fail "no chunk server logged deleting a surplus chunk"

# ---- 1b. a drained server ----
drained=$(fullest_server)
node=$(cat "$CL/chunk$drained/node_id")
rest=$(for k in 1 2 3 4; do ((k == drained)) || printf '%s ' $k; done)
step "dfs drain of an unknown node fails and names it"
status=0
dfs_cli drain nosuchnode 2>"$LOCAL/drain.err" || status=$?
assert_eq "exit status" 1 "$status"
grep -q "nosuchnode" "$LOCAL/drain.err" ||
    fail "the error does not name the node: $(cat "$LOCAL/drain.err")"
step "dfs drain ${node:0:8} (chunk$drained, as dfs status shows it)"
dfs_cli drain "${node:0:8}" | sed 's/^/    /'
dfs_cli status | grep -q "^${node:0:8} .* draining " ||
    fail "dfs status does not show chunk$drained draining"
step "a file written now puts no chunk on chunk$drained"
random_file "$LOCAL/h" $((12 * 1024 * 1024))
cp "$LOCAL/h" "$MNT/h"
cp "$LOCAL/ids" "$LOCAL/ids.f"
chunk_ids "$LOCAL/h"
assert_eq "chunks of h on chunk$drained" 0 \
    "$(while read -r id; do copies_of "$id" "$drained"; done <"$LOCAL/ids" |
        grep -c 1 || true)"
cat "$LOCAL/ids.f" >>"$LOCAL/ids"
step "wait until each chunk of f and h is on 3 of the other servers ($rest)"
# shellcheck disable=SC2086  # one argument per server
wait_repaired $rest
dfs_cli status | grep -q "draining (done: safe to remove)" ||
    fail "dfs status does not say the drain is done: $(dfs_cli status)"
step "kill -9 chunk$drained: f and h read back identical, fsck says HEALTHY"
kill -9 "$(cat "$CL/chunk$drained.pid")"
drop_cache "$MNT/f" "$MNT/h"
assert_same_file "$LOCAL/f" "$MNT/f"
assert_same_file "$LOCAL/h" "$MNT/h"
for ((i = 0; i < SETTLE_S * 4; i++)); do # until the master sees it dead
    dfs_cli status | grep -q "^${node:0:8} .* DOWN " && break
    sleep 0.25
done
fsck_says HEALTHY --verify

# ---- 1c. a chunk file gone from a disk ----
cp "$LOCAL/ids.f" "$LOCAL/ids"
first=$(head -n 1 "$LOCAL/ids")
for k in $rest; do
    [[ -f $CL/chunk$k/chunks/${first:0:2}/$first ]] && break
done
step "delete chunk ${first:0:12} from chunk$k's disk: only --verify sees it"
rm "$CL/chunk$k/chunks/${first:0:2}/$first"
fsck_says HEALTHY
fsck_says DEGRADED --verify
grep -q "^/f: chunk 0 (${first:0:12}): copy missing" "$LOCAL/fsck" ||
    fail "fsck --verify did not name the missing copy: $(cat "$LOCAL/fsck")"
cl down

# ---- 2. a full disk, then a new server ----
CL=$DIR/full
TINY=$CL/chunk3
mkdir -p "$TINY"
step "chunk3 of a new cluster on a 6 MiB tmpfs (room for one chunk)"
mount -t tmpfs -o size=6m,mode=0700 dfs-it-repair "$TINY"
cl up -n 3
step "write a 16 MiB random file (4 chunks): chunk3 takes one at most"
random_file "$LOCAL/g" $((16 * 1024 * 1024))
cp "$LOCAL/g" "$CL/mnt/g"
chunk_ids "$LOCAL/g"
grep -q "2 of 3 copies stored" "$CL/mount.log" ||
    fail "the mount did not log a write with 2 of 3 copies"
short=$(short_chunks 1 2 3 | wc -l)
((short >= 3)) || fail "expected at least 3 chunks with 2 copies, got $short"
step "dfs fsck says DEGRADED and names the $short short chunks"
fsck_says DEGRADED
assert_eq "chunks named '2 of 3 copies'" "$short" \
    "$(grep -c '^/g: chunk [0-9]* ([0-9a-f]*): 2 of 3 copies$' "$LOCAL/fsck")"
sleep 2 # several repair runs, with no server that has room
assert_eq "chunks still short with no room anywhere" "$short" \
    "$(short_chunks 1 2 3 | wc -l)"
step "a fourth chunk server joins"
cl up -n 4
step "wait until each chunk is on 3 of the 4 servers"
wait_repaired 1 2 3 4
assert_eq "chunks copied to chunk4" "$short" \
    "$(while read -r id; do copies_of "$id" 4; done <"$LOCAL/ids" | grep -c 1)"
drop_cache "$CL/mnt/g"
assert_same_file "$LOCAL/g" "$CL/mnt/g"
step "dfs fsck --verify says HEALTHY"
fsck_says HEALTHY --verify

# The chunks repaired onto chunk4 are on chunk1, chunk2 and chunk4; the
# one chunk3 may have taken (two uploads at once can both fill its tmpfs,
# leaving it none) is on chunk1, chunk2 and chunk3.
step "kill -9 chunk1, chunk2 and chunk4: fsck says CORRUPT once they are dead"
for k in 1 2 4; do kill -9 "$(cat "$CL/chunk$k.pid")"; done
for ((i = 0; i < SETTLE_S * 4; i++)); do
    dfs_cli fsck >"$LOCAL/fsck" 2>&1 || true
    [[ $(tail -n 1 "$LOCAL/fsck") == CORRUPT ]] && break
    sleep 0.25
done
fsck_says CORRUPT
assert_eq "chunks with no live copy (the ones on chunk4)" "$short" \
    "$(grep -c '^/g: chunk [0-9]* ([0-9a-f]*): no live copy$' "$LOCAL/fsck")"
part2_down

# ---- 3. a new server gets its share ----
CL=$DIR/grow
cl up -n 3
step "write an 80 MiB random file (20 chunks): every server holds them all"
random_file "$LOCAL/k" $((80 * 1024 * 1024))
cp "$LOCAL/k" "$CL/mnt/k"
chunk_ids "$LOCAL/k"
assert_eq "chunks on 3 servers each" "" "$(short_chunks 1 2 3)"
step "a fourth server joins: chunks move to it, each keeping 3 copies"
cl up -n 4
for ((i = 0; i < SETTLE_S * 4; i++)); do
    moved=$(find "$CL/chunk4/chunks" -type f | wc -l)
    ((moved >= 8)) && [[ -z $(short_chunks 1 2 3 4) ]] && break
    sleep 0.25
done
((moved >= 8)) || fail "only $moved chunks moved to the new server"
assert_eq "chunks not on exactly 3 servers" "" "$(short_chunks 1 2 3 4)"
grep -q "balance: moving" "$CL/master.log" || fail "the master logged no move"
drop_cache "$CL/mnt/k"
assert_same_file "$LOCAL/k" "$CL/mnt/k"
fsck_says HEALTHY --verify
cl down
