#!/bin/sh
# `make demo`: clean the two exports in examples/ with every check, against
# a simulated mail world and a real Postfix, all on loopback.
#
#   1. simworld gen writes a world (random companies plus the domains and
#      mailboxes of demo/world.extra) to demo-output/world.
#   2. simworld serves its DNS, HTTPS identity endpoints and SMTP hosts.
#      scripts/demo-postfix.sh starts Postfix on the world's external
#      hosts (127.0.25.1 and .2) with the same SMTP port.
#   3. listclean cleans each export and prints its summary and first rows.
#   4. Every server stops, also on failure and on Ctrl-C.
#
# Outputs, logs and the world stay in demo-output/ (DEMO_OUT overrides).
# DEMO_ROWS sets how many rows of each output to print (default 20).
# Postfix needs root. As another user the script runs it through sudo, and
# without sudo it runs without Postfix, so the rows of its domains come
# out unknown/connection_failed.
set -u
cd "$(dirname "$0")/.." || exit 2
demo_top=$(pwd)
. scripts/demo-lib.sh
out=${DEMO_OUT:-demo-output}
rows=${DEMO_ROWS:-20}
tab=$(printf '\t')
run=$(mktemp -d /tmp/listclean-demo.XXXXXX) || exit 2
# The Postfix daemons (user postfix) must reach the instance inside it.
chmod 755 "$run"
logs="$out/logs"
sim_pid=""
pf_dir=""
pf_sudo=""
begin=$(date +%s)

cleanup() {
  status=$?
  trap - EXIT INT TERM HUP
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null
    wait "$sim_pid" 2>/dev/null
  fi
  if [ -n "$pf_dir" ]; then
    $pf_sudo sh scripts/demo-postfix.sh stop "$pf_dir"
    $pf_sudo cat "$pf_dir/maillog" >"$logs/postfix.log" 2>/dev/null
    $pf_sudo rm -rf "$pf_dir"
  fi
  rm -rf "$run"
  [ -n "$sim_pid$pf_dir" ] && echo "Servers stopped."
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
  echo "demo: $*" >&2
  exit 1
}

heading() {
  echo
  echo "== $*"
}

# Decide how to run Postfix: as root, through sudo, or not at all.
postfix_mode() {
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "Postfix needs root and sudo is missing; running without it," \
        "so the rows of its domains come out unknown/connection_failed."
      return 1
    fi
    echo "Postfix needs root; asking sudo."
    pf_sudo=sudo
  fi
  if ! reason=$($pf_sudo sh scripts/demo-postfix.sh check); then
    echo "Postfix cannot run here ($reason); running without it," \
      "so the rows of its domains come out unknown/connection_failed."
    return 1
  fi
}

start_servers() {
  demo_ports || fail "cannot find free ports on 127.0.0.1"
  demo_serve "$out/world" "$logs" || {
    cat "$logs/simworld.err" >&2
    fail "simworld did not start"
  }
  sim_pid=$demo_sim_pid
  hosts=$(sed -n 's/.*mx=//p' "$logs/simworld.out")
  echo "simworld: DNS 127.0.0.1:$demo_dns_port," \
    "HTTPS 127.0.0.1:$demo_https_port," \
    "SMTP port $demo_smtp_port on $hosts hosts in 127.1.0.0/16"
  postfix_mode || return 0
  pf_dir="$run/postfix"
  $pf_sudo sh scripts/demo-postfix.sh start "$pf_dir" "$out/world/world" \
    "$demo_smtp_port" || fail "Postfix did not start"
  echo "Postfix $(postconf -d -h mail_version 2>/dev/null):" \
    "SMTP port $demo_smtp_port on 127.0.25.1 (mailboxes)" \
    "and 127.0.25.2 (catch-all)"
}

# clean NAME COLUMN: clean examples/NAME.csv, then print the summary and
# the first rows.
clean() {
  name=$1
  column=$2
  output="$out/$name.clean.csv.zst"
  set -- --summary
  # The JSON report is written when this build of listclean has it.
  if "$demo_listclean" --help 2>/dev/null | grep -q -- '--report'; then
    set -- "$@" --report "$out/$name.report.json"
  fi
  heading "listclean examples/$name.csv -o $output"
  demo_clean "$out/world" "examples/$name.csv" "$output" "$@" \
    2>"$logs/$name.listclean.log"
  status=$?
  cat "$logs/$name.listclean.log"
  [ $status -eq 0 ] || fail "listclean exited with status $status"
  echo
  zstd -dcq "$output" | python3 demo/show.py "$column" "$rows" |
    column -t -s "$tab"
}

mkdir -p "$out" "$logs" || exit 2
rm -rf "$out/world"
heading "World: simworld gen --extra demo/world.extra --out $out/world"
demo_gen "$out/world" 2026 200 2000 80 >/dev/null ||
  fail "simworld gen failed"
echo "$(grep -c '^D ' "$out/world/world") domains," \
  "$(grep -c '^H ' "$out/world/world") MX hosts," \
  "$(grep -c '^M ' "$out/world/world") mailboxes; ground truth of a" \
  "generated export in $out/world/truth.csv"

heading "Servers (loopback only)"
start_servers

clean crm-contacts "Email Address"
clean newsletter email

heading "Done in $(($(date +%s) - begin)) s"
echo "Cleaned files, reports and logs are in $out/:"
ls "$out" | sed 's/^/  /'
echo "Show every row: zstd -dc $out/crm-contacts.clean.csv.zst | less -S"
