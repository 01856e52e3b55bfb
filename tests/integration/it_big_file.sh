#!/usr/bin/env bash
# it_big_file: a 100 MiB random file is copied in and read back identical,
# also with the page cache dropped; and every one of its chunks is stored on
# exactly three distinct chunk servers (of four), under the path its
# BLAKE2b-256 id names.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh" "$@"

SIZE=$((100 * 1024 * 1024))
NODES=4
REPLICAS=3

# Print "ID COUNT" for each slice whose id is not stored exactly REPLICAS
# times over the chunk servers' data directories.
misplaced_chunks() {
    local id k n
    while read -r id; do
        n=0
        for ((k = 1; k <= NODES; k++)); do
            [[ -f $DIR/chunk$k/chunks/${id:0:2}/$id ]] && n=$((n + 1))
        done
        ((n == REPLICAS)) || echo "$id $n"
    done <"$LOCAL/ids"
}

it_begin
cluster_up -n $NODES

step "write a 100 MiB random file"
random_file "$LOCAL/big" $SIZE
cp "$LOCAL/big" "$MNT/big"
step "read it back"
assert_same_file "$LOCAL/big" "$MNT/big"
step "read it back with the page cache dropped"
drop_cache "$MNT/big"
assert_same_file "$LOCAL/big" "$MNT/big"

step "compute the ids of its 4 MiB chunks"
mkdir "$LOCAL/slices"
split -b $CHUNK_SIZE -a 3 "$LOCAL/big" "$LOCAL/slices/s"
for f in "$LOCAL"/slices/s*; do
    chunk_id_of "$f"
done >"$LOCAL/ids"
assert_eq "number of chunks" 25 "$(wc -l <"$LOCAL/ids")"

# Replication happens before close() returns, but the master may still be
# trimming or repairing: allow it a few seconds to settle.
step "check each chunk is on exactly $REPLICAS of $NODES chunk servers"
for ((i = 0; i < 30; i++)); do
    bad=$(misplaced_chunks)
    [[ -z $bad ]] && break
    sleep 0.5
done
[[ -z $bad ]] || fail "chunks not stored exactly $REPLICAS times (id count):
$bad"
