#!/usr/bin/env bash
# it_tls: the whole cluster over TLS.  A throw-away CA and a certificate for
# 127.0.0.1 made with openssl(1); a master and three chunk servers started
# by hand with --tls-cert/--tls-key (chunk servers heartbeat with --tls-ca);
# a 10 MiB file goes in and comes back identical, through the mount (with
# -o tls_ca) when mount.dfs has that option, and through dfs put/get
# (--tls-ca).  Then: plain HTTP to the master gets no HTTP answer, a client
# without the CA is refused, and 300 idle connections to a chunk server do
# not stop it from serving.
#
# The daemons use tools/cluster's layout (DIR/NAME.pid, .addr, .log) so that
# lib.sh's cleanup stops them.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

command -v openssl >/dev/null ||
    { echo "[$TEST] FAIL: openssl(1) is needed to make test certificates" \
        "(apt-get install openssl)" >&2; exit 1; }

it_begin
TLS=$DIR/tls
mkdir -m 700 "$TLS"

step "make a CA and a server certificate for 127.0.0.1"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -days 2 -subj /CN=dfs-it-ca \
    -keyout "$TLS/ca.key" -out "$TLS/ca.pem" 2>/dev/null
openssl req "${ec[@]}" -subj /CN=127.0.0.1 \
    -keyout "$TLS/server.key" -out "$TLS/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
    >"$TLS/ext"
openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
    -CAcreateserial -days 2 -extfile "$TLS/ext" -out "$TLS/server.pem" 2>/dev/null
TLS_SERVE=(--tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key")

# start NAME PROGRAM ARGS...: background daemon, wait for its address.
start() {
    local name=$1 bin=$2 i
    shift 2
    "$bin" "$@" --addr-file "$DIR/$name.addr" </dev/null >>"$DIR/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
    for ((i = 0; i < 100; i++)); do
        [[ -s $DIR/$name.addr ]] && break
        pid_alive "$(<"$DIR/$name.pid")" || fail "$name exited during start"
        sleep 0.1
    done
    [[ -s $DIR/$name.addr ]] || fail "$name did not come up in 10 s"
    step "started $name on $(<"$DIR/$name.addr")"
}

step "format and start the master with TLS"
"$MASTER_BIN" --init --data "$DIR/master" --secret-file "$DIR/secret" \
    >>"$DIR/master.log" 2>&1
start master "$MASTER_BIN" --data "$DIR/master" --listen 127.0.0.1:0 \
    --secret-file "$DIR/secret" "${TLS_SERVE[@]}"
MASTER=$(<"$DIR/master.addr")
for k in 1 2 3; do
    mkdir -m 700 "$DIR/chunk$k"
    extra=()
    # chunk1 takes the idle-connection test below, all from 127.0.0.1.
    ((k == 1)) && extra=(--max-conns-per-ip 1000)
    start "chunk$k" "$CHUNKD_BIN" --data "$DIR/chunk$k" --master "$MASTER" \
        --listen 127.0.0.1:0 --secret-file "$DIR/secret" "${TLS_SERVE[@]}" \
        --tls-ca "$TLS/ca.pem" "${extra[@]}"
done

dfs() {
    "$DFS_BIN" --master "$MASTER" --secret-file "$DIR/secret" "$@"
}

step "wait for three chunk servers to heartbeat over https"
for ((i = 0; i < 80; i++)); do
    n=$(dfs --tls-ca "$TLS/ca.pem" nodes 2>/dev/null | grep -cE ':[0-9]+' || true)
    ((n >= 3)) && break
    sleep 0.25
done
((n >= 3)) || fail "master lists $n live chunk servers over TLS, expected 3"

random_file "$LOCAL/big" $((10 * 1024 * 1024))

if "$MOUNT_BIN" --help 2>&1 | grep -q tls_ca; then
    step "mount with -o tls_ca, copy 10 MiB in and read it back"
    mkdir -p "$MNT"
    "$MOUNT_BIN" "$MASTER" "$MNT" -f \
        -o "secret_file=$DIR/secret,tls_ca=$TLS/ca.pem" \
        </dev/null >>"$DIR/mount.log" 2>&1 &
    echo $! >"$DIR/mount.pid"
    for ((i = 0; i < 100; i++)); do
        mountpoint -q "$MNT" && break
        sleep 0.1
    done
    mountpoint -q "$MNT" || fail "mount.dfs with tls_ca did not mount"
    cp "$LOCAL/big" "$MNT/big"
    drop_cache "$MNT/big"
    assert_same_file "$LOCAL/big" "$MNT/big"
else
    step "mount.dfs has no tls_ca option yet: the mount part is not run"
fi

step "dfs put/get 10 MiB over https"
dfs --tls-ca "$TLS/ca.pem" put "$LOCAL/big" /big-cli
dfs --tls-ca "$TLS/ca.pem" get /big-cli "$LOCAL/big-cli.out"
assert_same_file "$LOCAL/big" "$LOCAL/big-cli.out"

step "plain HTTP to the master gets no HTTP reply"
port=${MASTER##*:}
reply=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port
    printf 'GET /v1/cluster/info HTTP/1.1\r\nHost: x\r\n\r\n' >&3
    head -c 100 <&3" 2>/dev/null | tr -d '\0' || true)
[[ $reply != HTTP/* ]] || fail "the TLS master answered plain HTTP: $reply"

step "a client without the CA cannot talk to the master"
if out=$(dfs status 2>&1); then
    fail "dfs status without --tls-ca succeeded: $out"
fi

step "300 idle connections to chunk1 do not stop it from serving"
chunk1=$(<"$DIR/chunk1.addr")
fds=()
for ((i = 0; i < 300; i++)); do
    exec {fd}<>"/dev/tcp/127.0.0.1/${chunk1##*:}"
    fds+=("$fd")
done
# An unsigned request must still get its 401 from chunk1 itself...
code=$(curl -sS -m 10 --cacert "$TLS/ca.pem" -o /dev/null -w '%{http_code}' \
    "https://$chunk1/v1/status" 2>&1 || true)
assert_eq "chunk1's answer to an unsigned request" 401 "$code"
# ...and a real transfer (from whichever replica) must work.
rm -f "$LOCAL/big-cli.out"
timeout 30 "$DFS_BIN" --master "$MASTER" --secret-file "$DIR/secret" \
    --tls-ca "$TLS/ca.pem" get /big-cli "$LOCAL/big-cli.out" ||
    fail "dfs get failed while 300 idle connections were open"
assert_same_file "$LOCAL/big" "$LOCAL/big-cli.out"
for fd in "${fds[@]}"; do
    exec {fd}>&-
done
