#!/usr/bin/env bash
# bench/meta_scans.sh: how long the master's scans of every chunk hold its
# metadata store (and so every other call) with a large namespace.
#
# dfs-master --init makes a store; sqlite3 fills it with --chunks chunk
# rows of one file (default 262144: 1 TiB in 4 MiB chunks), each with
# three copies among six servers.  Then, in one sqlite3 process with the
# master's page cache size and the store in the kernel's cache (as on a
# busy master), it times each scan two ways: as the single statement it used to be, which the master ran with
# the store locked from start to end, and as the pages of META_LOADS_PAGE
# chunks it runs now, the store free between them.  It prints the one
# statement's time against the longest page and the sum of the pages.
# Statements are copies of master/nodes.c's.
#
# Then it times --commits transactions like a file's commit (a chunk row
# and its three copies, at random ids) on a copy of the store, with the
# master's pragmas and two page cache sizes: the 256 MiB the master used
# and META_CACHE_KIB now (master/meta_sqlite.c).  SQLite walks its whole
# page cache at every commit here, so a cache holding more of a large
# store made every commit slower.  Not a test: run it by hand.
set -euo pipefail

PROG=meta_scans
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
BUILD=${DFS_BUILD:-$ROOT/build}
CHUNKS=262144
COMMITS=2000
CACHE_OLD_KIB=262144
CACHE_NOW_KIB=$(sed -n 's/^#define META_CACHE_KIB "\([0-9]*\)"$/\1/p' \
    "$ROOT/master/meta_sqlite.c")
PAGE=4096 # META_LOADS_PAGE, master/meta.h
WORK=""

usage() {
    cat <<EOF
usage: bench/meta_scans.sh [--chunks N] [--commits N]
  --chunks N    chunk rows in the store (default $CHUNKS)
  --commits N   commits timed with each cache size (default $COMMITS)
Environment: DFS_BUILD (build directory, default ./build), TMPDIR.
EOF
}

cleanup() {
    [[ -n $WORK ]] && rm -rf "$WORK"
}

# The store: one file of CHUNKS chunks, three copies each on six nodes.
fill() {
    sqlite3 "$1" <<EOF
INSERT INTO inodes(mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns,
                   ctime_ns) VALUES (33188, 0, 0, 1, $CHUNKS * 4194304, 0, 0, 0, 0);
INSERT INTO nodes(node_id, addr, zone, capacity, free, chunk_count,
                  last_seen_ms, declared_dead)
  WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 5)
  SELECT printf('node%d', i), printf('127.0.0.1:%d', 9000 + i), '', 1, 1,
         0, 9000000000000, 0 FROM k;
INSERT INTO file_chunks(ino, idx, chunk_id, len)
  WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c
                          WHERE i < $CHUNKS - 1)
  SELECT (SELECT max(ino) FROM inodes), i,
         lower(hex(randomblob(32))), 4194304 FROM c;
INSERT INTO replicas(chunk_id, node_id)
  SELECT chunk_id, printf('node%d', (idx + k) % 6) FROM file_chunks,
    (SELECT 0 AS k UNION ALL SELECT 2 UNION ALL SELECT 4);
EOF
}

LOADS_ONE="SELECT node_id, count(*) FROM replicas WHERE chunk_id IN
  (SELECT chunk_id FROM file_chunks) GROUP BY node_id ORDER BY node_id;"
HOLDERS="SELECT c.chunk_id, group_concat(n.node_id, ','),
  count(n.node_id) - count(d.node_id) AS good FROM
  (SELECT DISTINCT chunk_id FROM file_chunks RANGE) c
  LEFT JOIN replicas r ON r.chunk_id = c.chunk_id
  LEFT JOIN nodes n ON n.node_id = r.node_id AND n.last_seen_ms > 0
  LEFT JOIN draining d ON d.node_id = n.node_id GROUP BY c.chunk_id
  HAVING good < 3 ORDER BY good, c.chunk_id LIMIT 256;"

# The SQL of one run: the cache warmed, then each scan both ways; every
# statement is preceded by a label line, which the timer lines follow.
script() {
    local bounds=("$@") after="" last i range
    echo ".timer on"
    echo "SELECT count(*) FROM replicas; SELECT count(*) FROM file_chunks;"
    echo ".print @loads-one"
    echo "$LOADS_ONE"
    echo ".print @weak-one"
    echo "${HOLDERS/RANGE/}"
    for i in "${!bounds[@]}"; do
        last=${bounds[$i]}
        echo ".print @loads-page"
        echo "SELECT max(chunk_id) FROM (SELECT chunk_id FROM file_chunks
          WHERE chunk_id > '$after' ORDER BY chunk_id LIMIT $PAGE);"
        echo "SELECT node_id, count(*) FROM replicas r WHERE chunk_id > '$after'
          AND chunk_id <= '$last' AND EXISTS (SELECT 1 FROM file_chunks f
          WHERE f.chunk_id = r.chunk_id) GROUP BY node_id;"
        echo ".print @weak-page"
        range="WHERE chunk_id > '$after' AND chunk_id <= '$last'"
        echo "${HOLDERS/RANGE/$range}"
        after=$last
    done
}

# The SQL of $2 commits with a page cache of $1 KiB, the master's pragmas,
# and the store read once first (as a busy master has it).
commits_script() {
    local i
    echo "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL;"
    echo "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-$1;"
    echo "PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=10000;"
    echo "SELECT count(*) FROM replicas NOT INDEXED;"
    echo "SELECT count(*) FROM replicas WHERE node_id > '';"
    echo "SELECT count(*) FROM file_chunks NOT INDEXED;"
    echo "SELECT count(*) FROM file_chunks WHERE chunk_id > '';"
    for ((i = 0; i < $2; i++)); do
        echo "BEGIN; INSERT INTO file_chunks VALUES (1, $((CHUNKS + i)),
          lower(hex(randomblob(32))), 4096);
          INSERT INTO replicas SELECT chunk_id, 'node' || k FROM file_chunks,
          (SELECT 0 AS k UNION ALL SELECT 2 UNION ALL SELECT 4)
          WHERE ino = 1 AND idx = $((CHUNKS + i)); COMMIT;"
    done
}

# Nanoseconds sqlite3 takes for commits_script $2 $3 on a copy of store $1.
sqlite_ns() {
    local t0
    cp "$1" "$WORK/copy.db"
    rm -f "$WORK/copy.db-wal"
    commits_script "$2" "$3" >"$WORK/commits.sql"
    t0=$(date +%s%N)
    sqlite3 "$WORK/copy.db" <"$WORK/commits.sql" >/dev/null
    echo $(($(date +%s%N) - t0))
}

# Microseconds per commit with a page cache of $2 KiB, on store $1: the
# run with COMMITS commits less the same run with none.
commit_cost() {
    local with without
    with=$(sqlite_ns "$1" "$2" "$COMMITS")
    without=$(sqlite_ns "$1" "$2" 0)
    awk -v d=$((with - without)) -v n="$COMMITS" \
        'BEGIN { printf "%.0f", d / n / 1000 }'
}

# Sum the "Run Time: real S" lines after each label: one line per label
# and statement group, printed as "label seconds".
times() {
    awk '/^@/ { if (l != "") print l, t; l = $1; t = 0; next }
         /^Run Time: real/ { t += $4 }
         END { if (l != "") print l, t }'
}

report() {
    awk '{ s[$1] += $2; if ($2 > m[$1]) m[$1] = $2 }
         END {
           printf "%-7s %22s %14s %14s\n", "scan", "one statement (was)",
                  "longest page", "all pages"
           printf "%-7s %20.3f s %12.1f ms %12.3f s\n", "loads",
                  s["@loads-one"], m["@loads-page"] * 1000, s["@loads-page"]
           printf "%-7s %20.3f s %12.1f ms %12.3f s\n", "weak",
                  s["@weak-one"], m["@weak-page"] * 1000, s["@weak-page"]
         }'
}

main() {
    while (($#)); do
        case $1 in
        --chunks) CHUNKS=${2:?--chunks needs a number}; shift ;;
        --commits) COMMITS=${2:?--commits needs a number}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
        esac
        shift
    done
    [[ $CHUNKS =~ ^[1-9][0-9]*$ ]] || die "--chunks needs a positive number"
    [[ $COMMITS =~ ^[1-9][0-9]*$ ]] || die "--commits needs a positive number"
    [[ -n $CACHE_NOW_KIB ]] || die "no META_CACHE_KIB in master/meta_sqlite.c"
    command -v sqlite3 >/dev/null || die "sqlite3 is not installed"
    [[ -x $BUILD/master/dfs-master ]] || die "no $BUILD/master/dfs-master: build first"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/dfs-meta-scans.XXXXXX")
    trap cleanup EXIT
    "$BUILD/master/dfs-master" --init --data "$WORK/master" \
        --secret-file "$WORK/secret" >/dev/null 2>&1 ||
        die "dfs-master --init failed"
    local db=$WORK/master/meta.db
    echo "$PROG: $CHUNKS chunks, 3 copies each on 6 servers" >&2
    fill "$db"
    local bounds
    mapfile -t bounds < <(sqlite3 "$db" "SELECT chunk_id FROM
      (SELECT chunk_id, row_number() OVER (ORDER BY chunk_id) AS n
       FROM file_chunks) WHERE n % $PAGE = 0 OR n = $CHUNKS")
    script "${bounds[@]}" | sqlite3 -cmd "PRAGMA cache_size=-$CACHE_NOW_KIB" "$db" |
        times | report
    local old now
    old=$(commit_cost "$db" "$CACHE_OLD_KIB")
    now=$(commit_cost "$db" "$CACHE_NOW_KIB")
    printf "commit  %8s us with a %d MiB page cache, %s us with %d MiB\n" \
        "$old" $((CACHE_OLD_KIB / 1024)) "$now" $((CACHE_NOW_KIB / 1024))
}

main "$@"
