#!/usr/bin/env bash
# it_setattr_behind: chmod, chown and utimes are answered by mount.dfs at
# once and reach the master with its next call or within
# setattr_delay_ms (fuse/setattr_behind.h).  The first mount's queue
# waits a minute here, so only what should carry a change can have sent
# it.  Checks, through the other mount, one that has not looked at the
# files yet: that the next master call carries every change; that fsync
# and fsync of a directory send them; that a change never overtakes a
# later write's mtime, nor a write an earlier utimes; that rsync -a keeps
# modes and times as the master sees them; that unmounting sends what is
# queued; that a change the master refuses (the file was removed by
# another client) is logged while the call carrying it still goes
# through; and that with the default delay a change arrives by itself.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

OLD=981173106 # 2001-02-03 04:05:06 UTC

# wait_stat PATH FORMAT WANT: stat -c FORMAT PATH becomes WANT within 10 s.
wait_stat() {
    local got i
    for ((i = 0; i < 100; i++)); do
        got=$(stat -c "$2" "$1" 2>&1) || true
        [[ $got == "$3" ]] && return 0
        sleep 0.1
    done
    fail "stat -c '$2' $1: want '$3', got '$got'"
}

# path, type, mode, whole-second mtime, and size for files (a directory's
# size is the file system's own)
listing() {
    (cd "$1" && find . ! -type d -printf '%P %y %m %Ts %s\n' &&
        find . -type d -printf '%P %y %m %Ts\n') | sort
}

it_begin
trap 'st=$?; trap - ERR; set +e; unmount_second; (exit "$st"); cleanup' EXIT
# Long caches on the first mount: in part 6 it must answer a chmod from
# what it holds.  The second mount caches nothing: it shows what the
# master has.
export DFS_MOUNT_OPTS=setattr_delay_ms=60000,attr_timeout=30,entry_timeout=30
cluster_up
mount_second attr_timeout=0,entry_timeout=0
# For part 7: a directory mount 1 knows by name but has never listed, so it
# asks the master for names in it (its 30 s caches would hide new ones in
# a directory it knows whole).
mkdir "$MNT2/p7"
stat "$MNT/p7" >/dev/null

step "(1) chmod, chown, touch -d on mount 1 ride with its next call"
echo one >"$MNT/f1"
chmod 640 "$MNT/f1"
chown 1234:5678 "$MNT/f1"
touch -m -d "@$OLD" "$MNT/f1"
assert_eq "mount 1 answers at once" "640 1234 5678 $OLD" \
    "$(stat -c '%a %u %g %Y' "$MNT/f1")"
assert_eq "queued, not sent" "644 0 0" "$(stat -c '%a %u %g' "$MNT2/f1")"
mkdir "$MNT/d1" # a master call: carries the queue
wait_stat "$MNT2/f1" '%a %u %g %Y' "640 1234 5678 $OLD"

step "(2) fsync sends a chmod before it returns"
echo two >"$MNT/f2"
python3 - "$MNT/f2" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fchmod(fd, 0o604)
os.fsync(fd)
os.close(fd)
EOF
assert_eq "mode seen by mount 2 right after fsync" 604 "$(stat -c %a "$MNT2/f2")"

step "(3) a write after touch -d gets a new mtime; touch -d after a write keeps its"
echo three >"$MNT/f3"
touch -m -d "@$OLD" "$MNT/f3"
echo more >>"$MNT/f3"
echo four >"$MNT/f4"
touch -m -d "@$OLD" "$MNT/f4"
mkdir "$MNT/d3" # carries f4's utimes
m3=$(stat -c %Y "$MNT2/f3")
((m3 > OLD + 86400)) || fail "f3: the write's mtime lost to an earlier touch -d ($m3)"
assert_eq "f3 content" "three
more" "$(cat "$MNT2/f3")"
wait_stat "$MNT2/f4" %Y "$OLD"

step "(4) rsync -a keeps modes and times, as the master has them"
mkdir -p "$LOCAL/src/sub"
for i in $(seq 1 40); do echo "file $i" >"$LOCAL/src/sub/f$i"; done
chmod 600 "$LOCAL/src/sub/f1"
chmod 755 "$LOCAL/src/sub/f2"
chmod 700 "$LOCAL/src/sub"
touch -d "@$OLD" "$LOCAL/src/sub/f3"
rsync -a "$LOCAL/src/" "$MNT/rs/"
# the directories' times are still queued: nothing came after them
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$MNT/rs"
out=$(diff <(listing "$LOCAL/src") <(listing "$MNT2/rs")) ||
    fail "mount 2 sees other modes or times (< source, > dfs):
$(head -n 20 <<<"$out")"

step "(5) unmounting sends what is still queued"
echo six >"$MNT/f6"
chmod 611 "$MNT/f6"
fusermount3 -u "$MNT"
wait_stat "$MNT2/f6" %a 611
cluster restart

step "(6) a change the master refuses is logged; the next call goes through"
echo seven >"$MNT/f7"
stat "$MNT/f7" >/dev/null # mount 1 now holds f7's attributes for 30 s
rm "$MNT2/f7"
chmod 600 "$MNT/f7" # answered from the cache, refused by the master
mkdir "$MNT/after-refusal" # carries the chmod to the master
wait_stat "$MNT2/after-refusal" %F directory
grep "already answered, failed at the master" "$DIR/mount.log" ||
    fail "no log line for the refused chmod (see mount.log)"

step "(7) with the default delay a change arrives by itself"
echo eight >"$MNT2/p7/f8"
chmod 600 "$MNT2/p7/f8"
sleep 1 # the delay is 5 ms
assert_eq "mode seen by mount 1, which never looked before" 600 \
    "$(stat -c %a "$MNT/p7/f8")"
