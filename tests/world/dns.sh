#!/bin/sh
# simworld serve, DNS: every record type and rcode of the DNS profiles,
# truncation over UDP and the full answer over TCP, malformed queries.
. "$(dirname "$0")/../lib.sh"
SIMWORLD=${SIMWORLD:-build/simworld}
world=$tap_tmp/world
mkdir -p "$world"
{
  cat <<'EOF'
simworld-world 1
H 127.1.0.1 normal generic mx1.normal.test
H 127.1.0.2 refused generic mx0.dead.test
A mx1.normal.test 127.1.0.1
A mx0.dead.test 127.1.0.2
A a.equal.test 127.1.0.1
A b.equal.test 127.1.0.1
C mail.cname.test mx1.normal.test
A mx.unreach.test 0.0.0.0
D mx.test mx none
X 10 mx1.normal.test
D equal.test mx_equal none
X 10 a.equal.test
X 10 b.equal.test
D dead.test dead_primary none
X 5 mx0.dead.test
X 10 mx1.normal.test
D cname.test mx_cname none
X 10 mail.cname.test
D implicit.test implicit none
A implicit.test 127.1.0.1
D null.test null_mx none
X 0 .
D nxtarget.test mx_nxtarget none
X 10 mx.nxtarget.test
D gone.test nxdomain none
D fail.test servfail none
D deny.test refused none
D quiet.test silent none
D unreach.test unreachable none
X 10 mx.unreach.test
D big.test big none
EOF
  for i in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15; do
    echo "X 10 relay-$i.inbound-mx-cluster.big.test"
  done
  for i in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15; do
    echo "A relay-$i.inbound-mx-cluster.big.test 127.1.0.1"
  done
} >"$world/world"

dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
"$SIMWORLD" serve --world "$world" --dns "127.0.0.1:$dns_port" \
  --smtp-port "$smtp_port" --https-port 0 --stats "$tap_tmp/stats.json" \
  >"$tap_tmp/serve.out" 2>"$tap_tmp/serve.err" &
serve_pid=$!
tap_cleanup_pid $serve_pid
ready() {
  i=0
  while [ $i -lt 100 ]; do
    grep -q '^simworld: ready' "$tap_tmp/serve.out" && return 0
    kill -0 $serve_pid 2>/dev/null || return 1
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
tap_check "server ready" ready

q() {
  dig @127.0.0.1 -p "$dns_port" +tries=1 +time=2 "$@" 2>&1
}
short() {
  q +short "$@" | tr '\n' ' ' | sed 's/ $//'
}
status() {
  q "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
answers() {
  q "$@" | sed -n 's/.*ANSWER: \([0-9]*\).*/\1/p'
}

tap_eq "MX" "10 mx1.normal.test." "$(short MX mx.test)"
tap_eq "MX case-insensitive" "10 mx1.normal.test." "$(short MX Mx.TeSt)"
tap_eq "equal preferences" "10 a.equal.test. 10 b.equal.test." \
  "$(short MX equal.test)"
tap_eq "dead primary" "5 mx0.dead.test. 10 mx1.normal.test." \
  "$(short MX dead.test)"
tap_eq "A" "127.1.0.1" "$(short A mx1.normal.test)"
tap_eq "A of refusing host" "127.1.0.2" "$(short A mx0.dead.test)"
tap_eq "MX to a CNAME" "10 mail.cname.test." "$(short MX cname.test)"
tap_eq "CNAME" "mx1.normal.test." "$(short CNAME mail.cname.test)"
tap_eq "A through CNAME" "mx1.normal.test. 127.1.0.1" \
  "$(short A mail.cname.test)"
tap_eq "AAAA is NODATA" "NOERROR 0" \
  "$(status AAAA mx1.normal.test) $(answers AAAA mx1.normal.test)"
tap_eq "implicit MX: no MX" "NOERROR 0" \
  "$(status MX implicit.test) $(answers MX implicit.test)"
tap_eq "implicit MX: A on domain" "127.1.0.1" "$(short A implicit.test)"
tap_eq "null MX" "0 ." "$(short MX null.test)"
tap_eq "MX to missing target" "10 mx.nxtarget.test." \
  "$(short MX nxtarget.test)"
tap_eq "missing target NXDOMAIN" NXDOMAIN "$(status A mx.nxtarget.test)"
tap_eq "nxdomain profile" NXDOMAIN "$(status MX gone.test)"
tap_eq "unknown name" NXDOMAIN "$(status MX nosuch.example)"
tap_eq "servfail profile" SERVFAIL "$(status MX fail.test)"
tap_eq "refused profile" REFUSED "$(status MX deny.test)"
tap_eq "refused profile, subdomain" REFUSED "$(status A mx.deny.test)"
q MX quiet.test >"$tap_tmp/quiet.txt"
tap_check "silent profile never answers" grep -q 'timed out' \
  "$tap_tmp/quiet.txt"
tap_eq "unreachable MX target" "0.0.0.0" "$(short A mx.unreach.test)"

q +notcp +ignore MX big.test >"$tap_tmp/udp.txt"
tap_check "big answer sets TC over UDP" grep -q 'flags: qr aa tc' \
  "$tap_tmp/udp.txt"
tap_check "truncated answer is empty" grep -q 'ANSWER: 0,' "$tap_tmp/udp.txt"
tap_eq "full answer over TCP" 16 "$(answers +tcp MX big.test)"
tap_eq "UDP retried over TCP" 16 "$(answers MX big.test)"
tap_check "TCP answer above 512 bytes" sh -c \
  "dig @127.0.0.1 -p $dns_port +tcp MX big.test |
     awk '/MSG SIZE/ { exit !(\$4 > 512) }'"

# Raw packets: garbage, two questions, a response packet, then a normal
# query on the same socket still works.
cat >"$tap_tmp/raw.py" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
def ask(packet):
    s.sendto(packet, ("127.0.0.1", port))
    try:
        return s.recv(4096)
    except socket.timeout:
        return b""
def question(name, qtype=15):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0" + struct.pack(">HH", qtype, 1)
print(len(ask(b"\x12")))
r = ask(struct.pack(">HHHHHH", 7, 0x0100, 2, 0, 0, 0) + question("mx.test") * 2)
print(r[3] & 15)
r = ask(struct.pack(">HHHHHH", 8, 0x0100, 1, 0, 0, 0) + b"\x05mx.te" + b"\xc0\x0c")
print(r[3] & 15)
print(len(ask(struct.pack(">HHHHHH", 9, 0x8100, 1, 0, 0, 0) + question("mx.test"))))
r = ask(struct.pack(">HHHHHH", 10, 0x0100, 1, 0, 0, 0) + question("mx.test"))
print(struct.unpack(">H", r[0:2])[0], r[3] & 15, struct.unpack(">H", r[6:8])[0])
EOF
python3 "$tap_tmp/raw.py" "$dns_port" >"$tap_tmp/raw.txt" 2>&1
tap_eq "one-byte packet dropped" 0 "$(sed -n 1p "$tap_tmp/raw.txt")"
tap_eq "two questions: FORMERR" 1 "$(sed -n 2p "$tap_tmp/raw.txt")"
tap_eq "bad label: FORMERR" 1 "$(sed -n 3p "$tap_tmp/raw.txt")"
tap_eq "response packet dropped" 0 "$(sed -n 4p "$tap_tmp/raw.txt")"
tap_eq "query after garbage" "10 0 1" "$(sed -n 5p "$tap_tmp/raw.txt")"

kill -USR1 $serve_pid
sleep 0.3
cat >"$tap_tmp/stats.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["dns"]
print(d["udp_queries"] > 20, d["tcp_queries"] >= 3, d["truncated"] >= 2,
      d["dropped"] >= 1)
EOF
tap_eq "stats count DNS queries" "True True True True" \
  "$(python3 "$tap_tmp/stats.py" "$tap_tmp/stats.json")"
tap_done
