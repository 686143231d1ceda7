#!/bin/bash
# listclean benchmark suite: `make bench` runs it.
#
# Generates simulated mail worlds with build/simworld, serves them on
# loopback, cleans their exports with build/listclean and prints one line
# per figure. The figures are throughput, CPU per address, peak memory,
# read-to-written latency, SMTP sessions and RCPTs per second, connections
# per MX, zstd ratio and accuracy against the world's truth.csv. Two peer
# checkers (npm email-verify, Debian's Mail::CheckUser) run on a sample of
# the same input against the same world. bench/RESULTS.md explains every
# figure.
#
# The whole run happens in a private network namespace (unshare -n) whose
# only interface is lo, so no process of the benchmark can reach another
# host. Installing the peers (npm, apt-get) happens before, outside it.
#
# Parameters are environment variables (make passes its command-line
# variables on): see the defaults below. BENCH_ONLY selects scenarios.


top=$(cd "$(dirname "$0")/.." && pwd)
lc="$top/build/listclean"
sim="$top/build/simworld"
compare="$top/bench/compare.py"
peers="$top/bench/peers"

: "${BENCH_ONLY:=net0 net50 peers syntax rss net1m}"
: "${BENCH_DIR:=$top/build/bench}"
: "${BENCH_SEED:=1}"
: "${BENCH_DOMAINS:=20000}"
: "${BENCH_ADDRESSES:=100000}"
: "${BENCH_MX_HOSTS:=2000}"
# Profile weights on top of simworld's default mix; empty for the
# default mix itself.
: "${BENCH_MIX=}"
# The CPU-bound worlds (net0, net1m) leave out every profile that makes a
# checker wait: silent hosts and DNS, tarpits, greylisting, connection
# limits and refusing hosts (asked again after --backoff).
fast="smtp:silent=0,smtp:tarpit=0,smtp:greylist=0,smtp:connlimit=0"
fast="$fast,smtp:refused=0,dns:silent=0"
: "${BENCH_FAST_MIX=${BENCH_MIX:+$BENCH_MIX,}$fast}"
: "${BENCH_LATENCY_MS:=50}"
: "${BENCH_WINDOW:=100000}"
: "${BENCH_MAX_CONNECTIONS:=6000}"
: "${BENCH_PER_MX:=100}"
: "${BENCH_RCPT_PER_SESSION:=20}"
: "${BENCH_PEER_ROWS:=1000}"
: "${BENCH_PEER_SERIAL_ROWS:=100}"
: "${BENCH_NODE_CONCURRENCY:=64}"
: "${BENCH_PERL_WORKERS:=16}"
: "${BENCH_SYNTAX_ROWS:=10000000}"
: "${BENCH_NET1M_ADDRESSES:=1000000}"
: "${BENCH_NOISE:=0.25}"
: "${BENCH_TRIES:=2}"
: "${BENCH_KEEP:=0}"
# Reply delays of the served worlds, as in tests/world/accuracy.sh.
: "${BENCH_TARPIT_MS:=200}"
: "${BENCH_GREYLIST_S:=1}"

die() {
  echo "bench: $*" >&2
  exit 1
}

# Outside the namespace: check the build, install the peers, then re-run
# this script inside a fresh network namespace.
prepare() {
  [ -x "$lc" ] && [ -x "$sim" ] ||
    die "build/listclean and build/simworld are missing: run make first"
  for tool in python3 taskset zstd; do
    command -v $tool >/dev/null || die "$tool is missing: run make deps"
  done
  [ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package time)"
  case " $BENCH_ONLY " in
  *" peers "*) prepare_peers ;;
  esac
  if unshare -n true 2>/dev/null; then
    exec unshare -n "$BASH" "$0" --inside
  fi
  echo "bench: unshare -n is not allowed here; running in this network" \
    "namespace (every address used is on 127.0.0.0/8)" >&2
  exec "$BASH" "$0" --inside --shared-network
}

prepare_peers() {
  if [ ! -f "$peers/node_modules/email-verify/index.js" ]; then
    command -v npm >/dev/null || die "npm is missing: apt-get install npm"
    echo "bench: installing email-verify into bench/peers/node_modules" >&2
    (cd "$peers" && npm install --no-package-lock --no-audit --no-fund \
      --loglevel=error >&2) || die "npm install failed"
  fi
  if ! perl -MMail::CheckUser -e 1 2>/dev/null; then
    echo "bench: installing libmail-checkuser-perl" >&2
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
      --no-install-recommends libmail-checkuser-perl >/dev/null ||
      die "apt-get install libmail-checkuser-perl failed"
  fi
}

if [ "${1:-}" != "--inside" ]; then
  prepare
fi
network="private namespace, lo only"
if [ "${2:-}" = "--shared-network" ]; then
  network="shared namespace"
else
  ip link set lo up || die "cannot bring lo up in the namespace"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null

. "$top/bench/lib.sh"
. "$top/bench/scenarios.sh"

bench_header
for scenario in $BENCH_ONLY; do
  case $scenario in
  net0 | net50 | peers | syntax | rss | net1m) "scenario_$scenario" ;;
  *) die "unknown scenario $scenario (net0 net50 peers syntax rss net1m)" ;;
  esac
done
bench_footer
