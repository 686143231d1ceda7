#!/bin/sh
# simworld serve, SMTP: a scripted session against every host profile, the
# reply delays, STARTTLS with the test CA, and the stats file written at
# SIGTERM (DATA commands counted).
. "$(dirname "$0")/../lib.sh"
SIMWORLD=${SIMWORLD:-build/simworld}
world=$tap_tmp/world
mkdir -p "$world"
cat >"$world/world" <<'EOF'
simworld-world 1
H 127.1.0.1 normal generic mx.normal.test
H 127.1.0.2 catchall generic mx.catchall.test
H 127.1.0.3 gw_reject proofpoint mx0a-00100001.pphosted.com
H 127.1.0.4 gw_validate mimecast eu-smtp-inbound-1.mimecast.com
H 127.1.0.5 ms_dbeb microsoft example-test.mail.protection.outlook.com
H 127.1.0.6 ms_accept microsoft other-test.mail.protection.outlook.com
H 127.1.0.7 policy generic mx.policy.test
H 127.1.0.8 banner554 generic mx.banner.test
H 127.1.0.9 noptr generic mx.noptr.test
H 127.1.0.10 normal+greylist generic mx.grey.test
H 127.1.0.11 normal+connlimit generic mx.limit.test
H 127.1.0.12 normal+rcptlimit generic mx.rcpt.test
H 127.1.0.13 normal+tarpit generic mx.tarpit.test
H 127.1.0.14 normal+disconnect generic mx.drop.test
H 127.1.0.15 normal+starttls generic mx.tls.test
H 127.1.0.16 normal+multiline generic mx.multi.test
H 127.1.0.17 normal+lfonly generic mx.lf.test
H 127.1.0.18 normal+full452 generic mx.quota.test
H 127.1.0.19 refused generic mx.refused.test
H 127.1.0.20 silent generic mx.silent.test
H 127.1.0.21 normal google aspmx.l.google.com
H 127.1.0.22 catchall yahoo mta5.am0.yahoodns.net
A mx.tls.test 127.1.0.15
D example.test mx managed
X 10 mx.normal.test
M alice ok
M bob full
M carol disabled
EOF

smtp_port=$(tap_free_port)
dns_port=$(tap_free_port)
"$SIMWORLD" serve --world "$world" --dns "127.0.0.1:$dns_port" \
  --smtp-port "$smtp_port" --https-port 0 --greylist-s 2 --conn-limit 2 \
  --rcpt-limit 3 --tarpit-ms 300 --stats "$tap_tmp/stats.json" \
  >"$tap_tmp/serve.out" 2>"$tap_tmp/serve.err" &
serve_pid=$!
tap_cleanup_pid $serve_pid
ready() {
  i=0
  while [ $i -lt 100 ]; do
    grep -q '^simworld: ready' "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
tap_check "server ready" ready "$tap_tmp/serve.out" $serve_pid
tap_check "ready line counts listeners" grep -q 'mx=21$' "$tap_tmp/serve.out"

# smtp.py HOST PORT COMMAND...: print every reply line, "EOF" when the
# server closes, "REFUSED" and "TIMEOUT" for failures, "[LF]" after lines
# without CR. "STARTTLS" upgrades the socket (CA in $CA, name in $SNI),
# "SLEEP S" waits, "WAIT" reads until the server sends or closes, "PIPE
# a|b|c" sends several commands in one write.
cat >"$tap_tmp/smtp.py" <<'EOF'
import os, socket, ssl, sys, time
host, port, cmds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
try:
    sock = socket.create_connection((host, port), timeout=1.5)
except ConnectionRefusedError:
    print("REFUSED"); sys.exit(0)
buf = b""
def reply():
    global buf
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode()
            print(text[:-1] if text.endswith("\r") else text + " [LF]")
            if len(line) >= 4 and line[3:4] == b" ":
                return True
        try:
            data = sock.recv(4096)
        except socket.timeout:
            print("TIMEOUT"); return False
        except ConnectionResetError:
            data = b""
        if not data:
            print("EOF"); return False
        buf += data
if not reply():
    sys.exit(0)
for cmd in cmds:
    if cmd.startswith("SLEEP "):
        time.sleep(float(cmd[6:])); continue
    if cmd == "WAIT":
        reply(); continue
    if cmd.startswith("PIPE "):
        parts = cmd[5:].split("|")
        sock.sendall("".join(p + "\r\n" for p in parts).encode())
        for _ in parts:
            if not reply(): sys.exit(0)
        continue
    try:
        sock.sendall((cmd + "\r\n").encode())
    except (BrokenPipeError, ConnectionResetError):
        # The server closed first; the close is what the test looks for.
        print("EOF"); sys.exit(0)
    if not reply():
        sys.exit(0)
    if cmd == "STARTTLS":
        ctx = ssl.create_default_context(cafile=os.environ["CA"])
        sock = ctx.wrap_socket(sock, server_hostname=os.environ["SNI"])
        print("TLS " + sock.version())
EOF
session() {
  python3 "$tap_tmp/smtp.py" "$@" 2>&1
}
M="MAIL FROM:<probe@prober.test>"
p=$smtp_port

session 127.1.0.1 $p "EHLO prober.test" "$M" "RCPT TO:<alice@example.test>" \
  "RCPT TO:<nobody@example.test>" "RCPT TO:<bob@example.test>" \
  "RCPT TO:<carol@example.test>" "RCPT TO:<Alice@Example.TEST>" \
  "RCPT TO:<x@elsewhere.test>" DATA RSET "RCPT TO:<alice@example.test>" \
  QUIT WAIT >"$tap_tmp/normal.txt"
line() {
  sed -n "$1p" "$2"
}
f=$tap_tmp/normal.txt
tap_eq "normal: banner" "220 mx.normal.test ESMTP Postfix" "$(line 1 $f)"
tap_eq "normal: EHLO first line" "250-mx.normal.test Hello [127.0.0.1]" \
  "$(line 2 $f)"
tap_eq "normal: EHLO last line" "250 SMTPUTF8" "$(line 7 $f)"
tap_eq "normal: no STARTTLS offered" 0 "$(grep -c STARTTLS $f)"
tap_eq "normal: MAIL" "250 2.1.0 Ok" "$(line 8 $f)"
tap_eq "normal: existing mailbox" "250 2.1.5 Ok" "$(line 9 $f)"
tap_eq "normal: unknown user" "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox table" "$(line 10 $f)"
tap_eq "normal: full mailbox" "552 5.2.2 <bob@example.test>: Mailbox full" \
  "$(line 11 $f)"
tap_eq "normal: disabled mailbox" \
  "550 5.2.1 <carol@example.test>: Account disabled" "$(line 12 $f)"
tap_eq "normal: local part case ignored" "250 2.1.5 Ok" "$(line 13 $f)"
tap_eq "normal: foreign domain" \
  "554 5.7.1 <x@elsewhere.test>: Relay access denied" "$(line 14 $f)"
tap_eq "normal: DATA refused" \
  "554 5.7.0 Error: this server accepts no messages" "$(line 15 $f)"
tap_eq "normal: RSET" "250 2.0.0 Ok" "$(line 16 $f)"
tap_eq "normal: RCPT after RSET" "503 5.5.1 Error: need MAIL command" \
  "$(line 17 $f)"
tap_eq "normal: QUIT" "221 2.0.0 Bye|EOF" "$(sed -n '18,19p' $f | paste -sd'|')"

rcpt() { # HOST ADDRESS: last line of the RCPT reply
  session "$1" $p "EHLO prober.test" "$M" "RCPT TO:<$2>" | tail -n 1
}
tap_eq "catchall: unknown accepted" "250 2.1.5 Ok" \
  "$(rcpt 127.1.0.2 zq8xk2m4v7p1r5t9w3y6@example.test)"
tap_eq "gw_reject: real user" "550 5.1.1 User Unknown" \
  "$(rcpt 127.1.0.3 alice@example.test)"
tap_eq "gw_reject: random user" "550 5.1.1 User Unknown" \
  "$(rcpt 127.1.0.3 zq8xk2m4v7p1r5t9w3y6@example.test)"
tap_eq "gw_validate: real user" "250 Recipient OK" \
  "$(rcpt 127.1.0.4 alice@example.test)"
tap_eq "gw_validate: full mailbox passes" "250 Recipient OK" \
  "$(rcpt 127.1.0.4 bob@example.test)"
tap_eq "gw_validate: unknown user" "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [a1B2c3D4e5.uk12]" \
  "$(rcpt 127.1.0.4 nobody@example.test)"
tap_eq "ms_dbeb: real user" "250 2.1.5 Recipient OK" \
  "$(rcpt 127.1.0.5 alice@example.test)"
tap_eq "ms_dbeb: unknown user" "550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]" \
  "$(rcpt 127.1.0.5 nobody@example.test)"
tap_eq "ms_accept: unknown user" "250 2.1.5 Recipient OK" \
  "$(rcpt 127.1.0.6 nobody@example.test)"
tap_eq "policy: blocklist rejection" "550 5.7.1 Service unavailable; client host [127.0.0.1] blocked using Spamhaus; https://www.spamhaus.org/query/ip/127.0.0.1" \
  "$(rcpt 127.1.0.7 alice@example.test)"
tap_eq "yahoo: unknown accepted" "250 recipient <nobody@example.test> ok" \
  "$(rcpt 127.1.0.22 nobody@example.test)"
tap_eq "full452: quota as 452 4.2.2" "452 4.2.2 The email account that you tried to reach is over quota" \
  "$(rcpt 127.1.0.18 bob@example.test)"

session 127.1.0.21 $p "EHLO prober.test" "$M" "RCPT TO:<nobody@example.test>" \
  >"$tap_tmp/google.txt"
tap_eq "google: banner" "220 mx.google.com ESMTP a1si4 - gsmtp" \
  "$(line 1 "$tap_tmp/google.txt")"
tap_eq "google: three-line 550" "550-5.1.1|550-5.1.1|550 5.1.1" \
  "$(tail -n 3 "$tap_tmp/google.txt" | cut -c1-9 | paste -sd'|')"

session 127.1.0.8 $p "EHLO prober.test" DATA QUIT >"$tap_tmp/banner.txt"
tap_eq "banner554: banner" "554 5.7.1 mx.banner.test ESMTP not accepting connections from [127.0.0.1]: listed at zen.spamhaus.org" \
  "$(line 1 "$tap_tmp/banner.txt")"
tap_eq "banner554: only QUIT" "503 5.5.1 Error: connection rejected, send QUIT" \
  "$(line 2 "$tap_tmp/banner.txt")"
tap_eq "banner554: QUIT" "221 2.0.0 Bye" "$(line 4 "$tap_tmp/banner.txt")"

tap_eq "noptr: MAIL rejected" "550 5.7.25 [127.0.0.1] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP." \
  "$(session 127.1.0.9 $p "EHLO prober.test" "$M" | tail -n 1)"

session 127.1.0.10 $p "EHLO prober.test" "$M" "RCPT TO:<alice@example.test>" \
  "RCPT TO:<alice@example.test>" "SLEEP 2.3" "RCPT TO:<alice@example.test>" \
  "RCPT TO:<nobody@example.test>" >"$tap_tmp/grey.txt"
tap_eq "greylist: first try" "450 4.7.1 <alice@example.test>: Recipient address rejected: Greylisted, try again later" \
  "$(tail -n 4 "$tap_tmp/grey.txt" | sed -n 1p)"
tap_eq "greylist: retry too early" "450" \
  "$(tail -n 3 "$tap_tmp/grey.txt" | sed -n 1p | cut -c1-3)"
tap_eq "greylist: retry after the period" "250 2.1.5 Ok" \
  "$(tail -n 2 "$tap_tmp/grey.txt" | sed -n 1p)"
tap_eq "greylist: other recipient starts over" "450" \
  "$(tail -n 1 "$tap_tmp/grey.txt" | cut -c1-3)"

# Two connections hold the connlimit host; the third is turned away.
session 127.1.0.11 $p "SLEEP 1.5" >"$tap_tmp/hold1.txt" &
hold1=$!
session 127.1.0.11 $p "SLEEP 1.5" >"$tap_tmp/hold2.txt" &
hold2=$!
sleep 0.5
session 127.1.0.11 $p WAIT >"$tap_tmp/limit.txt"
wait $hold1 $hold2
tap_eq "connlimit: 421 above the limit" "421 4.7.0 mx.limit.test Error: too many connections from [127.0.0.1]|EOF" \
  "$(paste -sd'|' "$tap_tmp/limit.txt")"
tap_eq "connlimit: held connections greeted" "220 mx.limit.test ESMTP Postfix" \
  "$(line 1 "$tap_tmp/hold1.txt")"

session 127.1.0.12 $p "EHLO prober.test" "$M" "RCPT TO:<alice@example.test>" \
  "RCPT TO:<alice@example.test>" "RCPT TO:<alice@example.test>" \
  "RCPT TO:<alice@example.test>" RSET "$M" "RCPT TO:<alice@example.test>" \
  >"$tap_tmp/rcpt.txt"
tap_eq "rcptlimit: fourth RCPT" "452 4.5.3 Error: too many recipients" \
  "$(tail -n 4 "$tap_tmp/rcpt.txt" | sed -n 1p)"
tap_eq "rcptlimit: new transaction" "250 2.1.5 Ok" \
  "$(tail -n 1 "$tap_tmp/rcpt.txt")"

start=$(date +%s%N)
session 127.1.0.13 $p "EHLO prober.test" QUIT >"$tap_tmp/tarpit.txt"
elapsed=$((($(date +%s%N) - start) / 1000000))
tap_check "tarpit: three replies take 900 ms" test "$elapsed" -ge 900
tap_eq "tarpit: replies intact" "221 2.0.0 Bye" \
  "$(grep '^221' "$tap_tmp/tarpit.txt")"

session 127.1.0.14 $p "EHLO prober.test" "$M" "RCPT TO:<alice@example.test>" \
  "RCPT TO:<nobody@example.test>" "RCPT TO:<alice@example.test>" \
  >"$tap_tmp/drop.txt"
tap_eq "disconnect: closed after the 550" "550|EOF" \
  "$(tail -n 2 "$tap_tmp/drop.txt" | cut -c1-3 | paste -sd'|')"

CA=$world/ca.pem SNI=mx.tls.test session 127.1.0.15 $p "EHLO prober.test" \
  "$M" STARTTLS "EHLO prober.test" "$M" "RCPT TO:<alice@example.test>" \
  >"$tap_tmp/tls.txt"
tap_eq "starttls: offered" 1 "$(grep -c '^250-STARTTLS$' "$tap_tmp/tls.txt")"
tap_eq "starttls: MAIL before TLS" \
  "530 5.7.0 Must issue a STARTTLS command first" \
  "$(grep '^530' "$tap_tmp/tls.txt")"
tap_eq "starttls: ready" "220 2.0.0 Ready to start TLS" \
  "$(grep '^220 2' "$tap_tmp/tls.txt")"
tap_check "starttls: handshake verified" grep -q '^TLS TLSv1\.[23]$' \
  "$tap_tmp/tls.txt"
tap_eq "starttls: RCPT over TLS" "250 2.1.5 Ok" \
  "$(tail -n 1 "$tap_tmp/tls.txt")"

session 127.1.0.16 $p "EHLO prober.test" >"$tap_tmp/multi.txt"
tap_eq "multiline: banner lines" "220-|220-|220-|220 " \
  "$(sed -n '1,4p' "$tap_tmp/multi.txt" | cut -c1-4 | paste -sd'|')"
tap_eq "multiline: EHLO lines" 13 "$(grep -c '^250' "$tap_tmp/multi.txt")"

session 127.1.0.17 $p "EHLO prober.test" >"$tap_tmp/lf.txt"
tap_eq "lfonly: every line ends in LF" 7 "$(grep -c ' \[LF\]$' "$tap_tmp/lf.txt")"

tap_eq "refused: no listener" REFUSED "$(session 127.1.0.19 $p)"
tap_eq "silent: no banner" TIMEOUT "$(session 127.1.0.20 $p)"

session 127.1.0.1 $p \
  "PIPE EHLO prober.test|$M|RCPT TO:<alice@example.test>|RCPT TO:<nobody@example.test>|QUIT" \
  >"$tap_tmp/pipe.txt"
tap_eq "pipelining: every reply" "250|250|250|550|221" \
  "$(grep -v '^250-' "$tap_tmp/pipe.txt" | sed 1d | cut -c1-3 | head -n 5 |
    paste -sd'|')"
long=$(python3 -c 'print("NOOP " + "x" * 1200)')
tap_eq "line too long" "500 5.5.0 Error: line too long" \
  "$(session 127.1.0.1 $p "$long" | tail -n 1)"
tap_eq "unknown command" "502 5.5.2 Error: command not recognized" \
  "$(session 127.1.0.1 $p "XYZZY" | tail -n 1)"
tap_eq "MAIL before EHLO" "503 5.5.1 Error: send HELO/EHLO first" \
  "$(session 127.1.0.1 $p "$M" | tail -n 1)"

kill -TERM $serve_pid
wait $serve_pid
tap_eq "SIGTERM exits 0" 0 $?
cat >"$tap_tmp/stats.py" <<'EOF'
import json, sys
mx = {h["addr"]: h for h in json.load(open(sys.argv[1]))["mx"]}
print(mx["127.1.0.1"]["data"], mx["127.1.0.8"]["data"],
      mx["127.1.0.2"]["data"], mx["127.1.0.11"]["peak_concurrent"],
      mx["127.1.0.11"]["connections"], mx["127.1.0.12"]["rcpts"],
      mx["127.1.0.8"]["sessions"], mx["127.1.0.20"]["connections"],
      "127.1.0.19" in mx)
EOF
tap_eq "stats: DATA, peak, connections, RCPTs, sessions" \
  "1 1 0 3 3 5 0 1 True" "$(python3 "$tap_tmp/stats.py" "$tap_tmp/stats.json")"

# Latency: every reply waits about --latency-ms.
"$SIMWORLD" serve --world "$world" --dns "127.0.0.1:$dns_port" \
  --smtp-port "$smtp_port" --https-port 0 --latency-ms 200,20 \
  >"$tap_tmp/serve2.out" 2>"$tap_tmp/serve2.err" &
serve2=$!
tap_cleanup_pid $serve2
tap_check "latency server ready" ready "$tap_tmp/serve2.out" $serve2
start=$(date +%s%N)
session 127.1.0.1 $p "EHLO prober.test" "$M" QUIT >/dev/null
elapsed=$((($(date +%s%N) - start) / 1000000))
tap_check "latency: four replies take 700 ms" test "$elapsed" -ge 700
tap_check "latency: but not 2 s" test "$elapsed" -lt 2000
tap_done
