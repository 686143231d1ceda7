#!/bin/sh
# The per-MX scheduler end to end, judged by simworld's counters and RCPT
# log: backoff on connection limits, greylisting retries, no DATA and the
# per-MX connection limit, and fairness between the domains of one MX.
# It serves three small worlds and one scripted world on loopback and
# takes about 10 s on two cores.
. "$LISTCLEAN_TOP/tests/lib.sh"
lc="$LISTCLEAN_TOP/build/listclean"
dns_port=$(tap_free_port)
smtp_port=$(tap_free_port)
https_port=$(tap_free_port)
# The slow profiles only add waiting to these runs. Dead primary MX hosts
# stay: sessions that fall back to the next host count against that
# host's own limit.
quiet=smtp:silent=0,smtp:tarpit=0,dns:silent=0

# serve WORLD LABEL [OPTION...]: start simworld on the test ports for at
# most 120 s, write WORLD/LABEL.stats.json at exit, and wait for its ready
# line. timeout passes SIGTERM on to simworld and exits with its status.
# Identity responses are never throttled, because listclean's wait before
# a resend would only make the runs longer.
serve() {
  w=$1
  label=$2
  shift 2
  timeout 120 "$SIMWORLD" serve --world "$w" --dns "127.0.0.1:$dns_port" \
    --smtp-port "$smtp_port" --https-port "$https_port" \
    --throttle-pct 0 --stats "$w/$label.stats.json" "$@" \
    >"$w/$label.serve.out" 2>"$w/$label.serve.err" &
  sim=$!
  tap_cleanup_pid $sim
  i=0
  until grep -q '^simworld: ready' "$w/$label.serve.out" || [ $i -ge 100 ]; do
    kill -0 $sim 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
  done
  tap_check "$label: simworld ready" grep -q '^simworld: ready' \
    "$w/$label.serve.out"
}

# stop: SIGTERM makes simworld write its stats file and RCPT log.
stop() {
  kill -TERM $sim
  wait $sim
  tap_eq "$label: simworld exits 0" 0 $?
}

# clean INPUT LABEL [OPTION...]: run listclean against the served world
# with the options of accuracy.sh; output WORLD/LABEL.out.csv, debug log
# WORLD/LABEL.err.
clean() {
  input=$1
  label=$2
  shift 2
  timeout 60 "$lc" --dns-server "127.0.0.1:$dns_port" --dns-timeout 0.5 \
    --smtp-port "$smtp_port" --allow-private-mx \
    --helo probe.listclean.test --from check@probe.listclean.test \
    --connect-timeout 1 --command-timeout 2 --greylist-retry 1 \
    --greylist-max-wait 20 --backoff 1 --connect-rate 1000 \
    --rcpt-rate 1000000 --identity-url "https://127.0.0.1:$https_port" \
    --ca-file "$w/ca.pem" --identity-rate 1000 --seed 7 --log-level debug \
    "$@" "$input" -o "$w/$label.out.csv" 2>"$w/$label.err"
  tap_eq "$label: listclean exit status" 0 $?
}

# accuracy ROWS: compare WORLD/LABEL.out.csv with the world's truth, and
# require ROWS rows and no mismatch.
accuracy() {
  python3 "$LISTCLEAN_TOP/tests/accuracy.py" "$w/$label.out.csv" \
    "$w/truth.csv" >"$w/$label.accuracy"
  sed 's/^/# /' "$w/$label.accuracy" | head -n 20
  tap_eq "$label: every row checked" "rows $1" \
    "$(grep '^rows' "$w/$label.accuracy")"
  tap_eq "$label: verdicts match truth" "mismatches 0" \
    "$(grep '^mismatches' "$w/$label.accuracy")"
}

# value NAME: the value of line "NAME value" of WORLD/LABEL.check.
value() {
  sed -n "s/^$1 //p" "$w/$label.check"
}

# sched.py COMMAND ARGS...: figures from a world, simworld's stats and RCPT
# log, listclean's output and its debug log, one "name value" per line.
cat >"$tap_tmp/sched.py" <<'EOF'
import collections, csv, json, re, sys


def read_world(path):
    """Host profile per address, and the address of every DNS name."""
    profile, addr, cname = {}, {}, {}
    for line in open(path):
        f = line.split()
        if f[0] == "H":
            profile[f[1]] = f[2]
            addr[f[4]] = f[1]
        elif f[0] == "A":
            addr[f[1]] = f[2]
        elif f[0] == "C":
            cname[f[1]] = f[2]
    for name, target in cname.items():
        if target in addr:
            addr[name] = addr[target]
    return profile, addr


def read_stats(path):
    stats = json.load(open(path))
    return stats["smtp"], {mx["addr"]: mx for mx in stats["mx"]}


def politeness(stats_path, per_mx):
    smtp, mx = read_stats(stats_path)
    print("data", smtp["data"])
    over = [a for a, m in mx.items() if m["peak_concurrent"] > int(per_mx)]
    print("hosts_over_limit", len(over), *over)
    print("peak", max(m["peak_concurrent"] for m in mx.values()))


def backoff(world, stats_path, out_path, truth_path, log_path):
    profile, addr = read_world(world + "/world")
    smtp, mx = read_stats(stats_path)
    limited = {a for a, p in profile.items() if "connlimit" in p.split("+")}
    used = {a for a in limited if mx[a]["connections"] > 0}
    busy = {a for a in mx if mx[a]["busy_421"] > 0}
    print("connlimit_hosts_used", len(used))
    print("connlimit_hosts_without_421", len(used - busy))
    print("busy_421_elsewhere", len(busy - limited))
    print("busy_421", smtp["busy_421"])

    log = open(log_path, encoding="utf-8", errors="replace").read()
    print("sessions_rate_limited",
          len(re.findall(r"smtp mx=\S+ end=rate_limited ", log)))
    backoffs = collections.Counter(
        re.findall(r"sched (\S+): rate limited, backing off", log))
    print("backoffs", sum(backoffs.values()))
    print("backoff_keys_not_busy", len(set(backoffs) - busy))
    print("busy_hosts_without_backoff", len(busy - set(backoffs)))
    print("backoffs_over_421",
          len([k for k, n in backoffs.items()
               if n > mx.get(k, {}).get("busy_421", 0)]))

    out = list(csv.DictReader(open(out_path, newline="", encoding="utf-8")))
    truth = list(csv.DictReader(open(truth_path, newline="",
                                     encoding="utf-8")))
    on_limited = [(row, want) for row, want in zip(out, truth)
                  if addr.get(row["mx"]) in limited]
    print("rows_on_connlimit_hosts", len(on_limited))
    print("rows_rate_limited",
          len([r for r in out if r["reason"] == "rate_limited"]))
    print("connlimit_rows_wrongly_undeliverable",
          len([1 for row, want in on_limited
               if row["status"] == "undeliverable"
               and want["status"] != "undeliverable"]))


def read_rcpt_log(path):
    """(ms, MX address, recipient, reply code) per RCPT, in log order."""
    rows = []
    for line in open(path, encoding="utf-8", errors="replace"):
        f = line.split()
        rows.append((int(f[0]), f[1], " ".join(f[2:-1]), int(f[-1])))
    return rows


def greylist(stats_path, rcpt_log, log_path, out_path):
    smtp, _ = read_stats(stats_path)
    rcpts = read_rcpt_log(rcpt_log)
    print("greylisted", smtp["greylisted"])
    print("greylist_passed", smtp["greylist_passed"])
    deferred = [(mx, rcpt) for _, mx, rcpt, code in rcpts if code == 450]
    print("log_deferrals", len(deferred))
    print("log_deferred_pairs", len(set(deferred)))
    seen, passed = set(), set()
    for _, mx, rcpt, code in rcpts:
        if code == 450:
            seen.add((mx, rcpt))
        elif (mx, rcpt) in seen:
            passed.add((mx, rcpt))
    print("deferred_never_passed", len(seen - passed))
    log = open(log_path, encoding="utf-8", errors="replace").read()
    print("listclean_deferrals",
          len(re.findall(r"sched \S+: greylisted \(450 ", log)))
    out = csv.DictReader(open(out_path, newline="", encoding="utf-8"))
    print("rows_greylisted",
          len([r for r in out if r["reason"] == "greylisted"]))


def fairness(rcpt_log, big):
    rcpts = [r for _, _, r, _ in read_rcpt_log(rcpt_log)]
    domain = [r.rsplit("@", 1)[1] for r in rcpts]
    big_total = domain.count(big)
    half, seen = None, 0
    for i, d in enumerate(domain):
        seen += d == big
        if seen == big_total // 2:
            half = i
            break
    first = {}
    for i, d in enumerate(domain):
        if d != big:
            first.setdefault(d, i)
    print("big_rcpts", big_total)
    print("small_domains", len(first))
    print("small_after_big_half", len([i for i in first.values() if i > half]))
    print("last_small_first_rcpt", max(first.values()))
    print("big_half_at", half)
    # Row numbers of the big domain's first 40 mailbox RCPTs (the random
    # catch-all probe left out): input order gives rows 1 to about 41.
    rows = [int(r[5:9]) for r in rcpts
            if re.fullmatch(r"ana\.k[0-9]{4}@" + re.escape(big), r)]
    print("big_first40_max", max(rows[:40]))


commands = {"politeness": politeness, "backoff": backoff,
            "greylist": greylist, "fairness": fairness}
commands[sys.argv[1]](*sys.argv[2:])
EOF

# --- simworld's counters, from scripted sessions ------------------------
# A greylisting host with a 1 s period: alice is deferred twice, passes
# twice after the period (one pass counted), bob is deferred once. A
# connection-limit host with limit 1 turns away the second connection.
w="$tap_tmp/counters"
mkdir -p "$w"
cat >"$w/world" <<'WORLD'
simworld-world 1
H 127.1.0.1 normal+greylist generic mx.grey.test
H 127.1.0.2 normal+connlimit generic mx.limit.test
D example.test mx none
X 10 mx.grey.test
M alice ok
WORLD
serve "$w" counters --greylist-s 1 --conn-limit 1 --rcpt-log "$w/rcpt.log"
cat >"$tap_tmp/session.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])


def connect(addr):
    conn = socket.create_connection((addr, port), timeout=3)
    return conn, conn.makefile("rb")


def reply(f):
    while True:
        line = f.readline()
        if len(line) < 4:
            return "EOF"
        if line[3:4] != b"-":
            return line[:3].decode()


sock, f = connect("127.1.0.1")
codes = [reply(f)]
for cmd in ["EHLO probe.test", "MAIL FROM:<p@probe.test>",
            "RCPT TO:<alice@example.test>", "RCPT TO:<alice@example.test>",
            "SLEEP", "RCPT TO:<alice@example.test>",
            "RCPT TO:<Alice@example.test>", "RCPT TO:<bob@example.test>",
            "QUIT"]:
    if cmd == "SLEEP":
        time.sleep(1.2)
        continue
    sock.sendall(cmd.encode() + b"\r\n")
    codes.append(reply(f))
first, first_file = connect("127.1.0.2")
codes.append(reply(first_file))
second, second_file = connect("127.1.0.2")
codes.append(reply(second_file))
print(" ".join(codes))
PY
tap_eq "counters: session replies" \
  "220 250 250 450 450 250 250 450 221 220 421" \
  "$(timeout 20 python3 "$tap_tmp/session.py" "$smtp_port" 2>&1)"
stop
tap_eq "counters: host greylisted, passed, 421" "3 1 0|0 0 1" "$(python3 -c '
import json, sys
mx = {m["addr"]: m for m in json.load(open(sys.argv[1]))["mx"]}
print("|".join("%d %d %d" % (m["greylisted"], m["greylist_passed"],
                             m["busy_421"])
               for m in (mx["127.1.0.1"], mx["127.1.0.2"])))
' "$w/counters.stats.json")"
tap_eq "counters: totals" "3 1 1" "$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["smtp"]
print(s["greylisted"], s["greylist_passed"], s["busy_421"])
' "$w/counters.stats.json")"
tap_eq "counters: RCPT log" "127.1.0.1 alice@example.test 450
127.1.0.1 alice@example.test 450
127.1.0.1 alice@example.test 250
127.1.0.1 alice@example.test 250
127.1.0.1 bob@example.test 450" "$(cut -d' ' -f2- "$w/rcpt.log")"
tap_check "counters: RCPT log times" python3 -c '
import sys
t = [int(line.split()[0]) for line in open(sys.argv[1])]
sys.exit(not (t == sorted(t) and t[2] - t[1] >= 1000 and t[4] < 10000))
' "$w/rcpt.log"

# --- Backoff: connection limits below the per-MX limit ------------------
# Connlimit hosts dominate the world. simworld turns away every connection
# above 2 with a 421 banner while listclean may open 6 per MX. Five RCPTs
# per session make listclean want all 6, so every connlimit host that gets
# traffic must send a 421. listclean must back off and still reach the
# true verdict of every row.
w="$tap_tmp/backoff"
timeout 60 "$SIMWORLD" gen --seed 31 --domains 200 --addresses 1500 \
  --mx-hosts 29 --profile-mix "smtp:connlimit=3000,$quiet" --out "$w" >/dev/null
tap_eq "backoff: world generated" 0 $?
serve "$w" backoff --conn-limit 2 --greylist-s 1
clean "$w/input.csv" backoff --per-mx-connections 6 --rcpt-per-session 5
stop
accuracy 1500
python3 "$tap_tmp/sched.py" backoff "$w" "$w/backoff.stats.json" \
  "$w/backoff.out.csv" "$w/truth.csv" "$w/backoff.err" >"$w/backoff.check"
sed 's/^/# /' "$w/backoff.check"
tap_check "backoff: connlimit hosts got traffic" \
  [ "$(value connlimit_hosts_used)" -ge 2 ]
tap_eq "backoff: every used connlimit host sent 421" 0 \
  "$(value connlimit_hosts_without_421)"
tap_eq "backoff: no 421 from other hosts" 0 "$(value busy_421_elsewhere)"
tap_check "backoff: 421 replies counted" [ "$(value busy_421)" -gt 0 ]
# Each 421 banner ends one listclean session as rate limited.
tap_eq "backoff: one rate-limited session per 421" "$(value busy_421)" \
  "$(value sessions_rate_limited)"
# The first 421 on a key starts a backoff, and further 421s inside it
# change nothing. So a key backs off at least once and at most once per
# 421. The keys of these hosts are their addresses.
tap_eq "backoff: only hosts that sent 421 backed off" 0 \
  "$(value backoff_keys_not_busy)"
tap_eq "backoff: every host that sent 421 backed off" 0 \
  "$(value busy_hosts_without_backoff)"
tap_eq "backoff: at most one backoff per 421" 0 "$(value backoffs_over_421)"
tap_check "backoff: rows behind connlimit hosts" \
  [ "$(value rows_on_connlimit_hosts)" -gt 0 ]
tap_eq "backoff: no row left rate_limited" 0 "$(value rows_rate_limited)"
tap_eq "backoff: no row undeliverable for a limit" 0 \
  "$(value connlimit_rows_wrongly_undeliverable)"
python3 "$tap_tmp/sched.py" politeness "$w/backoff.stats.json" 6 \
  >"$w/backoff.check"
tap_eq "backoff: no DATA" 0 "$(value data)"
tap_eq "backoff: per-MX connections within 6" 0 \
  "$(value hosts_over_limit | cut -d' ' -f1)"

# --- Greylisting: deferred, retried after the period, passed ------------
# simworld defers the first RCPT of every client and recipient on
# greylisting hosts for 1 s, and listclean retries 1 s after it reads the
# 450. That retry comes after simworld's period ended, because listclean
# reads the 450 after simworld recorded the first try and both time on
# the same monotonic clock. So every deferred recipient is deferred
# exactly once and passes on its retry: greylisted (450 replies) equals
# greylist_passed (client and recipient pairs that passed after a
# deferral, counted once each), and the RCPT log shows the same pairs.
w="$tap_tmp/greylist"
timeout 60 "$SIMWORLD" gen --seed 32 --domains 200 --addresses 1500 \
  --mx-hosts 29 --profile-mix "smtp:greylist=3000,$quiet" --out "$w" >/dev/null
tap_eq "greylist: world generated" 0 $?
serve "$w" greylist --greylist-s 1 --rcpt-log "$w/rcpt.log"
clean "$w/input.csv" greylist --per-mx-connections 4
stop
accuracy 1500
python3 "$tap_tmp/sched.py" greylist "$w/greylist.stats.json" "$w/rcpt.log" \
  "$w/greylist.err" "$w/greylist.out.csv" >"$w/greylist.check"
sed 's/^/# /' "$w/greylist.check"
grey=$(value greylisted)
tap_check "greylist: RCPTs deferred" [ "$grey" -gt 0 ]
tap_eq "greylist: RCPT log has every deferral" "$grey" \
  "$(value log_deferrals)"
tap_eq "greylist: each pair deferred once" "$grey" \
  "$(value log_deferred_pairs)"
tap_eq "greylist: every deferred pair passed" "$grey" \
  "$(value greylist_passed)"
tap_eq "greylist: RCPT log shows each pass" 0 \
  "$(value deferred_never_passed)"
tap_eq "greylist: listclean saw every deferral" "$grey" \
  "$(value listclean_deferrals)"
tap_eq "greylist: no row left greylisted" 0 "$(value rows_greylisted)"
python3 "$tap_tmp/sched.py" politeness "$w/greylist.stats.json" 4 \
  >"$w/greylist.check"
tap_eq "greylist: no DATA" 0 "$(value data)"
tap_eq "greylist: per-MX connections within 4" 0 \
  "$(value hosts_over_limit | cut -d' ' -f1)"

# --- Fairness: small domains next to a big one on one MX ----------------
# One MX address serves big-store.test (2000 mailboxes) and 20 small
# domains (2 mailboxes each). The input lists the big domain's 2000 rows
# first and the small domains' 40 rows last, so a FIFO scheduler would ask
# every big recipient before the first small one. listclean may open 2
# connections, and every reply waits 2 ms, so the big domain takes some
# seconds while the small domains' DNS answers take milliseconds. A
# scheduler that serves the domains of a key in turn probes each small
# domain in its first sessions, within the first 100 or so RCPTs. The
# check allows up to half the big domain (1000 RCPTs, an estimated 1.2 s
# of replies), a margin that load on the machine cannot use up, while
# FIFO order fails it by 1000 RCPTs.
w="$tap_tmp/fair"
mkdir -p "$w"
awk 'BEGIN {
  print "host 127.0.26.1 normal generic mx.shared.test"
  print "domain big-store.test @mx.shared.test"
  for (i = 1; i <= 2000; i++)
    printf "mailbox ana.k%04d@big-store.test\n", i
  for (d = 1; d <= 20; d++) {
    printf "domain shop%02d.test @mx.shared.test\n", d
    printf "mailbox lee.m1@shop%02d.test\nmailbox lee.m2@shop%02d.test\n", d, d
  }
}' >"$w/extra"
awk 'BEGIN {
  print "id,email"
  for (i = 1; i <= 2000; i++)
    printf "%d,ana.k%04d@big-store.test\n", i, i
  for (d = 1; d <= 20; d++)
    printf "%d,lee.m1@shop%02d.test\n%d,lee.m2@shop%02d.test\n",
      2000 + 2 * d - 1, d, 2000 + 2 * d, d
}' >"$w/fair.csv"
timeout 60 "$SIMWORLD" gen --seed 33 --domains 14 --addresses 50 \
  --mx-hosts 29 --extra "$w/extra" --out "$w" >/dev/null
tap_eq "fair: world generated" 0 $?
serve "$w" fair --latency-ms 2 --rcpt-log "$w/rcpt.log"
start=$(date +%s)
clean "$w/fair.csv" fair --per-mx-connections 2
echo "# cleaned in $(($(date +%s) - start)) s"
stop
tap_eq "fair: every row accepted" "2040 deliverable accepted" \
  "$(python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(len(rows), *sorted({r["status"] + " " + r["reason"] for r in rows}))
' "$w/fair.out.csv")"
python3 "$tap_tmp/sched.py" fairness "$w/rcpt.log" big-store.test \
  >"$w/fair.check"
sed 's/^/# /' "$w/fair.check"
# The big domain's 2000 mailboxes and its random catch-all probe.
tap_eq "fair: big domain asked once per row" 2001 "$(value big_rcpts)"
tap_eq "fair: every small domain asked" 20 "$(value small_domains)"
tap_eq "fair: small domains before half the big one" 0 \
  "$(value small_after_big_half)"
# Rows read while their domain's DNS lookup runs are asked in input order,
# so the first rows can be written first.
tap_check "fair: the big domain's first rows asked first" \
  [ "$(value big_first40_max)" -le 60 ]
python3 "$tap_tmp/sched.py" politeness "$w/fair.stats.json" 2 \
  >"$w/fair.check"
tap_eq "fair: no DATA" 0 "$(value data)"
tap_eq "fair: shared MX within 2 connections" "0 2" \
  "$(value hosts_over_limit) $(value peak)"

tap_done
