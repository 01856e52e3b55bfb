#!/usr/bin/env bash
# it_posix: the same sequence of file operations (mkdir -p, mv over files
# and directories, rm -r, symlinks, hard links, chmod, touch -d, truncate
# down and up, append, overwrite in the middle with dd conv=notrunc) runs in
# a local reference directory and in the mount; the two trees must then be
# identical in content, types, modes, sizes, link counts and link targets.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

REF=""   # LOCAL/ref: the reference tree
T=""     # MNT/t: the tree in dfs

# both CMD: run the shell command CMD in the reference tree, then in dfs.
both() {
    local out
    step "$1"
    out=$(cd "$REF" && eval "$1" 2>&1) ||
        fail "reference run of '$1' failed: $out"
    out=$(cd "$T" && eval "$1" 2>&1) ||
        fail "'$1' failed in dfs: $out"
}

# One line per entry; directory sizes and link counts are file-system
# specific and left out.
listing() {
    (cd "$1" &&
        find . ! -type d -printf '%P %y %m %n %s %l\n' &&
        find . -type d -printf '%P %y %m\n') | sort
}

compare_trees() {
    local out
    step "compare the reference tree with the dfs tree"
    out=$(diff -r --no-dereference "$REF" "$T" 2>&1) ||
        fail "contents differ:
$(head -n 20 <<<"$out")"
    listing "$REF" >"$LOCAL/want"
    listing "$T" >"$LOCAL/got"
    out=$(diff "$LOCAL/want" "$LOCAL/got") ||
        fail "types/modes/links/sizes differ (< local, > dfs):
$out"
    out=$(diff <(cd "$REF" && ls -lnR | grep '^-' | awk '{ print $1, $5, $9 }') \
        <(cd "$T" && ls -lnR | grep '^-' | awk '{ print $1, $5, $9 }')) ||
        fail "ls -l differs (< local, > dfs):
$out"
}

it_begin
cluster_up
REF=$LOCAL/ref
T=$MNT/t
mkdir "$REF" "$T"
# Inputs shared by both runs, so both trees get the same bytes.
random_file "$LOCAL/src" $((CHUNK_SIZE + 800000))
random_file "$LOCAL/patch" 102400
export SRC=$LOCAL/src PATCH=$LOCAL/patch CS=$CHUNK_SIZE

both 'mkdir -p a/b/c d1/sub e/e1'
both 'printf "hello\n" >a/f1 && cp "$SRC" a/big && echo x >d1/sub/x && echo y >e/e1/y'
both 'cp a/f1 a/b/f2 && cp a/f1 a/b/f3'
both 'mv a/f1 a/renamed'
both 'mv a/b/f2 a/renamed'                  # rename over an existing file
both 'mv d1 d2'                             # rename a directory
both 'mkdir d3 && mv d2 d3/'                # move a directory into another
both 'mkdir -p m1/in m2 && echo z >m1/in/z && mv -T m1 m2'  # over an empty dir
both 'rm -r e'
both 'ln -s a/big link && ln -s /nonexistent/target dangling && ln -s ../a/renamed d3/rel'
both 'ln a/big hard'                        # hard link
both 'chmod 600 a/big && chmod 750 a/b && chmod 444 a/b/f3'
both 'cp "$SRC" shrink && truncate -s $((CS - 1000)) shrink'   # cut mid-chunk
both 'cp "$SRC" shrink2 && truncate -s $((CS + 1000)) shrink2' # cut in chunk 2
both 'truncate -s 1000 grow && printf abc >>grow && truncate -s $((CS * 2 + 5)) grow'
both 'echo appended >>a/renamed && printf "%s" more >>shrink'
both 'touch -d "2001-02-03 04:05:06 UTC" a/renamed'
both 'dd if="$PATCH" of=a/big bs=4096 seek=1000 conv=notrunc status=none' # spans chunks 0-1
both 'dd if="$PATCH" of=shrink2 bs=1 seek=17 count=100 conv=notrunc status=none'

compare_trees

step "check details"
assert_eq "mtime set by touch -d" 981173106 "$(stat -c %Y "$T/a/renamed")"
assert_eq "size after truncate up" $((CHUNK_SIZE * 2 + 5)) "$(stat -c %s "$T/grow")"
assert_eq "link count of a hard-linked file" 2 "$(stat -c %h "$T/hard")"
assert_eq "inode of the hard link" "$(stat -c %i "$T/a/big")" "$(stat -c %i "$T/hard")"
assert_same_file "$REF/hard" "$T/hard"
assert_eq "symlink target" "a/big" "$(readlink "$T/link")"

step "remove everything"
rm -r "$T"
[[ ! -e $T ]] || fail "$T still exists after rm -r"
assert_eq "entries left in the mount" "" "$(ls -A "$MNT")"
