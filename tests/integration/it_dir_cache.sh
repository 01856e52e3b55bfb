#!/usr/bin/env bash
# it_dir_cache: mount.dfs answers "no such name" itself in directories it
# knows whole (made or listed within entry_timeout).  Checks that this
# never hides a file: a second mount of the same cluster sees a file the
# first one made in a directory the second had already looked into, at
# most entry_timeout (1 s) late; open(O_CREAT) of such a file works even
# while the second mount still believes it absent (O_EXCL fails); files
# created, renamed over and removed in a fresh directory are found or
# absent as they should be; 300 small files written in a loop read back.
# Names it holds are answered too (with the inode and attributes its
# listing brought): after mount 2 has listed a directory by stat-ing its
# files, a file mount 1 replaces or rewrites is seen with its new inode
# and size within entry_timeout + attr_timeout; mount 1's own rename
# over, exchange and rewrite are seen at once.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# assert_absent PATH: stat must say "No such file or directory".
assert_absent() {
    local out
    if out=$(stat -c %n "$1" 2>&1); then
        fail "$1 exists, expected it absent"
    fi
    [[ $out == *"No such file or directory"* ]] ||
        fail "stat $1: expected ENOENT, got: $out"
}

# assert_content PATH TEXT
assert_content() {
    local got
    got=$(cat "$1" 2>&1) || fail "cannot read $1: $got"
    assert_eq "content of $1" "$2" "$got"
}

# py_open PATH FLAGS: open(2) with os.O_* flags, write nothing; prints
# "ok" or the errno name.
py_open() {
    python3 - "$1" "$2" <<'EOF'
import errno, os, sys
flags = 0
for f in sys.argv[2].split("|"):
    flags |= getattr(os, f)
try:
    os.close(os.open(sys.argv[1], flags, 0o644))
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
EOF
}

it_begin
# cleanup reads the exit status from $?; errexit must not stop the trap.
trap 'st=$?; trap - ERR; set +e; unmount_second; (exit "$st"); cleanup' EXIT
cluster_up
mount_second

# --- (1) another mount's file is seen within entry_timeout -----------------
step "mount 2 makes d1 and looks up d1/x (absent)"
mkdir "$MNT2/d1"
assert_absent "$MNT2/d1/x"
step "mount 1 creates d1/x"
echo hello >"$MNT/d1/x"
step "1.5 s later, mount 2 sees d1/x"
sleep 1.5
assert_content "$MNT2/d1/x" hello

step "mount 1 makes d2; mount 2 writes d2/mine and looks up d2/y (absent)"
mkdir "$MNT/d2"
sleep 1.5 # let mount 2's negative entry for d2 (if any) expire
echo mine >"$MNT2/d2/mine"
assert_absent "$MNT2/d2/y"
echo y >"$MNT/d2/y"
sleep 1.5
assert_content "$MNT2/d2/y" y
assert_content "$MNT2/d2/mine" mine

step "open(O_CREAT) in mount 2 of a file mount 1 just made opens it"
mkdir "$MNT2/d3"
assert_absent "$MNT2/d3/z"
assert_absent "$MNT2/d3/e"
echo original >"$MNT/d3/z"
echo original >"$MNT/d3/e"
assert_eq "O_CREAT|O_EXCL of d3/e" EEXIST "$(py_open "$MNT2/d3/e" 'O_WRONLY|O_CREAT|O_EXCL')"
assert_eq "O_CREAT of d3/z" ok "$(py_open "$MNT2/d3/z" 'O_WRONLY|O_CREAT')"
assert_content "$MNT2/d3/z" original
assert_eq "O_CREAT|O_TRUNC of d3/e" ok "$(py_open "$MNT2/d3/e" 'O_WRONLY|O_CREAT|O_TRUNC')"
assert_eq "size of d3/e after O_TRUNC" 0 "$(stat -c %s "$MNT2/d3/e")"

# --- (2) our own changes in a fresh directory --------------------------------
step "create, rename over, remove in a fresh directory"
T=$MNT/fresh
mkdir "$T"
for n in a b c; do echo "$n" >"$T/$n"; done
assert_eq "ls after creates" "a b c" "$(ls "$T" | xargs)"
for n in a b c; do assert_content "$T/$n" "$n"; done
assert_absent "$T/d"
mv "$T/a" "$T/b"
assert_absent "$T/a"
assert_content "$T/b" a
assert_eq "ls after mv a b" "b c" "$(ls "$T" | xargs)"
rm "$T/c"
assert_absent "$T/c"
assert_eq "ls after rm c" "b" "$(ls "$T" | xargs)"
echo again >"$T/c"
assert_content "$T/c" again
mkdir "$T/sub"
ln -s b "$T/link"
ln "$T/b" "$T/hard"
assert_eq "ls after mkdir, symlink, link" "b c hard link sub" "$(ls "$T" | xargs)"
assert_content "$T/link" a
assert_content "$T/hard" a
mv "$T/c" "$T/sub/moved"
assert_absent "$T/c"
assert_content "$T/sub/moved" again
rmdir "$T/sub" 2>/dev/null && fail "rmdir of a non-empty directory succeeded"
rm "$T/sub/moved"
rmdir "$T/sub"
assert_absent "$T/sub"
# rsync's pattern: O_EXCL temp file, then rename over the real name.
assert_eq "O_EXCL temp" ok "$(py_open "$T/.b.tmp" 'O_WRONLY|O_CREAT|O_EXCL')"
assert_eq "O_EXCL again" EEXIST "$(py_open "$T/.b.tmp" 'O_WRONLY|O_CREAT|O_EXCL')"
mv "$T/.b.tmp" "$T/b"
assert_absent "$T/.b.tmp"
assert_eq "size of b after rename over" 0 "$(stat -c %s "$T/b")"
assert_eq "final ls" "b hard link" "$(ls "$T" | xargs)"

step "mount 2 agrees on the fresh directory"
sleep 1.5
assert_eq "ls in mount 2" "b hard link" "$(ls "$MNT2/fresh" | xargs)"

# --- (3) many small files ------------------------------------------------------
step "write 300 small files in a new directory"
mkdir "$MNT/many"
for i in $(seq 1 300); do echo "$i" >"$MNT/many/f$i"; done
step "read them back"
assert_eq "file count" 300 "$(ls "$MNT/many" | wc -l)"
for i in $(seq 1 300); do
    got=$(cat "$MNT/many/f$i") || fail "cannot read many/f$i"
    [[ $got == "$i" ]] || fail "many/f$i holds '$got', expected '$i'"
done
sleep 1.5
assert_eq "file count in mount 2" 300 "$(ls "$MNT2/many" | wc -l)"
assert_content "$MNT2/many/f300" 300


# --- (4) names the cache holds ----------------------------------------------
# inode and size of PATH, as "INO SIZE"
ino_size() {
    stat -c '%i %s' "$1" || fail "cannot stat $1"
}

step "mount 1 writes 40 files in known/; mount 2 stats them all (a listing)"
mkdir "$MNT/known"
for i in $(seq 1 40); do echo "$i" >"$MNT/known/f$i"; done
sleep 1.5
for i in $(seq 1 40); do
    assert_eq "size of known/f$i in mount 2" "$((${#i} + 1))" \
        "$(stat -c %s "$MNT2/known/f$i")"
done
step "mount 1 replaces f1 (new inode) and rewrites f2; mount 2 sees both"
echo replaced-by-rename >"$MNT/known/.f1.new"
mv "$MNT/known/.f1.new" "$MNT/known/f1"
echo "rewritten in place" >"$MNT/known/f2"
want1=$(ino_size "$MNT/known/f1")
want2=$(ino_size "$MNT/known/f2")
sleep 2.5
assert_eq "f1 in mount 2" "$want1" "$(ino_size "$MNT2/known/f1")"
assert_eq "f2 in mount 2" "$want2" "$(ino_size "$MNT2/known/f2")"
assert_content "$MNT2/known/f1" replaced-by-rename

step "mount 1's own rename over, exchange and rewrite are seen at once"
for i in $(seq 3 40); do stat -c %i "$MNT/known/f$i" >/dev/null; done
echo over >"$MNT/known/.f3.new"
new3=$(stat -c %i "$MNT/known/.f3.new")
mv "$MNT/known/.f3.new" "$MNT/known/f3"
assert_eq "inode of f3 after mv over it" "$new3" "$(stat -c %i "$MNT/known/f3")"
i4=$(stat -c %i "$MNT/known/f4")
i5=$(stat -c %i "$MNT/known/f5")
python3 - "$MNT/known/f4" "$MNT/known/f5" <<'EOF' || fail "renameat2(RENAME_EXCHANGE) failed"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
if libc.renameat2(AT_FDCWD, sys.argv[1].encode(), AT_FDCWD,
                  sys.argv[2].encode(), RENAME_EXCHANGE) != 0:
    sys.exit(os.strerror(ctypes.get_errno()))
EOF
# The kernel's own dentries were updated by the calls; drop them, so
# the lookups below reach mount.dfs and its dir cache (fresh for 1 s
# after the stats above; on a slower machine the master answers).  ls -l
# first, so the mount holds every inode's attributes again (a rename
# dropped them) and answers from the names it holds.
ls -l "$MNT/known" >/dev/null
sync
echo 2 >/proc/sys/vm/drop_caches
assert_eq "inode of f3 after mv over it" "$new3" "$(stat -c %i "$MNT/known/f3")"
assert_eq "inode of f4 after exchange" "$i5" "$(stat -c %i "$MNT/known/f4")"
assert_eq "inode of f5 after exchange" "$i4" "$(stat -c %i "$MNT/known/f5")"
assert_content "$MNT/known/f4" 5
echo "a longer line than before" >"$MNT/known/f6"
assert_eq "size of f6 after rewrite" 26 "$(stat -c %s "$MNT/known/f6")"

unmount_second
