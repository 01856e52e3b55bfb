#!/usr/bin/env bash
# it_rsync: rsync -a of /usr/include into the mount gives an identical tree
# (contents, symlinks, modes), and a second rsync finds nothing to copy.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

SRC=/usr/include

# One line per entry: path, type, mode, size (files), symlink target.
listing() {
    (cd "$1" &&
        find . ! -type d -printf '%P %y %m %s %l\n' &&
        find . -type d -printf '%P %y %m\n') | sort
}

it_begin
[[ -d $SRC ]] || { echo "[$TEST] SKIP: no $SRC"; exit 77; }
cluster_up

step "rsync -a $SRC/ into the mount ($(find $SRC | wc -l) entries)"
start=$(date +%s%N)
rsync -a "$SRC/" "$MNT/inc/"
step "rsync took $((($(date +%s%N) - start) / 1000000)) ms"

step "diff -r the trees"
out=$(diff -r --no-dereference "$SRC" "$MNT/inc" 2>&1) ||
    fail "diff -r $SRC $MNT/inc is not clean:
$(head -n 20 <<<"$out")"

step "compare symlinks, types, modes and sizes"
listing "$SRC" >"$LOCAL/want"
listing "$MNT/inc" >"$LOCAL/got"
out=$(diff "$LOCAL/want" "$LOCAL/got") ||
    fail "listings differ (< local, > dfs):
$(head -n 20 <<<"$out")"
assert_eq "symlink count" "$(find "$SRC" -type l | wc -l)" "$(find "$MNT/inc" -type l | wc -l)"

step "a second rsync -a has nothing to copy"
out=$(rsync -a --itemize-changes "$SRC/" "$MNT/inc/")
[[ -z $out ]] || fail "second rsync copied again (mtimes or sizes not kept?):
$(head -n 20 <<<"$out")"
