#!/usr/bin/env bash
# it_netns_read: local reads stay on their host. A chunk server runs in
# a network namespace of its own (a second "host", reached over a veth
# pair); the master and a mount run in this one. The mount reads a file
# back identical over HTTP, and the server logs no local reader: its
# abstract socket is not in the mount's namespace, although the address
# is reachable. A second mount inside the server's namespace reads the
# same file through the server's chunk files, and the server logs its pid.
# Skipped where network namespaces cannot be made.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

NS=dfs-it-$$
VETH=dfsv$$
NS_PID_FILE=""

# Tear down the namespace, its mount and the veth pair (idempotent).
netns_down() {
    if [[ -n $NS_PID_FILE && -s $NS_PID_FILE ]]; then
        local pid
        pid=$(<"$NS_PID_FILE")
        if pid_alive "$pid"; then kill "$pid" 2>/dev/null || true; fi
    fi
    ip link del "$VETH" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    return 0
}

trap netns_down EXIT # until it_begin has made the cluster directory
if ! ip netns add "$NS" 2>/dev/null ||
    ! ip link add "$VETH" type veth peer name "${VETH}n" netns "$NS" 2>/dev/null; then
    echo "[$TEST] SKIP: cannot make a network namespace and a veth pair here"
    exit 77
fi
it_begin
trap 'st=$?; trap - ERR; set +e; netns_down; (exit "$st"); cleanup' EXIT
NS_PID_FILE=$DIR/mount_ns.pid

# 10.X.Y.0/30 from our pid: two tests at once do not collide.
NET="10.$((200 + $$ % 50)).$((($$ / 50) % 250))"
HOST_IP=$NET.1
NS_IP=$NET.2

step "a second host: namespace $NS at $NS_IP, this one at $HOST_IP"
ip addr add "$HOST_IP/30" dev "$VETH"
ip link set "$VETH" up
ip -n "$NS" addr add "$NS_IP/30" dev "${VETH}n"
ip -n "$NS" link set "${VETH}n" up
ip -n "$NS" link set lo up

# wait_file FILE WHAT: until FILE is not empty, 10 s at most.
wait_file() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $1 ]] && return 0
        sleep 0.1
    done
    fail "$2 did not start (no $1)"
}

step "master here (one copy per chunk), a chunk server in $NS"
"$MASTER_BIN" --init --data "$DIR/master" --secret-file "$DIR/secret" \
    --replication 1 >>"$DIR/master.log" 2>&1
"$MASTER_BIN" --data "$DIR/master" --listen "$HOST_IP:0" \
    --addr-file "$DIR/master.addr" --secret-file "$DIR/secret" \
    >>"$DIR/master.log" 2>&1 &
echo $! >"$DIR/master.pid"
wait_file "$DIR/master.addr" "dfs-master"
MASTER=$(<"$DIR/master.addr")
mkdir -p "$DIR/chunk1"
ip netns exec "$NS" "$CHUNKD_BIN" --data "$DIR/chunk1" --master "$MASTER" \
    --listen "$NS_IP:0" --addr-file "$DIR/chunk1.addr" \
    --secret-file "$DIR/secret" >>"$DIR/chunk1.log" 2>&1 &
echo $! >"$DIR/chunk1.pid"
wait_file "$DIR/chunk1.addr" "dfs-chunkd in $NS"
for ((i = 0; i < 100; i++)); do
    "$DFS_BIN" --master "$MASTER" --secret-file "$DIR/secret" nodes 2>/dev/null |
        grep -qF "$NS_IP:" && break
    sleep 0.1
done
((i < 100)) || fail "the master does not list the chunk server at $NS_IP"

# mount_here: (re)mount the cluster at $MNT, pid in mount.pid.
mount_here() {
    mkdir -p "$MNT"
    "$MOUNT_BIN" "$MASTER" "$MNT" -o "secret_file=$DIR/secret" -f \
        </dev/null >>"$DIR/mount.log" 2>&1 &
    echo $! >"$DIR/mount.pid"
    for ((i = 0; i < 100; i++)); do
        mountpoint -q "$MNT" && return 0
        sleep 0.1
    done
    fail "mount at $MNT not ready"
}

step "write a 12 MiB file from this namespace"
mount_here
random_file "$LOCAL/f" $((12 * 1024 * 1024))
cp "$LOCAL/f" "$MNT/f"
fusermount3 -u "$MNT"
while pid_alive "$(<"$DIR/mount.pid")"; do sleep 0.1; done

step "read it cold from this namespace: identical, over HTTP"
mount_here
drop_cache
cmp "$LOCAL/f" "$MNT/f" || fail "f read back different"
grep -q "local reads: pid" "$DIR/chunk1.log" &&
    fail "the chunk server in $NS took a local reader from another namespace"

step "read it from a mount inside $NS: through the server's files"
mkdir -p "$DIR/mnt_ns"
ip netns exec "$NS" bash -c '
    "$1" "$2" "$3" -o "secret_file=$4" -f </dev/null >>"$5" 2>&1 &
    echo $! >"$6"
    for ((i = 0; i < 100; i++)); do mountpoint -q "$3" && break; sleep 0.1; done
    cmp "$7" "$3/f"; st=$?
    fusermount3 -u "$3"
    wait
    exit $st' _ "$MOUNT_BIN" "$MASTER" "$DIR/mnt_ns" "$DIR/secret" \
    "$DIR/mount_ns.log" "$NS_PID_FILE" "$LOCAL/f" ||
    fail "f read back different through a mount in $NS (see mount_ns.log)"
grep -q "local reads: pid $(<"$NS_PID_FILE") connected" "$DIR/chunk1.log" ||
    fail "the chunk server did not log the mount in $NS as a local reader"
