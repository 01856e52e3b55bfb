#!/usr/bin/env bash
# it_cli: dfs put and dfs get against a real cluster, without the mount:
# a file (two chunks and a bit) in and out; stdin and stdout; a directory
# as LOCAL; and LOCAL a device or a FIFO, which must be written in place,
# never replaced by a file (`dfs get F /dev/null` once turned /dev/null
# into a regular file). Files put are seen through the mount and the
# other way round. dfs status lists the three servers.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

dfs() {
    "$DFS_BIN" --master "$(cat "$DIR/master.addr")" --secret-file "$DIR/secret" "$@"
}

it_begin
cluster_up -n 3

step "dfs status lists 3 live chunk servers"
dfs status >"$LOCAL/status"
assert_eq "servers up in dfs status" 3 "$(grep -c " up " "$LOCAL/status" || true)"
grep -q "3 alive, 0 down" "$LOCAL/status" || fail "dfs status: $(cat "$LOCAL/status")"

step "dfs put a 9 MiB file; read it through the mount"
random_file "$LOCAL/f" $((9 * 1024 * 1024 + 123))
dfs put "$LOCAL/f" /f
assert_same_file "$LOCAL/f" "$MNT/f"

step "dfs get it back; into a directory keeps the name"
dfs get /f "$LOCAL/back"
assert_same_file "$LOCAL/f" "$LOCAL/back"
mkdir "$LOCAL/into"
dfs get /f "$LOCAL/into"
assert_same_file "$LOCAL/f" "$LOCAL/into/f"

step "stdin and stdout"
head -c 100000 /dev/urandom >"$LOCAL/s"
dfs put - /s <"$LOCAL/s"
dfs get /s - >"$LOCAL/s.out"
assert_same_file "$LOCAL/s" "$LOCAL/s.out"

step "a file written through the mount comes out of dfs get"
cp "$LOCAL/s" "$MNT/m"
dfs get /m "$LOCAL/m.out"
assert_same_file "$LOCAL/s" "$LOCAL/m.out"

step "LOCAL a character device is written in place"
mknod "$LOCAL/null" c 1 3
dfs get /f "$LOCAL/null"
[[ -c $LOCAL/null ]] || fail "$LOCAL/null is no longer a character device"
[[ ! -e $LOCAL/null.tmp ]] || fail "dfs get left $LOCAL/null.tmp"

step "LOCAL a FIFO is written in place, in order"
mkfifo "$LOCAL/fifo"
cat "$LOCAL/fifo" >"$LOCAL/fifo.out" &
reader=$!
dfs get /f "$LOCAL/fifo"
wait "$reader"
[[ -p $LOCAL/fifo ]] || fail "$LOCAL/fifo is no longer a FIFO"
assert_same_file "$LOCAL/f" "$LOCAL/fifo.out"

step "bad input: a missing file, a directory in dfs"
if dfs get /missing "$LOCAL/x" 2>"$LOCAL/err"; then fail "dfs get /missing succeeded"; fi
grep -q "No such file" "$LOCAL/err" || fail "no ENOENT message: $(cat "$LOCAL/err")"
[[ ! -e $LOCAL/x && ! -e $LOCAL/x.tmp ]] || fail "a failed get left a file behind"
mkdir "$MNT/d"
if dfs get /d "$LOCAL/y" 2>"$LOCAL/err"; then fail "dfs get of a directory succeeded"; fi
[[ ! -e $LOCAL/y ]] || fail "a failed get left a file behind"
