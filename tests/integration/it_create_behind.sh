#!/usr/bin/env bash
# it_create_behind: open(O_CREAT) without O_EXCL of a name mount.dfs knows
# is free is answered at once, with an inode number reserved ahead, and
# the create rides to the master with the file's commit at close
# (fuse/setattr_behind.h).  The first mount's queue waits a minute here,
# so only a commit, an fsync or another master call can have sent a
# create.  Checks, through a second mount that caches nothing: that a
# file written and closed is there with the inode number, attributes and
# bytes the first mount gave; that an empty file waits for the next call
# and fsync sends it; that O_EXCL still asks the master; that a create
# the master refuses (another client made the name) fails the writer's
# close with EIO and leaves the other client's file alone; that reserved
# numbers survive a kill -9 of the master; that a range the master gave
# up costs one create and the next reserves anew; and that
# -o create_behind=false asks first.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# py SCRIPT ARGS...: run a Python snippet (open/fsync/close as a program
# would, with errors reported).
py() {
    python3 -c "$@"
}

# write_file PATH: open(PATH, "w"), write, close, as a careful program
# does; prints whether close() succeeded.
write_file() {
    py '
import sys
f = open(sys.argv[1], "w")
f.write("mine\n")
try:
    f.close()
    print("close ok")
except OSError as e:
    print("close failed: %s" % e.strerror)' "$1"
}

# release_range FIRST: a signed POST /v1/fs/release, as a client may send;
# prints the status line.
release_range() {
    python3 - "$ROOT/tests/integration" "$(cat "$DIR/master.addr")" \
        "$DIR/secret" "$1" <<'EOF'
import json, socket, sys
sys.path.insert(0, sys.argv[1])
import hostile
host, _, port = sys.argv[2].rpartition(":")
signer = hostile.Signer(open(sys.argv[3]).read())
body = json.dumps({"first": int(sys.argv[4])}).encode()
s = socket.create_connection((host, int(port)))
s.sendall(hostile.signed(signer, "POST", "/v1/fs/release", body))
print(s.recv(200).split(b"\r\n")[0].decode())
EOF
}

it_begin
trap 'st=$?; trap - ERR; set +e; unmount_second; (exit "$st"); cleanup' EXIT
export DFS_MOUNT_OPTS=setattr_delay_ms=60000,attr_timeout=30,entry_timeout=30
cluster_up
mount_second attr_timeout=0,entry_timeout=0,create_behind=false

step "(1) a file written and closed is at the master, as mount 1 shows it"
mkdir "$MNT/d"
echo hello >"$MNT/d/a"
assert_eq "bytes through mount 2" "hello" "$(cat "$MNT2/d/a")"
fmt='%i %a %u %g %s %X %Y %Z'
assert_eq "inode and attributes" "$(stat -c "$fmt" "$MNT/d/a")" \
    "$(stat -c "$fmt" "$MNT2/d/a")"

step "(2) an empty file waits for the next master call, which carries it"
: >"$MNT/d/empty"
ino=$(stat -c %i "$MNT/d/empty")
[[ ! -e $MNT2/d/empty ]] || fail "empty file at the master before any call"
mkdir "$MNT/d/sub" # a master call: carries the create ahead of itself
assert_eq "empty file after a call" "$ino 0" \
    "$(stat -c '%i %s' "$MNT2/d/empty")"

step "(3) fsync sends a create before the file is closed"
py '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o640)
os.fsync(fd)
print(os.path.exists(sys.argv[2]))
os.close(fd)' "$MNT/d/synced" "$MNT2/d/synced" >"$DIR/out"
assert_eq "visible through mount 2 while open" "True" "$(cat "$DIR/out")"
assert_eq "mode" "640" "$(stat -c %a "$MNT2/d/synced")"

step "(4) 300 files written with shell redirections, all there"
for ((i = 0; i < 300; i++)); do
    printf 'file %d\n' "$i" >"$MNT/d/f$i"
done
for ((i = 0; i < 300; i++)); do printf 'file %d\n' "$i"; done >"$LOCAL/want"
for ((i = 0; i < 300; i++)); do cat "$MNT2/d/f$i"; done >"$LOCAL/got"
assert_same_file "$LOCAL/want" "$LOCAL/got"
# Numbers come from one reserved range, in order.
assert_eq "consecutive inode numbers" "$(($(stat -c %i "$MNT/d/f0") + 299))" \
    "$(stat -c %i "$MNT/d/f299")"

step "(5) O_EXCL asks the master at open"
py '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
print(os.path.exists(sys.argv[2]))
os.close(fd)' "$MNT/d/excl" "$MNT2/d/excl" >"$DIR/out"
assert_eq "visible through mount 2 while open" "True" "$(cat "$DIR/out")"

step "(6) a name another client made meanwhile: the writer's close fails"
mkdir "$MNT/c" # mount 1 knows c whole (and empty) for 30 s
echo theirs >"$MNT2/c/x"
assert_eq "close" "close failed: Input/output error" "$(write_file "$MNT/c/x")"
assert_eq "the other client's file" "theirs" "$(cat "$MNT2/c/x")"
grep -q "create of 'x'.*failed at the master: File exists" "$DIR/mount.log" ||
    fail "the refused create is not in mount.log"

step "(7) reserved numbers outlive a kill -9 of the master"
before=$(stat -c %i "$MNT/d/f299")
kill -9 "$(cat "$DIR/master.pid")"
cluster restart
echo after >"$MNT/d/after"
assert_eq "next number of the same range" "$((before + 2))" \
    "$(stat -c %i "$MNT2/d/after")"
assert_eq "bytes" "after" "$(cat "$MNT2/d/after")"

step "(8) a range the master gave up: one create fails, the next reserves"
assert_eq "release" "HTTP/1.1 200 OK" "$(release_range "$(stat -c %i "$MNT/d/a")")"
assert_eq "close" "close failed: Input/output error" \
    "$(write_file "$MNT/d/lost")"
mkdir "$MNT/d8" # known whole (d no longer is: the refusal dropped it)
echo new >"$MNT/d8/new"
assert_eq "a file from a new range" "new" "$(cat "$MNT2/d8/new")"
[[ $(stat -c %i "$MNT2/d8/new") -gt $((before + 2)) ]] ||
    fail "the new file's number is not from a new range"

step "(9) -o create_behind=false: mount 2 asks the master at open"
# (mount 1 would not see it: it knows the root whole for 30 s)
mkdir "$MNT2/e"
: >"$MNT2/e/plain"
"$DFS_BIN" --master "$(cat "$DIR/master.addr")" --secret-file "$DIR/secret" \
    get /e/plain "$LOCAL/plain" || fail "mount 2's empty file is not at the master"

step "everything mount 1 made is there after unmounting it"
unmount_second
cluster down
cluster up
for ((i = 0; i < 300; i += 37)); do
    assert_eq "f$i" "file $i" "$(cat "$MNT/d/f$i")"
done
assert_eq "empty" "0" "$(stat -c %s "$MNT/d/empty")"
step "ok"
