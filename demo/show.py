"""Print the first rows of a listclean output as tab-separated columns.

Usage: zstd -dc OUT.csv.zst | show.py COLUMN ROWS | column -t -s "$TAB"

COLUMN is the header of the input's address column, ROWS the number of
data rows to print. The columns are: row number, the address as the input
wrote it, status, reason, the deciding SMTP code, the MX that replied and
a note (typo suggestion, identity answer, duplicate). Empty cells print as
"-" so that column(1) keeps them.
"""
import csv
import io
import sys

WIDTH = {"address": 36, "mx": 32}


def cell(value, name=None):
    value = value.strip() or "-"
    width = WIDTH.get(name)
    if width and len(value) > width:
        value = value[:width - 3] + "..."
    return value


def note(row, col):
    parts = []
    if row[col["suggestion"]]:
        domain = row[col["suggestion"]].rpartition("@")[2]
        parts.append("did you mean " + domain)
    if row[col["identity"]]:
        parts.append("identity " + row[col["identity"]])
    if row[col["duplicate"]] == "true":
        parts.append("duplicate")
    return ", ".join(parts)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: show.py COLUMN ROWS")
    text = sys.stdin.buffer.read().decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = rows[0]
    names = ("status", "reason", "suggestion", "mx", "smtp_code", "identity",
             "duplicate")
    col = {name: header.index(name) for name in names}
    address = header.index(sys.argv[1])
    print("\t".join(("#", "address", "status", "reason", "code", "mx",
                     "note")))
    for number, row in enumerate(rows[1:int(sys.argv[2]) + 1], 1):
        print("\t".join((str(number), cell(row[address], "address"),
                         cell(row[col["status"]]), cell(row[col["reason"]]),
                         cell(row[col["smtp_code"]]),
                         cell(row[col["mx"]], "mx"), cell(note(row, col)))))


if __name__ == "__main__":
    main()
