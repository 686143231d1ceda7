#!/bin/sh
# simworld gen: deterministic output, one truth line per input row, the
# messy values and every verdict of the default mix, round trip of the
# world file through the loader, and rejected options.
. "$(dirname "$0")/../lib.sh"
SIMWORLD=${SIMWORLD:-build/simworld}
out=$tap_tmp

gen() {
  "$SIMWORLD" gen --out "$@" >"$out/gen.log" 2>&1
}

tap_check "gen seed 5 runs" gen "$out/a" --seed 5 --domains 2000 --addresses 20000
tap_check "gen seed 5 runs again" gen "$out/b" --seed 5 --domains 2000 --addresses 20000
tap_check "gen seed 6 runs" gen "$out/c" --seed 6 --domains 2000 --addresses 20000
for f in world input.csv truth.csv; do
  tap_cmp "same seed, same $f" "$out/a/$f" "$out/b/$f"
  if cmp -s "$out/a/$f" "$out/c/$f"; then
    tap_not_ok "other seed, other $f"
  else
    tap_ok "other seed, other $f"
  fi
done

# Count CSV records (quoted fields may hold line breaks) and compare row
# numbers with the truth file.
cat >"$out/rows.py" <<'EOF'
import csv, sys
with open(sys.argv[1], newline='', encoding='utf-8') as f:
    rows = list(csv.reader(f))
with open(sys.argv[2], newline='', encoding='utf-8') as f:
    truth = list(csv.reader(f))
print(rows[0] == ['id', 'first_name', 'last_name', 'company', 'email',
                  'phone', 'created_at', 'notes'])
print(truth[0] == ['row', 'email', 'status', 'reason'])
print(len(rows) - 1, len(truth) - 1)
print(all(t[0] == str(i + 1) for i, t in enumerate(truth[1:])))
print(all(len(r) == 8 for r in rows))
EOF
python3 "$out/rows.py" "$out/a/input.csv" "$out/a/truth.csv" >"$out/rows.txt"
tap_eq "input header" True "$(sed -n 1p "$out/rows.txt")"
tap_eq "truth header" True "$(sed -n 2p "$out/rows.txt")"
tap_eq "one truth line per row" "20000 20000" "$(sed -n 3p "$out/rows.txt")"
tap_eq "truth rows numbered 1..N" True "$(sed -n 4p "$out/rows.txt")"
tap_eq "every record has 8 fields" True "$(sed -n 5p "$out/rows.txt")"

# Every status/reason pair the default mix can produce.
cat >"$out/expected_reasons" <<'EOF'
deliverable,accepted
deliverable,identity_confirmed
risky,accept_all
risky,disposable
risky,mailbox_full
risky,role_account
risky,unreachable_mx
undeliverable,identity_absent
undeliverable,invalid_syntax
undeliverable,mailbox_disabled
undeliverable,mailbox_not_found
undeliverable,missing_address
undeliverable,no_domain
undeliverable,no_mail_server
unknown,blocked
unknown,connection_failed
unknown,dns_error
unknown,gateway_rejected
unknown,timeout
EOF
python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))[1:]
print("\n".join(sorted({r[2] + "," + r[3] for r in rows})))
' "$out/a/truth.csv" >"$out/reasons"
tap_cmp "truth covers every verdict" "$out/expected_reasons" "$out/reasons"

has() {
  grep -q -- "$1" "$out/a/input.csv"
}
tap_check "input has mailto: prefixes" has ',mailto:'
tap_check "input has Name <addr> values" has '<[a-z0-9._-]*@'
tap_check "input has upper-case domains" has '@[A-Z0-9-]*\.[A-Z]'
tap_check "input has quoted commas" has '"[^",]*, [^"]*"'
tap_check "input has typo domains" has '@gmial\.com\|@gmail\.con\|@hotmial\.com'
tap_check "input has disposable domains" has '@mailinator\.com\|@yopmail\.com'
tap_check "input has role accounts" has ',info@\|,sales@\|,support@'
tap_check "input has two @" has '@[a-z.-]*@'

tap_check "loader round trip" sh -c \
  "'$SIMWORLD' dump --world '$out/a' | cmp -s - '$out/a/world'"
grep -q '^H 127\.1\.0\.1 normal google gmail-smtp-in.l.google.com$' \
  "$out/a/world"
tap_eq "first host is Google" 0 $?
hosts=$(grep -c '^H ' "$out/a/world")
tap_eq "distinct MX hosts at the cap" 500 "$hosts"
tap_eq "mailbox count" 20000 "$(grep -c '^M ' "$out/a/world")"

gen "$out/d" --profile-mix smtp:nosuch=1
tap_eq "unknown profile rejected" 2 $?
gen "$out/d" --profile-mix dns:big
tap_eq "entry without weight rejected" 2 $?
gen "$out/d" --seed 3 --domains 200 --addresses 1000 \
  --profile-mix dns:mx=0,dns:servfail=1,dns:nxdomain=0,dns:mx_equal=0,dns:dead_primary=0,dns:mx_cname=0,dns:implicit=0,dns:null_mx=0,dns:mx_nxtarget=0,dns:refused=0,dns:silent=0,dns:big=0,dns:unreachable=0
tap_eq "mix of one DNS profile runs" 0 $?
tap_eq "every random domain is servfail" 187 \
  "$(grep -c '^D .* servfail none$' "$out/d/world")"
printf 'simworld-world 1\nH 10.0.0.1 normal generic x.test\n' >"$out/bad"
mkdir -p "$out/e" && cp "$out/bad" "$out/e/world"
"$SIMWORLD" dump --world "$out/e" >/dev/null 2>"$out/e.err"
tap_eq "non-loopback host rejected" 1 $?
tap_check "loader names the line" grep -q 'world:2: MX host address outside' \
  "$out/e.err"
tap_done
