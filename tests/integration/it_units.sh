#!/usr/bin/env bash
# it_units: what an administrator installs fits together.  `meson install`
# into a scratch DESTDIR puts each daemon where its systemd unit's
# ExecStart names it; config files made from the sample configs installed
# beside the units (only paths and ports changed) format a master and run
# it and three chunk servers exactly as the units do (--config FILE and
# nothing else); `dfs put` and `dfs get` with the installed dfs round-trip
# a file; and SIGTERM, the units' KillSignal, stops each daemon cleanly
# (exit status 0) well within their TimeoutStopSec.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

PIDS=() # daemons this test started

stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do
        pid_alive "$pid" && kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    PIDS=()
}

# wait_file FILE WHAT LOG: FILE exists within 10 s, while the daemon
# started last (WHAT, logging to LOG) runs.
wait_file() {
    local i pid=${PIDS[-1]}
    for ((i = 0; i < 100; i++)); do
        [[ -s $1 ]] && return 0
        pid_alive "$pid" || fail "$2 exited: $(cat "$3")"
        sleep 0.1
    done
    fail "$2: no $1 within 10 s: $(cat "$3")"
}

# conf EXAMPLE OUT KEY=VALUE...: the sample with those keys' lines set.
conf() {
    local example=$1 out=$2 kv key
    shift 2
    cp "$example" "$out"
    for kv in "$@"; do
        key=${kv%%=*}
        grep -q "^#\?$key =" "$out" || fail "$example has no '$key' line"
        sed -i "s|^#\?$key =.*|$key = ${kv#*=}|" "$out"
    done
}

it_begin
# shellcheck disable=SC2154  # st is the trap's own variable
trap 'st=$?; trap - ERR; set +e; stop_all; (exit "$st"); cleanup' EXIT
ROOTFS=$DIR/root
step "meson install --destdir $ROOTFS"
meson install -C "$BUILD" --destdir "$ROOTFS" --no-rebuild --quiet \
    >"$DIR/install.log" 2>&1 || fail "meson install failed: $(tail -3 "$DIR/install.log")"
UNITS=$(find "$ROOTFS" -path '*/systemd/system/*.service' | sort)
assert_eq "units installed" 2 "$(wc -w <<<"$UNITS")"
EXAMPLES=$(dirname "$(find "$ROOTFS" -name master.conf.example)")
[[ -f $EXAMPLES/chunkd.conf.example ]] || fail "no sample configs installed"

step "each unit's ExecStart names an installed program"
for unit in $UNITS; do
    exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
    [[ -n $exe ]] || fail "$unit has no ExecStart"
    [[ -x $ROOTFS$exe ]] || fail "$(basename "$unit") runs $exe, not installed"
    echo "    $(basename "$unit"): $exe"
done
BIN=$ROOTFS/usr/local
[[ -x $BIN/sbin/dfs-master && -x $BIN/sbin/dfs-chunkd && -x $BIN/bin/dfs ]] ||
    fail "dfs-master, dfs-chunkd or dfs not installed under $BIN"

step "format and start a master from master.conf.example, as the unit does"
conf "$EXAMPLES/master.conf.example" "$DIR/master.conf" \
    "data=$DIR/master" "listen=127.0.0.1:0" "addr-file=$DIR/master.addr"
"$BIN/sbin/dfs-master" --config "$DIR/master.conf" --init >"$DIR/init.log" 2>&1 ||
    fail "dfs-master --init with the sample config: $(cat "$DIR/init.log")"
"$BIN/sbin/dfs-master" --config "$DIR/master.conf" >"$DIR/master.log" 2>&1 &
PIDS+=($!)
wait_file "$DIR/master.addr" "dfs-master" "$DIR/master.log"
MASTER_ADDR=$(<"$DIR/master.addr")

step "start three chunk servers from chunkd.conf.example"
for k in 1 2 3; do
    conf "$EXAMPLES/chunkd.conf.example" "$DIR/chunkd-$k.conf" \
        "data=$DIR/chunk$k" "master=$MASTER_ADDR" "listen=127.0.0.1:0" \
        "secret-file=$DIR/master/secret" "addr-file=$DIR/chunk$k.addr"
    mkdir -m 0700 "$DIR/chunk$k"
    "$BIN/sbin/dfs-chunkd" --config "$DIR/chunkd-$k.conf" \
        >"$DIR/chunk$k.log" 2>&1 &
    PIDS+=($!)
    wait_file "$DIR/chunk$k.addr" "dfs-chunkd $k" "$DIR/chunk$k.log"
done

dfs() {
    "$BIN/bin/dfs" --master "$MASTER_ADDR" --secret-file "$DIR/master/secret" "$@"
}
step "dfs status sees 3 live servers; dfs put and get round-trip a file"
for ((i = 0; i < 100; i++)); do
    dfs status >"$LOCAL/status" 2>&1 && grep -q "3 alive, 0 down" "$LOCAL/status" && break
    sleep 0.1
done
grep -q "3 alive, 0 down" "$LOCAL/status" || fail "dfs status: $(cat "$LOCAL/status")"
random_file "$LOCAL/f" $((CHUNK_SIZE + 999))
dfs put "$LOCAL/f" /f || fail "dfs put failed"
dfs get /f "$LOCAL/back" || fail "dfs get failed"
assert_same_file "$LOCAL/f" "$LOCAL/back"

step "SIGTERM stops each daemon with status 0 within 10 s"
for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${PIDS[@]}"; do
    for ((i = 0; i < 100; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
    done
    pid_alive "$pid" && fail "pid $pid still running 10 s after SIGTERM"
    status=0
    wait "$pid" || status=$?
    assert_eq "exit status of pid $pid after SIGTERM" 0 "$status"
done
PIDS=()
step "ok"
