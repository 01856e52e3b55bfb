#!/usr/bin/env bash
# it_bad_input: wrong invocations fail fast with a non-zero status and
# exactly one line on stderr that names the problem: unknown flags, a
# missing or unusable data directory, a port in use, an unreachable master,
# a mount point that does not exist.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

PROBLEMS=()   # every failed check; reported together at the end

# problem MESSAGE: note a failed check and go on with the others.
problem() {
    echo "    FAIL: $1"
    PROBLEMS+=("$1")
}

# expect_error WHAT WORD CMD...: CMD must exit non-zero (not by timeout)
# with one line on stderr containing WORD.
expect_error() {
    local what=$1 word=$2 status=0 err lines
    shift 2
    step "$what"
    timeout 60 "$@" >"$LOCAL/out" 2>"$LOCAL/err" </dev/null || status=$?
    err=$(<"$LOCAL/err")
    lines=$(wc -l <"$LOCAL/err")
    echo "    status $status, stderr: $err"
    if ((status == 124)); then
        problem "$what: still running after 60 s: $*"
    elif ((status == 0)); then
        problem "$what: exit status 0, expected an error: $*"
    elif ((lines != 1)); then
        problem "$what: expected one line on stderr, got $lines"
    elif [[ $err != *"$word"* ]]; then
        problem "$what: stderr does not name '$word'"
    fi
    return 0
}

it_begin
SECRET=$DIR/secret
mkdir -p "$MNT"
step "format a master data directory"
"$MASTER_BIN" --init --data "$DIR/master" --secret-file "$SECRET" >"$DIR/init.log" 2>&1 ||
    fail "dfs-master --init failed: $(cat "$DIR/init.log")"

expect_error "dfs-master: unknown flag" --no-such-flag \
    "$MASTER_BIN" --no-such-flag --data "$DIR/master"
expect_error "dfs-chunkd: unknown flag" --no-such-flag \
    "$CHUNKD_BIN" --no-such-flag --data "$DIR/c" --master 127.0.0.1:1
expect_error "mount.dfs: unknown flag" --no-such-flag \
    "$MOUNT_BIN" --no-such-flag 127.0.0.1:1 "$MNT"
expect_error "dfs: unknown flag" --no-such-flag \
    "$DFS_BIN" --no-such-flag status
for bin in "$MASTER_BIN" "$CHUNKD_BIN" "$DFS_BIN"; do
    step "$(basename "$bin") --no-such-flag exits with status 2 (usage error)"
    status=0
    timeout 60 "$bin" --no-such-flag >/dev/null 2>&1 </dev/null || status=$?
    ((status == 2)) || problem "$(basename "$bin") --no-such-flag: exit status $status, expected 2"
done

mkdir -m 0700 "$DIR/chunkx"
expect_error "dfs-chunkd: data directory does not exist" "$DIR/missing/data" \
    "$CHUNKD_BIN" --data "$DIR/missing/data" --master 127.0.0.1:1 \
    --listen 127.0.0.1:0 --secret-file "$SECRET"
touch "$DIR/afile"
expect_error "dfs-chunkd: data directory is a file" "$DIR/afile" \
    "$CHUNKD_BIN" --data "$DIR/afile" --master 127.0.0.1:1 \
    --listen 127.0.0.1:0 --secret-file "$SECRET"
expect_error "dfs-master: data directory is a file" "$DIR/afile" \
    "$MASTER_BIN" --data "$DIR/afile" --listen 127.0.0.1:0 --secret-file "$SECRET"

mkdir -p "$DIR/shared"
chmod 0777 "$DIR/shared"
expect_error "dfs-chunkd: data directory writable by other users" "$DIR/shared" \
    "$CHUNKD_BIN" --data "$DIR/shared" --master 127.0.0.1:1 \
    --listen 127.0.0.1:0 --secret-file "$SECRET"
expect_error "dfs-master: data directory writable by other users" "$DIR/shared" \
    "$MASTER_BIN" --data "$DIR/shared" --listen 127.0.0.1:0 --secret-file "$SECRET"
cp "$SECRET" "$DIR/open-secret"
chmod 0644 "$DIR/open-secret"
expect_error "dfs-chunkd: secret readable by others" "$DIR/open-secret" \
    "$CHUNKD_BIN" --data "$DIR/chunkx" --master 127.0.0.1:1 \
    --listen 127.0.0.1:0 --secret-file "$DIR/open-secret"
printf 'listen = 127.0.0.1:0\nno-such-key = 1\n' >"$DIR/bad.conf"
expect_error "dfs-master: bad config line" "no-such-key" \
    "$MASTER_BIN" --data "$DIR/master" --config "$DIR/bad.conf"
expect_error "dfs-chunkd: bad number" "heartbeat-ms" \
    "$CHUNKD_BIN" --data "$DIR/chunkx" --master 127.0.0.1:1 \
    --heartbeat-ms 12abc --secret-file "$SECRET"
expect_error "dfs-master: idle timeout out of range" "idle-timeout" \
    "$MASTER_BIN" --data "$DIR/master" --listen 127.0.0.1:0 --idle-timeout 0
expect_error "dfs-chunkd: idle timeout out of range" "idle-timeout" \
    "$CHUNKD_BIN" --data "$DIR/chunkx" --master 127.0.0.1:1 \
    --idle-timeout 86401 --secret-file "$SECRET"
expect_error "dfs-chunkd: malformed master address" "nowhere" \
    "$CHUNKD_BIN" --data "$DIR/chunkx" --master nowhere \
    --listen 127.0.0.1:0 --secret-file "$SECRET"

step "start a master on a free port"
"$MASTER_BIN" --data "$DIR/master" --listen 127.0.0.1:0 --secret-file "$SECRET" \
    --addr-file "$DIR/master.addr" >"$DIR/master.log" 2>&1 </dev/null &
echo $! >"$DIR/master.pid"   # tools/cluster down (in cleanup) stops it
for ((i = 0; i < 100; i++)); do
    [[ -s $DIR/master.addr ]] && break
    sleep 0.1
done
[[ -s $DIR/master.addr ]] || fail "master did not write $DIR/master.addr"
addr=$(<"$DIR/master.addr")
port=${addr##*:}
"$MASTER_BIN" --init --data "$DIR/master2" --secret-file "$DIR/secret2" >/dev/null 2>&1 ||
    fail "dfs-master --init of a second master failed"
expect_error "dfs-master: port $port already in use" "$port" \
    "$MASTER_BIN" --data "$DIR/master2" --listen "127.0.0.1:$port" \
    --secret-file "$DIR/secret2"
mkdir -p "$DIR/chunk1"
expect_error "dfs-chunkd: port $port already in use" "$port" \
    "$CHUNKD_BIN" --data "$DIR/chunk1" --master "$addr" \
    --listen "127.0.0.1:$port" --secret-file "$SECRET"

expect_error "mount.dfs: master unreachable" "127.0.0.1:1" \
    "$MOUNT_BIN" 127.0.0.1:1 "$MNT" -o "secret_file=$SECRET,retry_ms=1000"
if mountpoint -q "$MNT"; then
    problem "$MNT is mounted although the master was unreachable"
    fusermount3 -u -z "$MNT" || true
fi
expect_error "mount.dfs: mount point does not exist" "$DIR/nonexistent" \
    "$MOUNT_BIN" "$addr" "$DIR/nonexistent" -o "secret_file=$SECRET"
expect_error "dfs: master unreachable" "127.0.0.1:1" \
    "$DFS_BIN" --master 127.0.0.1:1 --secret-file "$SECRET" status

if ((${#PROBLEMS[@]})); then
    fail "${#PROBLEMS[@]} check(s) failed:
$(printf '  %s\n' "${PROBLEMS[@]}")"
fi
