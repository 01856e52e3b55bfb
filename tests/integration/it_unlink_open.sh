#!/usr/bin/env bash
# it_unlink_open: a file unlinked while open keeps working through its
# open descriptors until the last one closes, as on a local file system
# (tmpfile(3) and many temp-file patterns rely on it): writes after the
# unlink, fsync, and reads back are all intact; the name is gone at once;
# a hidden name (.dfs-unlinked-*) holds the file meanwhile and is gone
# after the last close. The same sequence runs in a local directory as the
# reference. Unlinking one of two hard links and an unlink with nothing
# open stay plain unlinks.  A file replaced by rename(2) while open (an
# editor saving over a file someone reads, a log rotated under its
# writer) keeps working the same way.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# run_case DIR: the sequence, printing what it saw (compared across dirs)
run_case() {
    python3 - "$1" <<'PY'
import os, sys
d = sys.argv[1]
p = os.path.join(d, "scratch")
fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, b"a" * 3000000)
os.unlink(p)
print("exists after unlink:", os.path.exists(p))
os.write(fd, b"b" * 6000000)            # two more chunks' worth
os.fsync(fd)
fd2 = os.dup(fd)
os.lseek(fd2, 0, os.SEEK_SET)
data = b""
while True:
    piece = os.read(fd2, 1 << 20)
    if not piece:
        break
    data += piece
print("read back ok:", data == b"a" * 3000000 + b"b" * 6000000)
print("size:", os.fstat(fd).st_size)
os.close(fd2)
os.close(fd)
print("visible names:", sorted(n for n in os.listdir(d) if not n.startswith(".dfs-unlinked-")))
PY
}

# run_rename_case DIR: rename over a file open for writing
run_rename_case() {
    python3 - "$1" <<'PY'
import os, sys
d = sys.argv[1]
p, new = os.path.join(d, "target"), os.path.join(d, "new")
fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, b"a" * 3000000)
with open(new, "wb") as f:
    f.write(b"replacement")
os.rename(new, p)
with open(p, "rb") as f:
    print("name has the new file:", f.read() == b"replacement")
os.write(fd, b"b" * 6000000)
os.fsync(fd)
with os.fdopen(os.dup(fd), "rb") as f:  # read() loops to the end
    f.seek(0)
    data = f.read()
print("old file read back ok:", data == b"a" * 3000000 + b"b" * 6000000)
os.close(fd)
print("visible names:", sorted(n for n in os.listdir(d) if not n.startswith(".dfs-unlinked-")))
PY
}

it_begin
cluster_up -n 3
mkdir -p "$LOCAL/ref" "$MNT/t"

step "open, unlink, write, fsync, read back: local reference"
run_case "$LOCAL/ref" >"$LOCAL/ref.out"
cat "$LOCAL/ref.out"
step "the same in dfs"
run_case "$MNT/t" >"$LOCAL/dfs.out"
cat "$LOCAL/dfs.out"
diff "$LOCAL/ref.out" "$LOCAL/dfs.out" || fail "dfs behaved differently from a local directory"
grep -q "read back ok: True" "$LOCAL/dfs.out" || fail "data written after unlink was lost"

step "no hidden name is left after the last close"
leftover=$(find "$MNT/t" -name '.dfs-unlinked-*' | wc -l)
assert_eq "hidden names left" 0 "$leftover"

step "while open, the file lives on under a hidden name"
exec 7>"$MNT/t/held"
rm "$MNT/t/held"
[[ ! -e $MNT/t/held ]] || fail "unlinked name still visible"
assert_eq "hidden names while open" 1 "$(find "$MNT/t" -name '.dfs-unlinked-*' | wc -l)"
exec 7>&-
sleep 0.2 # release is asynchronous to close(2)
assert_eq "hidden names after close" 0 "$(find "$MNT/t" -name '.dfs-unlinked-*' | wc -l)"

step "hard link: unlinking one name is a plain unlink"
echo data >"$MNT/t/h1"
ln "$MNT/t/h1" "$MNT/t/h2"
exec 7<"$MNT/t/h1"
rm "$MNT/t/h1"
assert_eq "hidden names with another link left" 0 "$(find "$MNT/t" -name '.dfs-unlinked-*' | wc -l)"
exec 7<&-
assert_eq "other link's content" data "$(cat "$MNT/t/h2")"

step "rename over an open file: local reference, then dfs"
mkdir -p "$LOCAL/rref" "$MNT/r"
run_rename_case "$LOCAL/rref" >"$LOCAL/rref.out"
cat "$LOCAL/rref.out"
run_rename_case "$MNT/r" >"$LOCAL/rdfs.out"
cat "$LOCAL/rdfs.out"
diff "$LOCAL/rref.out" "$LOCAL/rdfs.out" ||
    fail "dfs behaved differently from a local directory"
grep -q "old file read back ok: True" "$LOCAL/rdfs.out" ||
    fail "data written after the rename was lost"
sleep 0.2 # release is asynchronous to close(2)
assert_eq "hidden names after close" 0 "$(find "$MNT/r" -name '.dfs-unlinked-*' | wc -l)"

