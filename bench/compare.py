"""Accuracy, latency and throughput figures for bench/run.sh.

Usage: compare.py COMMAND ARGS...  (run.sh passes the arguments; each
command prints "name value" lines that run.sh turns into figures)

  accuracy OUT.csv TRUTH.csv [ROWS.tsv]   listclean's verdicts against truth
  peer KIND RESULT.csv TRUTH.csv          a peer's results against truth
  sample INPUT.csv N ROWS.tsv             first N rows' address cells
  head INPUT.csv N OUT.csv                header and first N rows
  stats STATS.json                        simworld's counters
  bound WORLD_DIR TRUTH.csv ...           best rows/s the world allows
  feed INPUT TIMES                        write INPUT to stdout, row by row
  drain OUTPUT TIMES                      copy stdin to OUTPUT, timed
  latency INPUT FEED_TIMES OUTPUT DRAIN_TIMES   read-to-written times
  sampler SIM_PID STATS.json SERIES.csv   poll sockets and counters
  series SERIES.csv BASELINE              peaks of a sampler series

Verdicts are compared in two ways. "exact" requires listclean's status and
reason to equal the truth. "three-class" maps every verdict, listclean's,
a peer's and the truth's, to deliverable (D), undeliverable (U) or unknown
(?) with the tables below, so that tools without listclean's vocabulary
are judged on what they can say.
"""
import array
import bisect
import collections
import csv
import fcntl
import json
import math
import os
import signal
import sys
import time

# Truth and listclean: status/reason -> class. Risky verdicts whose server
# accepts the recipient count as D; a full mailbox bounces today (U); an
# MX that cannot be reached decides nothing (?).
RISKY_CLASS = {
    "accept_all": "D",
    "disposable": "D",
    "role_account": "D",
    "mailbox_full": "U",
    "unreachable_mx": "?",
}

# Mail::CheckUser result codes (CU_* constants of version 1.24).
CHECKUSER_CLASS = {
    0: "D",  # CU_OK: the server accepted the recipient
    1: "U",  # CU_BAD_SYNTAX
    2: "U",  # CU_UNKNOWN_DOMAIN: no MX and no A record
    3: "?",  # CU_DNS_TIMEOUT
    4: "U",  # CU_UNKNOWN_USER: 550, 551 or 553 to RCPT
    5: "?",  # CU_SMTP_TIMEOUT
    6: "?",  # CU_SMTP_UNREACHABLE: no MX host took the session
    7: "U",  # CU_MAILBOX_FULL: 552 to RCPT
    8: "?",  # CU_TRY_AGAIN: 4xx to RCPT
}

# email-verify DNS errors (resolveMx) that mean the domain has no MX.
EMAIL_VERIFY_NO_DOMAIN = {"queryMx:ENOTFOUND", "queryMx:ENODATA"}

# Truth reasons whose verdict needs an SMTP RCPT on the domain's MX.
SMTP_REASONS = {
    "accepted", "identity_confirmed", "mailbox_not_found", "mailbox_disabled",
    "identity_absent", "accept_all", "mailbox_full", "gateway_rejected",
    "greylisted", "blocked", "rate_limited", "timeout", "connection_failed",
    "tls_failed", "protocol_error", "role_account",
}

PROVIDER_STYLES = {"google", "microsoft", "yahoo"}


def three_class(status, reason):
    if status in ("deliverable", "undeliverable"):
        return status[0].upper()
    if status == "risky":
        return RISKY_CLASS.get(reason, "?")
    return "?"


def email_verify_class(row):
    """Class of one email-verify result, as the package reports it."""
    if row["success"] == "true":
        return "D"
    error = row["error"]
    if error in EMAIL_VERIFY_NO_DOMAIN:
        return "U"
    if error:
        return "?"  # other DNS errors, refused or reset connections
    code = row["code"]
    if code in ("2", "3"):  # invalid structure, no MX records
        return "U"
    if code == "1":  # session ended: "is an invalid address"
        return "?" if row["tryagain"] == "true" else "U"
    return "?"  # 4: timed out, 6: connection error


def checkuser_class(row):
    return CHECKUSER_CLASS.get(int(row["code"]), "?")


def read_truth(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {int(r["row"]): r for r in csv.DictReader(f)}


def read_sample_rows(path):
    with open(path, encoding="utf-8") as f:
        return [int(line.split("\t", 1)[0]) for line in f if line.strip()]


def print_score(prefix, pairs):
    """Print three-class accuracy of (got, want) pairs and its errors."""
    n = len(pairs)
    right = sum(1 for got, want in pairs if got == want)
    wrong_definite = sum(1 for got, want in pairs
                         if got != "?" and want != "?" and got != want)
    unknown = sum(1 for got, _ in pairs if got == "?")
    print(prefix + "rows", n)
    print(prefix + "three_class_accuracy", pct(right, n))
    print(prefix + "wrong_definite", pct(wrong_definite, n))
    print(prefix + "unknown_share", pct(unknown, n))
    matrix = collections.Counter((want, got) for got, want in pairs)
    print(prefix + "matrix", " ".join(
        "%s>%s:%d" % (want, got, count)
        for (want, got), count in sorted(matrix.items())))


def pct(part, whole):
    return "%.2f%%" % (100.0 * part / whole) if whole else "n/a"


def cmd_accuracy(args):
    out_path, truth_path = args[0], args[1]
    truth = read_truth(truth_path)
    with open(out_path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        header = next(reader)
        status_col = header.index("status")
        reason_col = header.index("reason")
        got = {}
        for number, row in enumerate(reader, 1):
            got[number] = (row[status_col], row[reason_col])
    if len(got) != len(truth):
        print("row_count_mismatch output=%d truth=%d" % (len(got), len(truth)))
    rows = sorted(truth)
    if len(args) > 2:
        rows = read_sample_rows(args[2])
    exact = 0
    status_ok = 0
    pairs = []
    misses = collections.Counter()
    for number in rows:
        want = truth[number]
        status, reason = got.get(number, ("", ""))
        if (status, reason) == (want["status"], want["reason"]):
            exact += 1
        else:
            misses[(want["status"] + "/" + want["reason"],
                    status + "/" + reason)] += 1
        status_ok += status == want["status"]
        pairs.append((three_class(status, reason),
                      three_class(want["status"], want["reason"])))
    print("exact_accuracy", pct(exact, len(rows)))
    print("status_accuracy", pct(status_ok, len(rows)))
    print_score("", pairs)
    for (want, have), count in misses.most_common(8):
        print("miss %s -> %s %d" % (want, have, count))


def cmd_peer(args):
    kind, result_path, truth_path = args
    truth = read_truth(truth_path)
    classify = {"email-verify": email_verify_class,
                "checkuser": checkuser_class}[kind]
    with open(result_path, newline="", encoding="utf-8") as f:
        results = list(csv.DictReader(f))
    pairs = []
    for row in results:
        want = truth[int(row["row"])]
        pairs.append((classify(row),
                      three_class(want["status"], want["reason"])))
    print_score("", pairs)


def cmd_sample(args):
    """Write "ROW<TAB>ADDRESS" for the first N data rows. The address is
    the cell of the email column with surrounding white space removed, the
    least a user must do to hand a CSV column to a one-address tool."""
    input_path, count, out_path = args[0], int(args[1]), args[2]
    with open(input_path, newline="", encoding="utf-8") as f, \
            open(out_path, "w", encoding="utf-8") as out:
        reader = csv.reader(f)
        col = next(reader).index("email")
        for number, row in enumerate(reader, 1):
            if number > count:
                break
            cell = row[col] if col < len(row) else ""
            cell = " ".join(cell.split())  # no tab or line break inside
            out.write("%d\t%s\n" % (number, cell))


def cmd_head(args):
    count = int(args[1])
    quotes = 0
    records = -1  # the header is record 0
    with open(args[0], "rb") as f, open(args[2], "wb") as out:
        for line in f:
            out.write(line)
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                records += 1
                if records == count:
                    break


def cmd_stats(args):
    with open(args[0], encoding="utf-8") as f:
        stats = json.load(f)
    smtp = stats["smtp"]
    print("sessions", smtp["sessions"])
    print("rcpts", smtp["rcpts"])
    print("connections", smtp["connections"])
    print("data", smtp["data"])
    busiest = max(stats["mx"], key=lambda mx: mx["peak_concurrent"])
    print("peak_per_mx", busiest["peak_concurrent"])
    print("busiest_mx", busiest["name"], busiest["profile"])
    print("dns_queries", stats["dns"]["udp_queries"] + stats["dns"]["tcp_queries"])


# --- the world's bound ---------------------------------------------------

def read_world(path):
    hosts, names, cnames, domains = {}, {}, {}, {}
    current = None
    with open(os.path.join(path, "world"), encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if not fields:
                continue
            kind = fields[0]
            if kind == "H":
                hosts[fields[1]] = (fields[2], fields[3])
            elif kind == "A":
                names[fields[1]] = fields[2]
            elif kind == "C":
                cnames[fields[1]] = fields[2]
            elif kind == "D":
                current = fields[1]
                domains[current] = []
            elif kind == "X":
                domains[current].append((int(fields[1]), fields[2]))
    return hosts, names, cnames, domains


def resolve_name(name, names, cnames):
    for _ in range(8):
        if name in names:
            return names[name]
        if name not in cnames:
            return None
        name = cnames[name]
    return None


def first_host(domain, world):
    """(host name, address) that a checker dials first for DOMAIN."""
    hosts, names, cnames, domains = world
    mx = sorted(domains.get(domain, []))
    if not mx:
        address = resolve_name(domain, names, cnames)  # implicit MX
        return domain, address
    name = mx[0][1]
    return name, resolve_name(name, names, cnames)


def cmd_bound(args):
    """Best rows/s of the world for the options given.

    Every reply of the server waits LATENCY (plus the tarpit delay on
    tarpit hosts), one reply at a time per session. A session of n RCPTs
    waits for n + 4 replies (banner, EHLO, MAIL FROM, n RCPT, QUIT). The
    RCPTs are the distinct probed addresses plus one catch-all probe per
    domain; a session carries up to K RCPTs of one MX host name. An MX key
    (a provider group for Google, Microsoft and Yahoo, else the address
    of the first MX host, as listclean groups them) runs at most PER_MX
    sessions at once, 3 on connlimit hosts, and all keys at most MAX_CONN.
    The bound is the largest of: each key's reply time divided by its
    sessions, the total reply time divided by MAX_CONN, and the greylist
    period plus two sessions when a greylisting host is probed. It ignores
    CPU time and hosts that never answer, so it is a ceiling.
    """
    world_dir, truth_path = args[0], args[1]
    latency = float(args[2]) / 1000.0
    per_mx, max_conn, k = int(args[3]), int(args[4]), int(args[5])
    greylist_s, tarpit = float(args[6]), float(args[7]) / 1000.0
    conn_limit = int(args[8])
    world = read_world(world_dir)
    hosts = world[0]
    with open(truth_path, newline="", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    per_name = collections.defaultdict(set)
    name_key = {}
    name_host = {}
    for row in truth:
        if row["reason"] not in SMTP_REASONS or "@" not in row["email"]:
            continue
        domain = row["email"].rsplit("@", 1)[1].lower()
        name, address = first_host(domain, world)
        if address is None:
            continue
        profile, style = hosts.get(address, ("normal", "generic"))[:2]
        key = style if style in PROVIDER_STYLES else address
        per_name[name].add(row["email"].lower())
        per_name[name].add("catch-all@" + domain)
        name_key[name] = key
        name_host[name] = profile
    key_wait = collections.Counter()
    key_cap = {}
    greylist = False
    longest = 0.0
    for name, rcpts in per_name.items():
        profile = name_host[name]
        reply = latency + (tarpit if "tarpit" in profile else 0.0)
        sessions = math.ceil(len(rcpts) / k)
        key = name_key[name]
        key_wait[key] += (len(rcpts) + 4 * sessions) * reply
        cap = min(per_mx, conn_limit) if "connlimit" in profile else per_mx
        key_cap[key] = min(key_cap.get(key, cap), cap)
        greylist = greylist or "greylist" in profile
        longest = max(longest, (min(k, len(rcpts)) + 4) * reply)
    total_wait = sum(key_wait.values())
    t_keys = max((w / key_cap[key] for key, w in key_wait.items()),
                 default=0.0)
    t_global = total_wait / max_conn
    t_grey = greylist_s + 2 * 5 * latency if greylist else 0.0
    t_best = max(t_keys, t_global, t_grey, longest)
    busiest = max(key_wait, key=lambda key: key_wait[key] / key_cap[key])
    rcpts = sum(len(r) for r in per_name.values())
    flat_c = min(max_conn, per_mx * len(key_wait))
    print("rows", len(truth))
    print("rcpts", rcpts)
    print("keys", len(key_wait))
    print("busiest_key", busiest, "%.1f s" % (key_wait[busiest] /
                                                 key_cap[busiest]))
    print("t_keys_s %.2f" % t_keys)
    print("t_global_s %.2f" % t_global)
    print("t_greylist_s %.2f" % t_grey)
    print("t_best_s %.2f" % t_best)
    print("bound_rows_per_s %.0f" % (len(truth) / t_best if t_best else 0))
    flat = flat_c * k / ((k + 4) * latency) if latency > 0 else 0
    print("flat_concurrency", flat_c)
    print("flat_bound_rcpts_per_s %.0f" % flat)


# --- read-to-written latency ---------------------------------------------

def record_ends(data):
    """Byte offsets just past each CSV record of DATA (quotes balanced)."""
    ends = []
    quotes = 0
    pos = 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        quotes += data.count(b'"', pos, nl)
        pos = nl + 1
        if quotes % 2 == 0:
            ends.append(pos)
    if pos < len(data):
        ends.append(len(data))
    return ends


def cmd_feed(args):
    """Write INPUT to stdout one record per write() and store the time each
    write returned (CLOCK_MONOTONIC, float64 seconds) in TIMES."""
    with open(args[0], "rb") as f:
        data = f.read()
    ends = record_ends(data)
    fd = sys.stdout.fileno()
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 4096)
    except OSError:
        pass  # not a pipe: the figure then errs by the file's buffering
    times = array.array("d")
    start = 0
    now = time.monotonic
    for end in ends:
        view = memoryview(data)[start:end]
        while view:
            n = os.write(fd, view)
            view = view[n:]
        times.append(now())
        start = end
    os.close(fd)
    with open(args[1], "wb") as f:
        times.tofile(f)


def cmd_drain(args):
    """Copy stdin to OUTPUT and store (time, total bytes) per read()."""
    fd = sys.stdin.fileno()
    samples = array.array("d")
    total = 0
    now = time.monotonic
    with open(args[0], "wb") as out:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            samples.append(now())
            samples.append(float(total))
            out.write(chunk)
    with open(args[1], "wb") as f:
        samples.tofile(f)


def load_doubles(path):
    values = array.array("d")
    with open(path, "rb") as f:
        values.frombytes(f.read())
    return values


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(p / 100.0 * len(sorted_values)))
    return sorted_values[index]


def cmd_latency(args):
    """Seconds from a row entering listclean to its output row leaving it.

    The row entered when the feeder's write() of it returned. The feeder
    shrinks its pipe to one page, so listclean read the row no later than
    about 4 KiB of rows after that: the figure errs long by that much. The
    output row left when the drain's read() that completed it returned.
    Both ends are outside the process, so the figure includes listclean's
    output buffer."""
    with open(args[0], "rb") as f:
        in_ends = record_ends(f.read())
    feed = load_doubles(args[1])
    with open(args[2], "rb") as f:
        out_ends = record_ends(f.read())
    drain = load_doubles(args[3])
    drain_times, drain_bytes = drain[0::2], drain[1::2]
    # Record 0 is the header on both sides.
    n = min(len(in_ends), len(out_ends), len(feed))
    delays = []
    for i in range(1, n):
        j = bisect.bisect_left(drain_bytes, out_ends[i])
        if j >= len(drain_times):
            break
        delays.append(drain_times[j] - feed[i])
    delays.sort()
    print("rows", len(delays))
    if len(feed) > 0 and len(drain_times) > 0:
        print("run_s %.2f" % (drain_times[len(drain_times) - 1] - feed[0]))
    for p in (50, 90, 99, 100):
        print("p%d_s %.3f" % (p, percentile(delays, p)))


# --- sampler: open sessions and RCPTs over time --------------------------

def tcp_inuse():
    with open("/proc/net/sockstat", encoding="ascii") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("inuse") + 1])
    return 0


def cmd_sampler(args):
    """Every 0.1 s: TCP sockets in use in this network namespace. Every
    second: SIGUSR1 to simworld, which rewrites STATS.json, and its RCPT
    and session counters. Runs until SIGTERM; writes SERIES.csv."""
    pid, stats_path, out_path = int(args[0]), args[1], args[2]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(out_path + ".ready", "w", encoding="ascii"):
        pass
    start = time.monotonic()
    next_usr1 = start
    rows = []
    rcpts = sessions = 0
    while not stop:
        now = time.monotonic()
        if now >= next_usr1:
            try:
                with open(stats_path, encoding="utf-8") as f:
                    smtp = json.load(f)["smtp"]
                rcpts, sessions = smtp["rcpts"], smtp["sessions"]
            except (OSError, ValueError, KeyError):
                pass
            try:
                os.kill(pid, signal.SIGUSR1)
            except ProcessLookupError:
                break
            next_usr1 += 1.0
        rows.append((now - start, tcp_inuse(), rcpts, sessions))
        time.sleep(0.1)
    with open(out_path, "w", encoding="ascii") as f:
        f.write("t,tcp_inuse,rcpts,sessions\n")
        for row in rows:
            f.write("%.2f,%d,%d,%d\n" % row)


def cmd_series(args):
    """Peak open sessions: (TCP sockets - BASELINE) / 2, since both ends
    of every loopback connection are in this namespace. Peak RCPT and
    session rates: the best 5 s window of simworld's counters, which the
    sampler reads once a second."""
    baseline = int(args[1])
    try:
        with open(args[0], encoding="ascii") as f:
            rows = [tuple(float(x) for x in line.split(","))
                    for line in list(f)[1:]]
    except OSError:
        rows = []
    if not rows:
        print("samples 0")
        print("peak_open_sessions 0")
        print("peak_rcpts_per_s 0")
        print("peak_sessions_per_s 0")
        return
    peak = max(r[1] for r in rows)
    print("samples", len(rows))
    print("peak_open_sessions", max(0, int((peak - baseline) // 2)))
    best_rcpt = best_session = 0.0
    # A run shorter than the window counts as one window.
    window = min(5.0, rows[-1][0] - rows[0][0])
    j = 0
    for i in range(len(rows)):
        while rows[i][0] - rows[j][0] > window:
            j += 1
        span = rows[i][0] - rows[j][0]
        if span > 0 and span >= window - 1.0:
            best_rcpt = max(best_rcpt, (rows[i][2] - rows[j][2]) / span)
            best_session = max(best_session, (rows[i][3] - rows[j][3]) / span)
    print("peak_rcpts_per_s %.0f" % best_rcpt)
    print("peak_sessions_per_s %.0f" % best_session)


COMMANDS = {
    "accuracy": cmd_accuracy,
    "peer": cmd_peer,
    "sample": cmd_sample,
    "head": cmd_head,
    "stats": cmd_stats,
    "bound": cmd_bound,
    "feed": cmd_feed,
    "drain": cmd_drain,
    "latency": cmd_latency,
    "sampler": cmd_sampler,
    "series": cmd_series,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 1
    COMMANDS[sys.argv[1]](sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
