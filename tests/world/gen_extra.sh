#!/bin/sh
# simworld gen --extra: the listed hosts, domains and mailboxes join the
# generated world, which otherwise stays the one the seed gives. External
# hosts get no SMTP listener. Invalid files are rejected with the file and
# line.
. "$(dirname "$0")/../lib.sh"
SIMWORLD=${SIMWORLD:-build/simworld}
t=$tap_tmp

gen() {
  "$SIMWORLD" gen --seed 9 --domains 60 --addresses 500 --mx-hosts 40 \
    --out "$@" >"$t/gen.out" 2>"$t/gen.err"
}

cat >"$t/extra" <<'EOF'
# a comment, then an empty line

host 127.0.25.1 normal+external generic mx.outside.test
domain shop-one.test @mx.outside.test
mailbox Anna@Shop-One.test
mailbox bob@shop-one.test full
domain shop-two.test gw_validate mx managed
mailbox carol@shop-two.test disabled
domain shop-three.test - null_mx
mailbox extra.person@gmail.com
EOF

tap_check "gen without --extra" gen "$t/base"
tap_check "gen with --extra" gen "$t/a" --extra "$t/extra"
tap_check "gen with --extra again" gen "$t/b" --extra "$t/extra"
for f in world input.csv truth.csv; do
  tap_cmp "same extra file, same $f" "$t/a/$f" "$t/b/$f"
done

# The generated world must be an ordered subsequence of the extended one;
# the lines in between are the extra ones.
python3 - "$t/base/world" "$t/a/world" >"$t/added" <<'EOF'
import sys
base = open(sys.argv[1]).read().splitlines()
extended = iter(open(sys.argv[2]).read().splitlines())
added = []
missing = 0
for line in base:
    for other in extended:
        if other == line:
            break
        added.append(other)
    else:
        missing += 1
added.extend(extended)
print("missing", missing)
print("\n".join(added))
EOF
tap_eq "every generated line kept, in order" "missing 0" \
  "$(sed -n 1p "$t/added")"
sed 1d "$t/added" >"$t/subset"
tap_eq "only extra domains added" \
  "D shop-one.test mx none
D shop-two.test mx managed
D shop-three.test null_mx none" "$(grep '^D ' "$t/subset")"
tap_eq "extra host first" "H 127.0.25.1 normal+external generic mx.outside.test" \
  "$(grep '^H ' "$t/subset")"
tap_eq "extra mailbox first on its fixed domain" "M extra.person ok" \
  "$(sed -n '/^D gmail.com /,/^D /p' "$t/a/world" | grep '^M ' | sed 1q)"
tap_eq "extra domains in file order, lower case" \
  "D shop-one.test mx none
X 10 mx.outside.test
M anna ok
M bob full
D shop-two.test mx managed" \
  "$(sed -n '/^D shop-one.test/,/^D shop-two.test/p' "$t/a/world")"
tap_eq "disabled mailbox on a gateway domain" "M carol disabled" \
  "$(sed -n '/^D shop-two.test/,/^D shop-three/p' "$t/a/world" | grep '^M ')"
sed -n '/^D shop-two.test/,/^D shop-three/p' "$t/a/world" | grep '^X ' \
  >"$t/gateway-mx"
tap_check "gateway domain has MX records" test -s "$t/gateway-mx"
gateway='^X 10 (mx0[ab]-00[0-9]+\.pphosted\.com'
gateway="$gateway|d[0-9]+[ab]\.ess\.barracudanetworks\.com"
gateway="$gateway|[a-z]+-smtp-inbound-[0-9]+\.mimecast\.com)$"
tap_eq "gateway MX names" "$(wc -l <"$t/gateway-mx")" \
  "$(grep -c -E "$gateway" "$t/gateway-mx")"
tap_eq "null MX domain" "D shop-three.test null_mx none
X 0 ." "$(sed -n '/^D shop-three.test/,$p' "$t/a/world")"

# The truth of generated rows follows the extra entries.
tap_check "truth has rows on extra domains" \
  grep -q -E '@shop-(one|two|three)\.test,' "$t/a/truth.csv"

# serve binds every host but refused and external ones.
port=$(tap_free_port)
"$SIMWORLD" serve --world "$t/a" --dns "127.0.0.1:$(tap_free_port)" \
  --smtp-port "$port" --https-port 0 >"$t/serve.out" 2>"$t/serve.err" &
tap_cleanup_pid $!
i=0
until grep -q ready "$t/serve.out" 2>/dev/null || [ $i -ge 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
listeners=$(grep '^H ' "$t/a/world" | grep -c -v -E ' refused | [a-z_0-9]+\+external ')
tap_eq "serve skips the external host" "mx=$listeners" \
  "$(grep -o 'mx=[0-9]*' "$t/serve.out")"
tap_eq "nothing listens on the external address" refused \
  "$(python3 -c '
import socket, sys
try:
    socket.create_connection(("127.0.25.1", int(sys.argv[1])), 2).close()
    print("listening")
except ConnectionRefusedError:
    print("refused")' "$port")"

# Invalid files: one line each, with the expected message.
reject() {
  name=$1 line=$2 message=$3
  printf '%s\n' "$line" >"$t/bad"
  gen "$t/bad-out" --extra "$t/bad" $4
  rc=$?
  tap_eq "rejects $name: exit status" 1 $rc
  tap_eq "rejects $name: message" "simworld: $t/bad:1: $message" \
    "$(head -n 1 "$t/gen.err")"
}
reject "unknown entry" "alias a b" \
  "unknown entry (expected host, domain or mailbox)"
reject "unknown target" "domain a.test nosuch" \
  "unknown target (expected an SMTP profile such as normal, @HOSTNAME or -)"
reject "host profile without target" "domain a.test - mx" \
  "this DNS profile needs a mail host; name an SMTP profile or @HOSTNAME"
reject "target on a hostless profile" "domain a.test normal nxdomain" \
  "this DNS profile has no mail host; use - as the target"
reject "@HOSTNAME with another DNS profile" \
  "domain a.test @aspmx.l.google.com implicit" \
  "@HOSTNAME works with the DNS profile mx only"
reject "mailbox without @" "mailbox nobody" \
  "invalid mailbox line, expected mailbox LOCAL@DOMAIN [ok|full|disabled]"
reject "unknown mailbox state" "mailbox a@gmail.com gone" \
  "unknown mailbox state (expected ok, full or disabled)"
reject "non-ASCII name" "domain bücher.test normal" \
  "invalid character (only printable ASCII without quotes and backslashes; write IDN domains as A-labels)"
reject "host outside loopback" "host 10.0.0.1 normal generic mx.a.test" \
  "host address is not an IPv4 address in 127.0.0.0/8"
reject "host on a generated address" "host 127.1.0.1 normal generic mx.a.test" \
  "address already taken by another host (generated hosts use 127.1.0.1 upward): 127.1.0.1"
reject "fixed domain" "domain gmail.com normal" \
  "name already in the world (a fixed domain takes mailbox lines only): gmail.com"
reject "typo domain" "domain gmial.com normal" \
  "input.csv uses this misspelled domain as one that does not exist: gmial.com"
reject "MX target outside the world" "domain a.test @mx.nowhere.test" \
  "MX target has no A record in the world: mx.nowhere.test"
reject "gateway with another DNS profile" "domain a.test gw_reject implicit" \
  "provider and gateway hosts work with the DNS profile mx only: gw_reject"
reject "empty pool" "domain a.test policy" \
  "no host has this SMTP profile (its --profile-mix weight is 0): policy" \
  "--profile-mix smtp:policy=0"
reject "mailbox on an unknown domain" "mailbox a@nowhere.test" \
  "mailbox domain is neither a fixed domain of the generator nor on a domain line: nowhere.test"
gen "$t/bad-out" --extra "$t/missing-file"
tap_eq "missing file: exit status" 1 $?
tap_check "missing file: message" grep -q "cannot open $t/missing-file" \
  "$t/gen.err"

tap_done
