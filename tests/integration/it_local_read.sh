#!/usr/bin/env bash
# it_local_read: a mount on the chunk servers' host reads chunk files
# they hand over (common/local_chunk.h), not over TCP, and gets the same
# bytes. Checked here, on three real servers:
#   - a cold read through the mount is identical, the chunk servers log
#     the mount's pid as a local reader, and the mount keeps its
#     connections to them (ss -xp);
#   - -o local_reads=false reads the same bytes and never connects;
#   - after kill -9 and restart of every chunk server (the mount's pooled
#     connections are dead), an uncached file still reads back identical
#     and the mount connects to the new servers;
#   - a chunk server started with --local-reads=false serves HTTP only,
#     and a bad --local-reads value is refused with a message.
# Bytes that are not the chunk are refused on this path as on HTTP: see
# it_read_check, which now reads through it, and unit_local_read.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# local_readers NAME...: pids the named chunk servers' logs say connected.
local_readers() {
    local n
    for n in "$@"; do
        sed -n 's/.*local reads: pid \([0-9]*\) connected.*/\1/p' "$DIR/$n.log"
    done | sort -u
}

# Does pid hold a connected seqpacket socket (only local reads use one)?
holds_socket() {
    ss -xpn | grep '^u_seq *ESTAB' | grep -q "pid=$1,"
}

it_begin
trap 'st=$?; trap - ERR; set +e; unmount_second; (exit "$st"); cleanup' EXIT
cluster_up -n 3

step "write two 12 MiB files"
random_file "$LOCAL/a" $((12 * 1024 * 1024))
random_file "$LOCAL/b" $((12 * 1024 * 1024))
cp "$LOCAL/a" "$MNT/a"
cp "$LOCAL/b" "$MNT/b"

step "remount and read a cold: identical, through the chunk servers' files"
fusermount3 -u "$MNT"
cluster restart
drop_cache
mount_pid=$(cat "$DIR/mount.pid")
cmp "$LOCAL/a" "$MNT/a" || fail "a read back different"
local_readers chunk1 chunk2 chunk3 | grep -qx "$mount_pid" ||
    fail "no chunk server logged mount.dfs (pid $mount_pid) as a local reader"
holds_socket "$mount_pid" ||
    fail "mount.dfs holds no local read connection: $(ss -xpn | grep u_seq)"

step "-o local_reads=false: the same bytes, and no connection"
mount_second local_reads=false
cmp "$LOCAL/a" "$MNT2/a" || fail "a read back different with local_reads=false"
local_readers chunk1 chunk2 chunk3 | grep -qx "$MNT2_PID" &&
    fail "mount with local_reads=false connected as a local reader"
unmount_second

step "kill -9 every chunk server and restart them; b reads back identical"
for n in chunk1 chunk2 chunk3; do
    old_pid[${n#chunk}]=$(cat "$DIR/$n.pid")
    kill -9 "${old_pid[${n#chunk}]}"
done
for k in 1 2 3; do
    for ((i = 0; i < 50; i++)); do
        pid_alive "${old_pid[k]}" || break
        sleep 0.1
    done
done
: >"$DIR/chunk1.log"
: >"$DIR/chunk2.log"
: >"$DIR/chunk3.log"
cluster restart
cmp "$LOCAL/b" "$MNT/b" || fail "b read back different after the restart"
local_readers chunk1 chunk2 chunk3 | grep -qx "$mount_pid" ||
    fail "mount.dfs did not connect to the restarted chunk servers"

step "a chunk server with --local-reads=false has no socket"
kill -TERM "$(cat "$DIR/chunk3.pid")"
for ((i = 0; i < 50; i++)); do
    ss -xln | grep -qF "@dfs-chunkd@$(cat "$DIR/chunk3.addr")" || break
    sleep 0.1
done
DFS_CHUNKD_OPTS="--local-reads=false" cluster restart
ss -xln | grep -qF "@dfs-chunkd@$(cat "$DIR/chunk3.addr")" &&
    fail "chunk3 listens for local reads with --local-reads=false"
ss -xln | grep -qF "@dfs-chunkd@$(cat "$DIR/chunk1.addr")" ||
    fail "chunk1 does not listen for local reads"

step "a bad --local-reads value is refused"
if "$CHUNKD_BIN" --data "$DIR/chunk3" --master "$(cat "$DIR/master.addr")" \
    --secret-file "$DIR/secret" --local-reads=maybe 2>"$LOCAL/err"; then
    fail "dfs-chunkd accepted --local-reads=maybe"
fi
grep -q "local-reads" "$LOCAL/err" ||
    fail "the error does not name --local-reads: $(cat "$LOCAL/err")"
