# bench/lib.sh: helpers of the bench/ scripts (sourced; they set PROG).
# shellcheck shell=bash

now_ns() {
    date +%s%N
}

# Run a command and print its duration in seconds (3 decimals).
timed() {
    local t0 t1
    t0=$(now_ns)
    "$@"
    t1=$(now_ns)
    awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}

# The median of the numbers given.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]
              else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Print "PROG: message" on stderr and exit 1.
die() {
    echo "$PROG: $*" >&2
    exit 1
}
