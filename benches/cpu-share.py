#!/usr/bin/env python3
"""Where the two cores go during a bench's service slices and its baseline slices.

The load bench alternates slices of the service and of its baseline in one
run, so a whole-run profile mixes both. This splits a system-wide `perf`
recording into 100 ms buckets, keeps the buckets one side clearly holds (by
the thread name that does that side's work), and prints each side's share of
samples per thread name (`swapper` is idle time).

    perf record -a -F 999 -o /tmp/perf.data -- cargo bench --bench load -- \\
        --scenario auth --server-binary target/release/pacer-link
    perf script -i /tmp/perf.data -F comm,cpu,time > /tmp/samples.txt
    python3 benches/cpu-share.py /tmp/samples.txt
"""
import collections
import re
import sys

# The server's argon2id threads, and the bench's own threads (its client and
# its raw-argon2id baseline).
SERVICE, BASELINE = "pacer-link-hash", "client"
SAMPLE = re.compile(r"\s*(.+?)\s+\[(\d+)\]\s+([\d.]+):")


def main(path):
    buckets = collections.defaultdict(collections.Counter)
    with open(path) as samples:
        for line in samples:
            m = SAMPLE.match(line)
            if m:
                buckets[int(float(m.group(3)) * 10)][m.group(1)] += 1
    sides = {"service": collections.Counter(), "baseline": collections.Counter()}
    held = collections.Counter()
    for counts in buckets.values():
        total = sum(counts.values())
        if counts[SERVICE] > 0.5 * total:
            side = "service"
        elif counts[BASELINE] > 0.8 * total:
            side = "baseline"
        else:
            continue  # a slice boundary, set-up or tear-down
        sides[side] += counts
        held[side] += 1
    for side, counts in sides.items():
        total = sum(counts.values()) or 1
        print(f"{side}: {held[side]} buckets of 100 ms, {total} samples")
        for comm, n in counts.most_common(8):
            print(f"  {comm:<18} {100 * n / total:5.1f} %")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdin")
