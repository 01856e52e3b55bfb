#!/usr/bin/env bash
# it_read_check: reads are checked, and a bad copy is never returned.
# A 12 MiB file has 3 chunks on 3 chunk servers. On disk, behind the
# servers' backs: every copy of chunk 0 gets a flipped byte (its stored
# checksum no longer matches), two of three copies of chunk 1 likewise,
# and the checksum xattr of every copy of chunk 2 is removed (as for
# chunks stored before checksums were kept). Then, from a fresh mount:
# chunk 0 reads fail with EIO and the log names the bad copies; chunks 1
# and 2 read back identical; the same with -o verify=strict, and with
# `dfs get` (which fails, since chunk 0 has no good copy).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

# The data files of chunk ID over the three servers.
copies_of() {
    local k
    for ((k = 1; k <= 3; k++)); do
        [[ -f $DIR/chunk$k/chunks/${1:0:2}/$1 ]] && echo "$DIR/chunk$k/chunks/${1:0:2}/$1"
    done
    return 0
}

flip_byte() {
    printf '\xff\x00\xff' | dd of="$1" bs=1 seek=1000 conv=notrunc status=none
}

# read_part FILE CHUNK OUT: chunk CHUNK's 4 MiB of FILE into OUT.
read_part() {
    dd if="$1" of="$3" bs=1M skip=$(($2 * 4)) count=4 status=none
}

check_mount() {
    local m=$1 what=$2
    step "$what: chunks 1 and 2 read back identical"
    read_part "$m/f" 1 "$LOCAL/got1" || fail "$what: reading chunk 1 failed"
    read_part "$m/f" 2 "$LOCAL/got2" || fail "$what: reading chunk 2 failed"
    assert_same_file "$LOCAL/want1" "$LOCAL/got1"
    assert_same_file "$LOCAL/want2" "$LOCAL/got2"
    step "$what: chunk 0 has no good copy: EIO, no bytes"
    if read_part "$m/f" 0 "$LOCAL/got0" 2>"$LOCAL/err0"; then
        fail "$what: reading chunk 0 succeeded from three corrupt copies"
    fi
    grep -q "Input/output error" "$LOCAL/err0" ||
        fail "$what: expected EIO for chunk 0, got: $(cat "$LOCAL/err0")"
}

it_begin
trap 'st=$?; trap - ERR; set +e; unmount_second; (exit "$st"); cleanup' EXIT
cluster_up -n 3

step "write a 12 MiB file (3 chunks, 3 copies each)"
random_file "$LOCAL/f" $((12 * 1024 * 1024))
cp "$LOCAL/f" "$MNT/f"
for c in 0 1 2; do
    read_part "$LOCAL/f" $c "$LOCAL/want$c"
    ids[c]=$(chunk_id_of "$LOCAL/want$c")
    assert_eq "copies of chunk $c" 3 "$(copies_of "${ids[c]}" | wc -l)"
done

step "every copy keeps its checksum"
for f in $(copies_of "${ids[0]}"); do
    python3 -c 'import os,sys; assert len(os.getxattr(sys.argv[1], "user.dfs.check")) == 16' "$f" ||
        fail "$f has no 16-byte user.dfs.check xattr"
done

step "rot every copy of chunk 0 and two of chunk 1; drop chunk 2's checksums"
for f in $(copies_of "${ids[0]}"); do flip_byte "$f"; done
for f in $(copies_of "${ids[1]}" | head -2); do flip_byte "$f"; done
for f in $(copies_of "${ids[2]}"); do
    python3 -c 'import os,sys; os.removexattr(sys.argv[1], "user.dfs.check")' "$f"
done

step "remount, so nothing is served from mount.dfs's cache"
fusermount3 -u "$MNT"
cluster restart
drop_cache
check_mount "$MNT" "verify=fast"
grep -q "chunk ${ids[0]:0:12} from .*not the chunk id" "$DIR/mount.log" ||
    fail "mount.log does not name the corrupt copies of chunk ${ids[0]:0:12}"

mount_second verify=strict
check_mount "$MNT2" "verify=strict"
unmount_second

step "dfs get refuses the file (chunk 0 has no good copy)"
if "$DFS_BIN" --master "$(cat "$DIR/master.addr")" --secret-file "$DIR/secret" \
    get /f "$LOCAL/copy" 2>"$LOCAL/get.err"; then
    fail "dfs get succeeded with three corrupt copies of chunk 0"
fi
step "dfs get said: $(head -1 "$LOCAL/get.err")"
