#!/bin/sh
# End-to-end CSV tests: run the built binary on fixture files and compare
# the exact output bytes with the expected files.
. "$LISTCLEAN_TOP/tests/lib.sh"
fx="$LISTCLEAN_TOP/tests/e2e/fixtures"
ex="$LISTCLEAN_TOP/tests/e2e/expected"
lc="$LISTCLEAN"
t=$tap_tmp

# Fixture NAME cleaned with extra OPTIONS must match expected/NAME.
check_fixture() {
  name=$1
  shift
  "$lc" --checks syntax "$@" "$fx/$name" -o "$t/$name" 2>"$t/$name.err"
  tap_eq "$name exit status" 0 $?
  tap_cmp "$name output bytes" "$ex/$name" "$t/$name"
}

check_fixture quoting.csv
check_fixture bom-crlf.csv
check_fixture semicolon.csv
check_fixture malformed.csv
tap_eq "malformed warnings name lines" \
  "line 3 line 4 line 6 line 8" \
  "$(grep -o 'line [0-9]*' "$t/malformed.csv.err" | tr '\n' ' ' |
    sed 's/ $//')"

# Compressed input and output give the same CSV as plain files.
zstd -q -c "$fx/quoting.csv" >"$t/in.csv.zst"
"$lc" --checks syntax "$t/in.csv.zst" -o "$t/out.csv.zst"
tap_eq "zst in and out exit status" 0 $?
zstd -q -d -c "$t/out.csv.zst" >"$t/out-from-zst.csv"
tap_cmp "zst round trip bytes" "$ex/quoting.csv" "$t/out-from-zst.csv"
tap_eq "zst output has zstd magic" "28b52ffd" \
  "$(od -An -tx1 -N4 "$t/out.csv.zst" | tr -d ' \n')"

# Standard input to standard output.
"$lc" --checks syntax - <"$fx/quoting.csv" >"$t/stdout.csv"
tap_cmp "stdin to stdout bytes" "$ex/quoting.csv" "$t/stdout.csv"

# 1,000 copies of one address: the first is not a duplicate, the rest are.
{
  echo "email"
  i=0
  while [ $i -lt 1000 ]; do
    echo "Same.Person@Example.com"
    i=$((i + 1))
  done
} >"$t/dups.csv"
"$lc" --checks syntax "$t/dups.csv" -o "$t/dups.out"
tap_eq "duplicates row count" 1001 "$(wc -l <"$t/dups.out")"
tap_eq "first copy not duplicate" "false" \
  "$(sed -n 2p "$t/dups.out" | cut -d, -f13)"
tap_eq "later copies duplicate" 999 \
  "$(tail -n +3 "$t/dups.out" | cut -d, -f13 | grep -c '^true$')"

# Many rows through a small window keep their order.
seq 1 50000 | awk 'BEGIN { print "id,email" }
  { printf "%d,user%d@example.com\n", $1, $1 % 7000 }' >"$t/many.csv"
"$lc" --checks syntax --max-rows-in-flight 7 "$t/many.csv" -o "$t/many.out"
tap_eq "window keeps order" "$(cut -d, -f1 "$t/many.csv")" \
  "$(cut -d, -f1 "$t/many.out")"

# Errors: clear message, documented exit status.
"$lc" --checks syntax "$t/does-not-exist.csv" 2>"$t/err1"
tap_eq "missing input exit status" 2 $?
tap_check "missing input message names file" \
  grep -q "does-not-exist.csv: No such file or directory" "$t/err1"
"$lc" 2>"$t/err2"
tap_eq "no input exit status" 1 $?
tap_check "no input message" grep -q "missing INPUT" "$t/err2"
"$lc" --zstd-level 99 "$fx/quoting.csv" 2>"$t/err3"
tap_eq "bad level exit status" 1 $?
tap_check "bad level message names value" \
  grep -q "invalid value '99' for --zstd-level" "$t/err3"
"$lc" -d x "$fx/quoting.csv" 2>"$t/err3d"
tap_eq "letter as delimiter exit status" 1 $?
tap_check "letter as delimiter message" \
  grep -q "invalid value 'x' for --delimiter" "$t/err3d"
# A report in a directory that does not exist is refused at the start,
# before the output is created.
"$lc" --checks syntax --report "$t/nodir/r.json" "$fx/quoting.csv" \
  -o "$t/nodir.csv" 2>"$t/nodir.err"
tap_eq "report in a missing directory exit status" 1 $?
tap_eq "report in a missing directory message" \
  "listclean: error: cannot write the report $t/nodir/r.json: directory $t/nodir: No such file or directory; give --report a path in a directory this user can write to" \
  "$(cat "$t/nodir.err")"
tap_check "report in a missing directory: no output" [ ! -e "$t/nodir.csv" ]
"$lc" --checks '' "$fx/quoting.csv" -o /dev/null 2>"$t/nochecks.err"
tap_eq "empty --checks exit status" 1 $?
# An upper-case .ZST suffix compresses too.
"$lc" --checks syntax "$fx/quoting.csv" -o "$t/upper.csv.ZST"
tap_check "upper-case .ZST is zstd" zstd -q -t "$t/upper.csv.ZST"
# A first row that contains an address is probably not a header.
printf '1,a@example.com\n2,b@example.com\n' |
  "$lc" --checks syntax - -o /dev/null 2>"$t/nohead.err"
tap_eq "address in the header warns" \
  "listclean: warn: the header's column 2 is an address (\"a@example.com\"): if the file has no header, give --no-header, or its first row is written as the header and not checked" \
  "$(cat "$t/nohead.err")"

# The suggestion column: a likely typo of a known domain, else empty.
tap_eq "suggestion column" "email,status,reason,normalized,suggestion
john@gmial.com,unknown,not_checked,john@gmial.com,john@gmail.com
ann@hotmial.com,unknown,not_checked,ann@hotmial.com,ann@hotmail.com
bob@example.com,unknown,not_checked,bob@example.com," \
  "$(printf 'email\njohn@gmial.com\nann@hotmial.com\nbob@example.com\n' |
    "$lc" --checks syntax - | cut -d, -f1-5)"

# Numbers are digits only (and a decimal point for seconds): no blanks,
# signs, exponents or hexadecimal.
for v in ' 7' '+3' '-1' '0x10' ''; do
  "$lc" --max-spill "$v" "$fx/quoting.csv" 2>"$t/err3n"
  tap_eq "--max-spill '$v' exit status" 1 $?
  tap_eq "--max-spill '$v' message" \
    "listclean: invalid value '$v' for --max-spill: expected a whole number from 0 to 1048576" \
    "$(head -n 1 "$t/err3n")"
done
for v in ' 1' '+1' '1e1' 'nan' '0x1p1' '.'; do
  "$lc" --dns-timeout "$v" "$fx/quoting.csv" 2>"$t/err3s"
  tap_eq "--dns-timeout '$v' exit status" 1 $?
  tap_eq "--dns-timeout '$v' message" \
    "listclean: invalid value '$v' for --dns-timeout: expected seconds from 0.001 to 600" \
    "$(head -n 1 "$t/err3s")"
done
"$lc" --checks syntax,dns,identity "$fx/quoting.csv" 2>"$t/err3i"
tap_eq "identity without smtp exit status" 1 $?
tap_check "identity without smtp message" \
  grep -q "checks identity needs smtp too" "$t/err3i"
"$lc" --checks syntax --column Nope "$fx/quoting.csv" >/dev/null 2>"$t/err4"
tap_eq "unknown column exit status" 1 $?
tap_check "unknown column message lists columns" \
  grep -q 'column "Nope" not found in the header; the columns are: 1="id"' \
  "$t/err4"
if [ -w /dev/full ]; then
  "$lc" --checks syntax "$fx/quoting.csv" -o /dev/full 2>"$t/err5"
  tap_eq "full disk exit status" 2 $?
  tap_check "full disk message" grep -q "No space left on device" "$t/err5"
fi

tap_done
