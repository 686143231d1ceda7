#!/bin/sh
# simworld truth against the servers: for a sample of rows of every reason
# in truth.csv, resolve the domain through the DNS server, probe the MX
# over SMTP (random local part and the address, one session each, with
# STARTTLS where required) and ask the identity endpoint, and check that
# the answers are the ones the reason stands for.
. "$(dirname "$0")/../lib.sh"
SIMWORLD=${SIMWORLD:-build/simworld}
world=$tap_tmp/world
"$SIMWORLD" gen --out "$world" --seed 11 --domains 600 --addresses 6000 \
  >"$tap_tmp/gen.log" 2>&1
tap_eq "gen runs" 0 $?

dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
https_port=$(tap_free_port)
"$SIMWORLD" serve --world "$world" --dns "127.0.0.1:$dns_port" \
  --smtp-port "$smtp_port" --https-port "$https_port" --greylist-s 1 \
  --tarpit-ms 50 --throttle-pct 30 >"$tap_tmp/serve.out" \
  2>"$tap_tmp/serve.err" &
serve_pid=$!
tap_cleanup_pid $serve_pid
ready() {
  i=0
  while [ $i -lt 100 ]; do
    grep -q '^simworld: ready' "$tap_tmp/serve.out" 2>/dev/null && return 0
    kill -0 $serve_pid 2>/dev/null || return 1
    sleep 0.1
    i=$((i + 1))
  done
  return 1
}
tap_check "server ready" ready

cat >"$tap_tmp/probe.py" <<'EOF'
import csv, http.client, json, re, socket, ssl, subprocess, sys, time
truth_path, ca, dns_port, smtp_port, https_port = sys.argv[1:6]
PER_REASON, SLOW_PER_REASON = 12, 2
SLOW = {"timeout", "dns_error"}

def dig(qtype, name):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", dns_port, "+tries=1",
                          "+time=1", qtype, name], capture_output=True,
                         text=True).stdout
    status = re.search(r"status: ([A-Z]+)", out)
    if status is None:
        return "TIMEOUT", []
    answers = [l.split() for l in out.splitlines()
               if l and not l.startswith(";")]
    return status.group(1), [a[3:] for a in answers if a[3] == qtype]

def resolve_a(name):
    status, records = dig("A", name)
    return [r[1] for r in records] if status == "NOERROR" else []

def route(domain):
    """DNS outcome and the MX addresses in preference order."""
    status, mx = dig("MX", domain)
    if status == "NXDOMAIN":
        return "no_domain", []
    if status != "NOERROR":
        return "dns_error", []
    if len(mx) == 1 and mx[0][2] == ".":
        return "no_mail_server", []
    targets = [r[2].rstrip(".") for r in sorted(mx, key=lambda r: int(r[1]))]
    addrs = []
    for t in targets or [domain]:
        addrs += resolve_a(t)
    if not addrs:
        return "no_mail_server", []
    if all(a == "0.0.0.0" for a in addrs):
        return "unreachable_mx", []
    return "ok", [a for a in addrs if a != "0.0.0.0"]

class Session:
    def __init__(self, addr):
        self.sock = socket.create_connection((addr, int(smtp_port)), 2)
        self.buf = b""
    def reply(self):
        lines = []
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                lines.append(line.decode().rstrip("\r"))
                if line[3:4] == b" ":
                    return lines
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
    def cmd(self, text):
        self.sock.sendall((text + "\r\n").encode())
        return self.reply()

def rcpt_once(addr, rcpt):
    s = Session(addr)
    try:
        banner = s.reply()
        if not banner[0].startswith("220"):
            return banner[-1]
        s.cmd("EHLO prober.test")
        r = s.cmd("MAIL FROM:<probe@prober.test>")
        if r[-1].startswith("530"):
            s.cmd("STARTTLS")
            ctx = ssl.create_default_context(cafile=ca)
            ctx.check_hostname = False
            s.sock = ctx.wrap_socket(s.sock)
            s.cmd("EHLO prober.test")
            r = s.cmd("MAIL FROM:<probe@prober.test>")
        if not r[-1].startswith("250"):
            return r[-1]
        return s.cmd("RCPT TO:<%s>" % rcpt)[-1]
    finally:
        s.sock.close()

def rcpt(addrs, address):
    """Last reply line for ADDRESS, after greylisting and limits, or
    'connection_failed' / 'timeout'."""
    for addr in addrs:
        try:
            for attempt in range(4):
                line = rcpt_once(addr, address)
                if not re.match(r"4(21|50|52 4\.5\.3)", line):
                    return line
                time.sleep(1.1)
            return line
        except ConnectionRefusedError:
            continue
        except (socket.timeout, TimeoutError):
            return "timeout"
    return "connection_failed"

def identity(address):
    for attempt in range(5):
        ctx = ssl.create_default_context(cafile=ca)
        c = http.client.HTTPSConnection("localhost", int(https_port),
                                        context=ctx, timeout=3)
        c.request("POST", "/common/GetCredentialType",
                  json.dumps({"Username": address}))
        answer = json.loads(c.getresponse().read())
        if answer["ThrottleStatus"] == 0:
            return answer["IfExistsResult"]
    return None

def mailbox_class(line):
    return bool(re.match(r"550[ -](5\.1\.1|5\.4\.1|Invalid Recipient|No such)",
                         line))

def check(reason, address):
    domain = address.rsplit("@", 1)[1]
    dns, addrs = route(domain)
    if reason in ("no_domain", "dns_error", "no_mail_server",
                  "unreachable_mx"):
        return dns == reason, dns
    if dns != "ok":
        return False, dns
    line = rcpt(addrs, address)
    probe = rcpt(addrs, "zq8xk2m4v7p1r5t9w3y6rnd@" + domain)
    seen = "%s | probe %s" % (line, probe)
    if reason in ("accepted", "role_account", "disposable"):
        return line.startswith("250"), seen
    if reason == "accept_all":
        return line.startswith("250") and probe.startswith("250"), seen
    if reason == "mailbox_not_found":
        return mailbox_class(line) and not probe.startswith("250"), seen
    if reason == "mailbox_full":
        return bool(re.match(r"552 5\.2\.2|452 4\.2\.2", line)), seen
    if reason == "mailbox_disabled":
        return line.startswith("550 5.2.1"), seen
    if reason == "gateway_rejected":
        return mailbox_class(line) and line[:3] == probe[:3], seen
    if reason == "blocked":
        return bool(re.match(r"55[04][ -]5\.7\.", line)), seen
    if reason in ("timeout", "connection_failed"):
        return line == reason, seen
    if reason in ("identity_confirmed", "identity_absent"):
        canary = identity("zq8xk2m4v7p1r5t9w3y6rnd@" + domain)
        answer = identity(address)
        want = 0 if reason == "identity_confirmed" else 1
        return canary == 1 and answer in ((0, 5, 6) if want == 0 else (1,)), \
            "%s | identity %s canary %s" % (seen, answer, canary)
    return None, "reason not checked"

rows = list(csv.reader(open(truth_path, newline="")))[1:]
by_reason = {}
for row in rows:
    by_reason.setdefault(row[3], []).append(row)
checked = failed = 0
for reason in sorted(by_reason):
    if reason in ("invalid_syntax", "missing_address"):
        continue
    limit = SLOW_PER_REASON if reason in SLOW else PER_REASON
    seen_addresses = set()
    for row in by_reason[reason]:
        if len(seen_addresses) >= limit:
            break
        if row[1].lower() in seen_addresses:
            continue
        seen_addresses.add(row[1].lower())
        ok, detail = check(reason, row[1])
        if ok is None:
            continue
        checked += 1
        if not ok:
            failed += 1
            print("# row %s %s %s: %s" % (row[0], row[1], reason, detail))
    print("# %s: %d" % (reason, len(seen_addresses)))
print("checked", checked, "failed", failed)
EOF
python3 "$tap_tmp/probe.py" "$world/truth.csv" "$world/ca.pem" "$dns_port" \
  "$smtp_port" "$https_port" >"$tap_tmp/probe.txt" 2>&1
grep '^#' "$tap_tmp/probe.txt"
result=$(tail -n 1 "$tap_tmp/probe.txt")
tap_eq "no row disagrees with the servers" 0 \
  "$(echo "$result" | sed -n 's/.* failed \([0-9]*\)$/\1/p')"
tap_check "over 150 rows probed" test \
  "$(echo "$result" | sed -n 's/^checked \([0-9]*\) .*/\1/p')" -gt 150
tap_done
