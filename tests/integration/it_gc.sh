#!/usr/bin/env bash
# it_gc: garbage collection (master/gc.h) and the writeback of files kept
# open (fuse/writeback.h), on a master with a 3 s grace and a mount that
# flushes a dirty file after 1 s.  Checks, against chunk ids computed
# independently (b2sum -l 256 of each 4 MiB slice) and found as files in
# the servers' data directories: that the chunks of a removed file are
# deleted from every server; that a chunk another file still refers to
# stays; that rewriting a file frees its old chunks only; that a writer
# keeping a file open is not robbed of a chunk a removed file shared with
# it; that a file kept open shows its data to another mount without a
# close; and that a bad --gc-grace-ms is refused.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

GRACE_MS=3000

# ids FILE: the chunk ids of FILE's bytes, one per line.
ids() {
    local f=$1 size i
    size=$(stat -c %s "$f")
    for ((i = 0; i * CHUNK_SIZE < size; i++)); do
        dd if="$f" bs="$CHUNK_SIZE" skip="$i" count=1 status=none |
            b2sum -l 256 | cut -d' ' -f1
    done
}

# copies ID: how many servers hold chunk ID.
copies() {
    find "$DIR"/chunk*/chunks -name "$1" -type f | wc -l
}

# wait_copies WANT FILE...: every chunk of the reference FILEs ends with
# WANT copies within 30 s.
wait_copies() {
    local want=$1 id i left
    shift
    for ((i = 0; i < 300; i++)); do
        left=0
        for id in $(for f in "$@"; do ids "$f"; done); do
            [[ $(copies "$id") == "$want" ]] || left=$((left + 1))
        done
        ((left == 0)) && return 0
        sleep 0.1
    done
    fail "$left chunks of $* do not have $want copies"
}

it_begin
trap 'st=$?; trap - ERR; set +e; unmount_second; (exit "$st"); cleanup' EXIT
export DFS_MASTER_OPTS="--gc-grace-ms $GRACE_MS"
export DFS_MOUNT_OPTS=writeback_s=1
cluster_up
mount_second attr_timeout=0,entry_timeout=0

step "(1) the chunks of a removed file are deleted from every server"
random_file "$LOCAL/gone" $((2 * CHUNK_SIZE + 1000))
random_file "$LOCAL/kept" $((CHUNK_SIZE + 77))
cp "$LOCAL/gone" "$MNT/gone"
cp "$LOCAL/kept" "$MNT/kept"
wait_copies 3 "$LOCAL/gone" "$LOCAL/kept"
rm "$MNT/gone"
wait_copies 0 "$LOCAL/gone"
wait_copies 3 "$LOCAL/kept"
assert_same_file "$LOCAL/kept" "$MNT2/kept"

step "(2) a chunk another file refers to stays"
cp "$LOCAL/kept" "$MNT/twin"
rm "$MNT/kept"
sleep $((2 * GRACE_MS / 1000 + 2))
wait_copies 3 "$LOCAL/kept"
assert_same_file "$LOCAL/kept" "$MNT2/twin"

step "(3) a rewritten file frees its old chunks, not its new ones"
random_file "$LOCAL/v1" $((CHUNK_SIZE + 5))
random_file "$LOCAL/v2" $((CHUNK_SIZE + 9))
cp "$LOCAL/v1" "$MNT/doc"
wait_copies 3 "$LOCAL/v1"
cp "$LOCAL/v2" "$MNT/doc"
wait_copies 0 "$LOCAL/v1"
wait_copies 3 "$LOCAL/v2"
assert_same_file "$LOCAL/v2" "$MNT2/doc"

step "(4) a writer holding a chunk a removed file shared keeps it"
# shared: one whole chunk; the writer writes it to "held" and keeps the
# file open well past the grace while "first", the other file with those
# bytes, is removed.
random_file "$LOCAL/shared" "$CHUNK_SIZE"
cp "$LOCAL/shared" "$MNT/first"
wait_copies 3 "$LOCAL/shared"
python3 - "$LOCAL/shared" "$MNT/held" "$DIR/written" \
    $((3 * GRACE_MS / 1000 + 3)) <<'EOF' &
import os, sys, time
data = open(sys.argv[1], "rb").read()
f = open(sys.argv[2], "wb")
f.write(data)
f.flush()
open(sys.argv[3], "w").close()  # tell the test the bytes are written
time.sleep(int(sys.argv[4]))
f.close()
EOF
writer=$!
for ((i = 0; i < 100; i++)); do
    [[ -e $DIR/written ]] && break
    sleep 0.1
done
[[ -e $DIR/written ]] || fail "the writer did not write within 10 s"
rm "$MNT/first"
wait "$writer" || fail "the writer failed"
assert_same_file "$LOCAL/shared" "$MNT2/held"
wait_copies 3 "$LOCAL/shared"

step "(5) a file kept open shows its data to another mount without a close"
python3 - "$MNT/log" "$MNT2/log" <<'EOF'
import sys, time
f = open(sys.argv[1], "w")
f.write("first line\n")
f.flush()
for _ in range(100):
    time.sleep(0.1)
    try:
        if open(sys.argv[2]).read() == "first line\n":
            break
    except FileNotFoundError:
        pass
else:
    sys.exit("the other mount never saw the line while the file was open")
f.close()
EOF

step "(6) a bad --gc-grace-ms is refused"
out=$("$MASTER_BIN" --data "$DIR/master" --gc-grace-ms -5 2>&1) &&
    fail "dfs-master accepted --gc-grace-ms -5"
[[ $out == *gc-grace-ms* ]] || fail "error does not name the flag: $out"
step "ok"
