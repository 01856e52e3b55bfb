#!/usr/bin/env bash
# it_restart: kill -9 the master; `tools/cluster restart` brings it back on
# the same port; the files are intact and the SAME mount keeps working (no
# remount); after down + up everything is still there; after kill -9 of
# mount.dfs, `tools/cluster restart` clears the dead mount and remounts.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

check_files() {
    local f
    for f in "$@"; do
        assert_same_file "$LOCAL/$f" "$MNT/$f"
    done
}

it_begin
cluster_up

step "write files"
random_file "$LOCAL/small" 1000
random_file "$LOCAL/multi" $((CHUNK_SIZE * 2 + 12345))
mkdir "$MNT/d" "$LOCAL/d"
random_file "$LOCAL/d/inner" 70000
for f in small multi d/inner; do cp "$LOCAL/$f" "$MNT/$f"; done
check_files small multi d/inner

master_pid=$(<"$DIR/master.pid")
mount_pid=$(<"$DIR/mount.pid")
master_addr=$(<"$DIR/master.addr")
step "kill -9 the master (pid $master_pid)"
kill -9 "$master_pid"
for ((i = 0; i < 50; i++)); do
    pid_alive "$master_pid" || break
    sleep 0.1
done
pid_alive "$master_pid" && fail "master $master_pid survived kill -9"

cluster restart
assert_eq "master address after restart" "$master_addr" "$(<"$DIR/master.addr")"
assert_eq "mount.dfs pid (no remount)" "$mount_pid" "$(<"$DIR/mount.pid")"

step "files intact through the same mount"
check_files small multi d/inner
step "a new write through the same mount"
random_file "$LOCAL/after" $((CHUNK_SIZE + 7))
cp "$LOCAL/after" "$MNT/after" ||
    fail "writing through the old mount after the master restart failed"
check_files after

cluster down
cluster up
step "everything still there after down + up"
check_files small multi d/inner after

mount_pid=$(<"$DIR/mount.pid")
step "kill -9 mount.dfs (pid $mount_pid)"
kill -9 "$mount_pid"
for ((i = 0; i < 50; i++)); do
    pid_alive "$mount_pid" || break
    sleep 0.1
done
cluster restart
step "files visible through the new mount"
check_files small multi d/inner after
