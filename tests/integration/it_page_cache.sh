#!/usr/bin/env bash
# it_page_cache: the kernel keeps a file's cached pages across opens while
# the file is unchanged, and drops them at the next open once it changed
# anywhere (fuse/kernel_cache.h).  A file read through mount 1 is still
# cached after a new open (fincore, which opens the file, finds its
# pages); with -o keep_cache=false that open drops them.  Changes made
# through mount 2 (an overwrite of the same size with the old mtime put
# back, so only the content tells; a truncate; an append), and through
# mount 1 itself (a write, a truncate), are each seen by mount 1's next
# open, byte for byte, although it held the old pages.
# Then mount 2 rewrites a file over and over while mount 1 reads it in a
# loop: every read must be one whole version (no page of another), and
# the read after the last close the last version.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# resident FILE: bytes of FILE in the page cache (fincore opens it)
resident() {
    fincore --bytes --noheadings --output RES "$1" | tr -d ' '
}

# read_cached FILE: read FILE through mount 1 and check it was kept cached
read_cached() {
    cat "$1" >/dev/null
    local res
    res=$(resident "$1")
    ((res > 0)) || fail "$1: no page of it cached right after a read"
}

# same_size_rewrite FILE OFFSET BYTES: overwrite in place, then put the
# old mtime back, so size and times are what they were
same_size_rewrite() {
    python3 - "$@" <<'EOF'
import os, sys
path, off, data = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
st = os.stat(path)
with open(path, "r+b") as f:
    f.seek(off)
    f.write(data)
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
EOF
}

it_begin
trap 'st=$?; trap - ERR; set +e; unmount_second; (exit "$st"); cleanup' EXIT
cluster_up -n 3
mount_second

step "a file read through mount 1 stays cached across its next open"
random_file "$LOCAL/f" $((8 * 1024 * 1024 + 5))
cp "$LOCAL/f" "$MNT/f"
read_cached "$MNT/f"
res=$(resident "$MNT/f")
assert_eq "bytes cached after a second open" $((8 * 1024 * 1024 + 4096)) "$res"
assert_same_file "$LOCAL/f" "$MNT/f"

step "mount 2 rewrites 4 bytes in place, size and mtime unchanged"
wait_until test -e "$MNT2/f"
mtime=$(stat -c %Y "$MNT/f")
same_size_rewrite "$MNT2/f" 5000000 "DFS!"
printf 'DFS!' | dd of="$LOCAL/f" bs=1 seek=5000000 conv=notrunc status=none
assert_eq "mtime through mount 2" "$mtime" "$(stat -c %Y "$MNT2/f")"
assert_same_file "$LOCAL/f" "$MNT/f"
read_cached "$MNT/f"

step "mount 2 truncates, then appends"
truncate -s 3000000 "$MNT2/f" "$LOCAL/f"
assert_same_file "$LOCAL/f" "$MNT/f"
read_cached "$MNT/f"
printf 'tail' | tee -a "$MNT2/f" >>"$LOCAL/f"
assert_same_file "$LOCAL/f" "$MNT/f"

step "mount 1's own write and truncate, read back through mount 1"
read_cached "$MNT/f"
printf 'head' | dd of="$MNT/f" bs=1 seek=10 conv=notrunc status=none
printf 'head' | dd of="$LOCAL/f" bs=1 seek=10 conv=notrunc status=none
assert_same_file "$LOCAL/f" "$MNT/f"
assert_same_file "$LOCAL/f" "$MNT2/f"
truncate -s 100 "$MNT/f" "$LOCAL/f"
assert_same_file "$LOCAL/f" "$MNT/f"
assert_same_file "$LOCAL/f" "$MNT2/f"

step "a file open on mount 1 while mount 2 changes it: the next open sees it"
random_file "$LOCAL/g" 100000
cp "$LOCAL/g" "$MNT/g"
read_cached "$MNT/g"
exec 7<"$MNT/g"
wait_until test -e "$MNT2/g"
same_size_rewrite "$MNT2/g" 0 "XXXX"
printf 'XXXX' | dd of="$LOCAL/g" bs=1 conv=notrunc status=none
assert_same_file "$LOCAL/g" "$MNT/g"
exec 7<&-

step "mount 2 rewrites a file in place 60 times while mount 1 reads it in a loop"
python3 - "$MNT/v" "$MNT2/v" <<'PY'
import hashlib, os, sys, threading
reader_path, writer_path = sys.argv[1], sys.argv[2]

def version(v):
    """Version v: its number, then bytes it fixes.  All of one size (two
    chunks), so only the content tells them apart."""
    size = 4_206_649
    block = hashlib.sha256(b"%d" % v).digest()
    return (b"%08d" % v + block * (size // 32 + 1))[:size]

with open(writer_path, "wb") as f:
    f.write(version(0))
done = threading.Event()

def write_versions():
    for v in range(1, 61):
        with open(writer_path, "r+b") as f:  # in place: no size change
            f.write(version(v))
    done.set()

while not os.path.exists(reader_path):  # another mount's name: <= 1 s
    pass
writer = threading.Thread(target=write_versions)
writer.start()
reads, seen, last = 0, set(), -1
while True:
    finished = done.is_set()
    with open(reader_path, "rb") as f:
        data = f.read()
    reads += 1
    v = int(data[:8])
    if data != version(v):
        sys.exit("read %d: not one whole version %d (%d bytes)" % (reads, v, len(data)))
    seen.add(v)
    last = v
    if finished:
        break
writer.join()
if last != 60:
    sys.exit("after the last close the read was version %d, not 60" % last)
print("%d reads, %d versions seen whole" % (reads, len(seen)))
PY

step "with -o keep_cache=false every open drops the pages"
unmount_second
mount_second "keep_cache=false"
cat "$MNT2/g" >/dev/null
assert_eq "bytes cached after another open" 0 "$(resident "$MNT2/g")"
assert_same_file "$LOCAL/g" "$MNT2/g"
