#!/usr/bin/env bash
# it_mount_helper: the cluster mounted by mount(8), as an administrator
# does it: `mount -t dfs MASTER DIR -o ...` and `mount DIR` with an
# /etc/fstab line carrying the options fstab lines carry (_netdev, nofail,
# x-systemd.*).  mount(8) runs /sbin/mount.dfs SPEC DIR -o OPTIONS (rw and
# the fstab options but x-systemd.*, which stay with mount(8)); so that
# the test installs nothing, it runs in a private mount namespace where
# /usr/sbin (which /sbin points to) is a directory holding only a wrapper
# that records its arguments and runs the built mount.dfs, and /etc/fstab
# is the test's own file.  Data written through each mount reads back
# identical through the cluster's ordinary mount, and umount ends each
# (the helper went to the background and exits with it).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

command -v unshare >/dev/null || fail "unshare (util-linux) is needed"

it_begin
cluster_up
MASTER_ADDR=$(<"$DIR/master.addr")
mkdir -p "$DIR/sbin" "$DIR/by-type" "$DIR/by-fstab"
# The helper mount(8) finds: the built mount.dfs, with its arguments kept.
printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' \
    "$DIR/helper.args" "$MOUNT_BIN" >"$DIR/sbin/mount.dfs"
chmod 755 "$DIR/sbin/mount.dfs"
printf '%s %s dfs secret_file=%s,_netdev,nofail,x-systemd.requires=network-online.target 0 0\n' \
    "$MASTER_ADDR" "$DIR/by-fstab" "$DIR/secret" >"$DIR/fstab"
random_file "$LOCAL/a" $((CHUNK_SIZE + 4321))
random_file "$LOCAL/b" 777

# The steps in the namespace; each failure names itself on stderr.
in_namespace() {
    set -euo pipefail
    local d=$1 master=$2
    mount --bind "$d/sbin" /usr/sbin
    mount --bind "$d/fstab" /etc/fstab
    [[ -x /sbin/mount.dfs ]] || { echo "no /sbin/mount.dfs in the namespace" >&2; exit 1; }

    echo "    mount -t dfs $master $d/by-type -o secret_file=...,_netdev"
    mount -t dfs "$master" "$d/by-type" -o "secret_file=$d/secret,_netdev" ||
        { echo "mount -t dfs failed" >&2; exit 1; }
    findmnt -n -o FSTYPE "$d/by-type" | grep -qx 'fuse.dfs' ||
        { echo "$d/by-type is not a fuse.dfs mount" >&2; exit 1; }
    cp "$d/local/a" "$d/by-type/a"
    umount "$d/by-type" || { echo "umount $d/by-type failed" >&2; exit 1; }
    ! mountpoint -q "$d/by-type" || { echo "$d/by-type still mounted" >&2; exit 1; }

    echo "    mount $d/by-fstab (the fstab line)"
    mount "$d/by-fstab" || { echo "mount by the fstab line failed" >&2; exit 1; }
    findmnt -n -o FSTYPE "$d/by-fstab" | grep -qx 'fuse.dfs' ||
        { echo "$d/by-fstab is not a fuse.dfs mount" >&2; exit 1; }
    cmp "$d/local/a" "$d/by-fstab/a" ||
        { echo "a written through mount -t dfs differs through fstab's" >&2; exit 1; }
    cp "$d/local/b" "$d/by-fstab/b"
    umount "$d/by-fstab" || { echo "umount $d/by-fstab failed" >&2; exit 1; }
    ! mountpoint -q "$d/by-fstab" || { echo "$d/by-fstab still mounted" >&2; exit 1; }
}

step "in a private mount namespace: mount -t dfs, then mount by an fstab line"
status=0
unshare --mount --propagation private \
    bash -c "$(declare -f in_namespace); in_namespace \"\$@\"" _ \
    "$DIR" "$MASTER_ADDR" 2>&1 | sed 's/^/    /' || status=$?
((status == 0)) || fail "the steps in the mount namespace failed (status $status, see above)"

step "mount(8) ran the helper as SPEC DIR -o OPTIONS, twice"
sed 's/^/    /' "$DIR/helper.args"
assert_eq "helper runs" 2 "$(wc -l <"$DIR/helper.args")"
assert_eq "helper runs with SPEC DIR -o ...secret_file=..." 2 \
    "$(grep -c "^$MASTER_ADDR $DIR/by-[a-z]* -o .*secret_file=$DIR/secret" \
        "$DIR/helper.args")"

step "what each wrote reads back identical through the cluster's own mount"
drop_cache "$MNT/a" "$MNT/b"
assert_same_file "$LOCAL/a" "$MNT/a"
assert_same_file "$LOCAL/b" "$MNT/b"
step "neither mount is left in this namespace's table"
for m in "$DIR/by-type" "$DIR/by-fstab"; do
    ! awk -v m="$m" '$2 == m { found = 1 } END { exit !found }' /proc/mounts ||
        fail "$m is still in /proc/mounts"
done
step "ok"
