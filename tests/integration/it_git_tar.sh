#!/usr/bin/env bash
# it_git_tar: the tools people run on a mounted tree. A git repository is
# cloned onto the mount, checked with `git fsck --full`, committed to and
# read back; a tar archive is written to the mount, extracted there, and
# both compared with the originals.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

git_q() {
    git -c user.name=dfs-test -c user.email=dfs@localhost \
        -c init.defaultBranch=main "$@"
}

it_begin
cluster_up

step "make a local git repository of /usr/include/linux (two commits)"
SRC=$LOCAL/src
mkdir -p "$SRC"
cp -a /usr/include/linux "$SRC/"
git_q -C "$SRC" init -q
git_q -C "$SRC" add -A
git_q -C "$SRC" commit -q -m "first"
echo "second" >"$SRC/NOTES"
git_q -C "$SRC" add NOTES
git_q -C "$SRC" commit -q -m "second"

step "git clone onto the mount"
git_q clone -q "$SRC" "$MNT/repo" || fail "git clone onto $MNT failed"
step "git fsck --full on the mount"
git_q -C "$MNT/repo" fsck --full 2>&1 | sed 's/^/    /' ||
    fail "git fsck found problems"
assert_eq "HEAD after clone" "$(git_q -C "$SRC" rev-parse HEAD)" \
    "$(git_q -C "$MNT/repo" rev-parse HEAD)"
assert_eq "git status after clone" "" \
    "$(git_q -C "$MNT/repo" status --porcelain)"
diff -r -x .git "$SRC" "$MNT/repo" >/dev/null ||
    fail "the checkout on $MNT differs from $SRC"

step "commit on the mount, then read the commit back"
echo "changed on dfs" >>"$MNT/repo/NOTES"
git_q -C "$MNT/repo" commit -q -am "third" || fail "git commit on $MNT failed"
assert_eq "commits" "3" "$(git_q -C "$MNT/repo" rev-list --count HEAD)"
assert_eq "git status after commit" "" \
    "$(git_q -C "$MNT/repo" status --porcelain)"
git_q -C "$MNT/repo" fsck --full >/dev/null 2>&1 ||
    fail "git fsck failed after the commit"

step "tar an archive onto the mount and extract it there"
tar -C "$SRC" -cf "$MNT/linux.tar" linux
tar -C "$SRC" -cf "$LOCAL/linux.tar" linux
assert_same_file "$LOCAL/linux.tar" "$MNT/linux.tar"
mkdir "$MNT/extract"
tar -C "$MNT/extract" -xf "$MNT/linux.tar"
diff -r "$SRC/linux" "$MNT/extract/linux" >/dev/null ||
    fail "the extracted tree differs from $SRC/linux"
