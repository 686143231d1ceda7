"""Compare listclean's output with a simulated world's truth.csv.

Usage: accuracy.py OUTPUT.csv TRUTH.csv

Prints "rows N", "mismatches N" and "gateway_undeliverable_wrong N" (rows
behind a gateway that listclean called undeliverable while the truth does
not), then, when anything differs, a confusion matrix of expected against
actual (status/reason) and one example row per cell.
"""
import collections
import csv
import sys


def main():
    with open(sys.argv[1], newline="", encoding="utf-8", errors="replace") as f:
        out = list(csv.reader(f))
    with open(sys.argv[2], newline="", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    header, rows = out[0], out[1:]
    col = {name: header.index(name) for name in
           ("status", "reason", "gateway", "smtp_code", "mx")}
    print("rows", len(rows))
    if len(rows) != len(truth):
        print("row count differs: output", len(rows), "truth", len(truth))
        return 1
    matrix = collections.Counter()
    examples = {}
    gateway_wrong = 0
    for row, expected in zip(rows, truth):
        got = row[col["status"]] + "/" + row[col["reason"]]
        want = expected["status"] + "/" + expected["reason"]
        if (row[col["gateway"]] == "true"
                and row[col["status"]] == "undeliverable"
                and expected["status"] != "undeliverable"):
            gateway_wrong += 1
        if got != want:
            matrix[(want, got)] += 1
            examples.setdefault((want, got), (expected["row"], expected["email"],
                                              row[col["smtp_code"]], row[col["mx"]]))
    print("mismatches", sum(matrix.values()))
    print("gateway_undeliverable_wrong", gateway_wrong)
    if matrix:
        print("confusion (expected -> actual: count, example row):")
        for (want, got), count in matrix.most_common():
            print("  %-34s -> %-34s %6d  %s" % (want, got, count,
                                                 examples[(want, got)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
