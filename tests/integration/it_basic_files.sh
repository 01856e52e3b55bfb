#!/usr/bin/env bash
# it_basic_files: files of 0, 1, one chunk and one chunk + 1 byte, copied in
# with cp, read back identical; and still identical after the cluster is
# taken down and brought up again, and through a mount made the way
# mount(8) does it (mount.dfs without -f returns once the mount is ready).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

SIZES=(0 1 $CHUNK_SIZE $((CHUNK_SIZE + 1)))

check_all() {
    local size
    for size in "${SIZES[@]}"; do
        assert_same_file "$LOCAL/f$size" "$MNT/f$size"
        assert_eq "size of $MNT/f$size" "$size" "$(stat -c %s "$MNT/f$size")"
    done
}

it_begin
cluster_up

for size in "${SIZES[@]}"; do
    step "cp a random file of $size bytes"
    random_file "$LOCAL/f$size" "$size"
    cp "$LOCAL/f$size" "$MNT/f$size"
done
step "compare (cmp, sha256sum)"
check_all

cluster down
cluster up
step "compare again after down + up"
check_all

step "unmount; mount.dfs without -f (mount(8) style)"
fusermount3 -u "$MNT"
"$MOUNT_BIN" "$(<"$DIR/master.addr")" "$MNT" -o "secret_file=$DIR/secret,_netdev,nofail" ||
    fail "mount.dfs (daemonizing) exited with status $?"
mountpoint -q "$MNT" || fail "mount.dfs returned but $MNT is not mounted"
check_all
