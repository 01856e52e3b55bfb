#!/usr/bin/env bash
# it_leases: directory leases (master/leases.h, fuse/dir_lease.h).  A
# mount filling a directory holds its lease, answers open(O_EXCL) and
# rename there itself and sends them with the next call, so a file
# written the way rsync writes it (temporary name, write, close, rename)
# costs one master call instead of three; while it holds the lease no
# other client changes a name there.  Checks, with a master that logs
# every call: that 50 such files cost under 2.5 calls each with leases and
# at least 3 each without; that another mount sees them all, under their
# final names; that a name made under a lease is taken for another
# mount's O_EXCL; that two mounts racing O_EXCL creates of the same names
# each win a name exactly once, and the file holds the winner's bytes;
# that another mount cannot remove a directory under a create answered
# there;
# that changes answered under a lease survive a kill -9 of the master;
# that a lease no longer used is given up while the mount works on;
# and that a mount killed while holding a lease does not block others.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# fs_calls: POST /v1/fs/... calls the master has logged so far.
fs_calls() {
    grep -c ' /v1/fs/' "$DIR/master.log" || true
}

# write_like_rsync DIR N: N files written as rsync does; prints nothing.
write_like_rsync() {
    python3 - "$1" "$2" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    tmp, final = os.path.join(d, ".f%d.XXXXXX" % i), os.path.join(d, "f%d" % i)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"file %d\n" % i)
    os.close(fd)
    os.chmod(tmp, 0o644)
    os.rename(tmp, final)
EOF
}

# calls_writing DIR N: write_like_rsync DIR N, and set CALLS to the master
# calls that cost.
calls_writing() {
    local before
    before=$(fs_calls)
    write_like_rsync "$1" "$2"
    CALLS=$(($(fs_calls) - before))
    step "    $CALLS master calls"
}

# written_all DIR N: the last of N files is there, and no temporary name.
written_all() {
    [[ -e $1/f$(($2 - 1)) && -z $(find "$1" -name '.f*') ]]
}

# assert_written DIR N: the N files of write_like_rsync, and nothing else,
# are in DIR (waiting up to 10 s for the last changes to arrive).
assert_written() {
    local d=$1 n=$2 i got
    wait_until written_all "$d" "$n"
    got=$(find "$d" -mindepth 1 | wc -l)
    assert_eq "names in $d" "$n" "$got"
    for ((i = 0; i < n; i++)); do
        assert_eq "$d/f$i" "file $i" "$(cat "$d/f$i")"
    done
}

it_begin
trap 'st=$?; trap - ERR; set +e; unmount_second; (exit "$st"); cleanup' EXIT
export DFS_MASTER_OPTS="--log-level debug"
cluster_up
mount_second
step "waiting out the master's first 2 s, when it grants no new leases"
sleep 2

step "(1) 50 files written as rsync does, under a lease: < 2.5 calls each"
mkdir "$MNT/L"
calls_writing "$MNT/L" 50
((CALLS < 125)) || fail "50 files cost $CALLS master calls with a lease"
grep -q "lease of directory $(stat -c %i "$MNT/L") to client" \
    "$DIR/master.log" || fail "the master granted no lease of L"
assert_written "$MNT2/L" 50

step "(2) without leases, 3 calls each (the measure above means something)"
unmount_second
mount_second "leases=false"
mkdir "$MNT2/L2"
calls_writing "$MNT2/L2" 50
((CALLS >= 150)) || fail "50 files cost only $CALLS calls without leases"
assert_written "$MNT/L2" 50
unmount_second
mount_second

step "(3) a name made under mount 1's lease is taken for mount 2's O_EXCL"
mkdir "$MNT/X"
python3 - "$MNT/X" "$MNT2/X" <<'EOF' >"$DIR/out"
import errno, os, sys
mine, theirs = sys.argv[1], sys.argv[2]
# the first O_EXCL takes the lease; the second is answered under it
os.close(os.open(os.path.join(mine, "first"), os.O_WRONLY | os.O_CREAT | os.O_EXCL))
fd = os.open(os.path.join(mine, "lock"), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
try:
    os.close(os.open(os.path.join(theirs, "lock"),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    print("mount 2 made it too")
except OSError as e:
    print(errno.errorcode[e.errno])
os.write(fd, b"mount 1\n")
os.close(fd)
EOF
assert_eq "mount 2's O_EXCL of X/lock" "EEXIST" "$(cat "$DIR/out")"
# mount 2 looked X/lock up before it had bytes: seen within attr_timeout
wait_until grep -qx "mount 1" "$MNT2/X/lock"
assert_eq "X/lock through mount 2" "mount 1" "$(cat "$MNT2/X/lock")"

step "(3b) mount 2 cannot rmdir a directory mount 1 has just created in"
mkdir "$MNT/E"
wait_until test -d "$MNT2/E"
python3 - "$MNT/E" "$MNT2/E" <<'EOF' >"$DIR/out"
import errno, os, sys
mine, theirs = sys.argv[1], sys.argv[2]
fd = os.open(os.path.join(mine, "f"), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
try:
    os.rmdir(theirs)
    print("removed")
except OSError as e:
    print(errno.errorcode[e.errno])
os.close(fd)
EOF
assert_eq "mount 2's rmdir of E" "ENOTEMPTY" "$(cat "$DIR/out")"
[[ -e $MNT2/E/f ]] || fail "E/f is not there"

step "(4) two mounts race O_EXCL creates of 60 names: each won exactly once"
mkdir "$MNT/R"
wait_until test -d "$MNT2/R"
# race DIR WHO ORDER: one racer, through names k0..k59 up or down, so the
# two meet half way and contend for the names there.
race() {
    python3 - "$1" "$2" "$3" <<'EOF'
import os, sys
d, who = sys.argv[1], sys.argv[2]
for i in (range(60) if sys.argv[3] == "up" else range(59, -1, -1)):
    try:
        fd = os.open(os.path.join(d, "k%d" % i),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        continue
    os.write(fd, who.encode())
    os.close(fd)
    print("k%d" % i)
EOF
}
race "$MNT/R" one up >"$DIR/won1" &
racer=$!
race "$MNT2/R" two down >"$DIR/won2" || {
    wait "$racer"
    fail "mount 2's racer failed"
}
wait "$racer" || fail "mount 1's racer failed"
step "    mount 1 won $(wc -l <"$DIR/won1"), mount 2 won $(wc -l <"$DIR/won2")"
assert_eq "names won twice" "" "$(sort "$DIR/won1" "$DIR/won2" | uniq -d)"
assert_eq "names won" 60 "$(sort -u "$DIR/won1" "$DIR/won2" | wc -l)"
while read -r k; do
    assert_eq "R/$k through mount 2" one "$(cat "$MNT2/R/$k")"
done <"$DIR/won1"
while read -r k; do
    assert_eq "R/$k through mount 1" two "$(cat "$MNT/R/$k")"
done <"$DIR/won2"

step "(5) changes answered under a lease survive a kill -9 of the master"
mkdir "$MNT/K"
write_like_rsync "$MNT/K" 20
kill -9 "$(cat "$DIR/master.pid")"
cluster restart
assert_written "$MNT2/K" 20
assert_written "$MNT/K" 20

step "(5b) a lease no longer used is given up while the mount works elsewhere"
mkdir "$MNT/U" "$MNT/V"
write_like_rsync "$MNT/U" 5
python3 - "$MNT/V" <<'EOF'
import os, sys, time
end, i = time.monotonic() + 1.5, 0
while time.monotonic() < end: # busy all along: the mount is never idle
    with open(os.path.join(sys.argv[1], "f%d" % i), "w") as f:
        f.write("v")
    i += 1
EOF
grep -q "lease of directory $(stat -c %i "$MNT/U") given up" "$DIR/master.log" ||
    fail "the lease of U was not given up while mount 1 wrote in V"

step "(6) a mount killed while it holds a lease holds nobody up for long"
mkdir "$MNT2/Z"
python3 - "$MNT2/Z/a" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL)
os.write(fd, b"a\n")
os.close(fd) # returns once the create and the commit are at the master
EOF
kill -9 "$MNT2_PID"
for ((i = 0; i < 50; i++)); do
    pid_alive "$MNT2_PID" || break
    sleep 0.1
done
# Z itself, made by mount 2, may take entry_timeout to appear to mount 1
# (a listing of the root mount 1 holds from (5b) says it is not there).
wait_until test -d "$MNT/Z"
start=$SECONDS
echo b >"$MNT/Z/b" # waits for the dead mount's lease to run out (2 s)
assert_eq "Z/b" b "$(cat "$MNT/Z/b")"
assert_eq "Z/a" a "$(cat "$MNT/Z/a")"
step "    mount 1's create waited $((SECONDS - start)) s"
