#!/bin/sh
# Build the libFuzzer targets and run each for a while, or report the line
# coverage that their corpora reach.
#
#   sh scripts/fuzz.sh [SECONDS [TARGET...]]
#   sh scripts/fuzz.sh --coverage [TARGET...]
#
# SECONDS per target (default 60). TARGET names such as fuzz_reply (default:
# every tests/fuzz/fuzz_*.c). Prints one TAP line per target with its
# executions and coverage, and "1..N" at the end. New inputs go to
# build/fuzz/corpus/NAME (the seed corpus in tests/fuzz/corpus/NAME is only
# read); a crashing input is saved as build/fuzz/artifacts/NAME-crash-*.
# Exits 1 when a target found a crash, 2 when the build failed.
#
# --coverage builds the targets with clang's source-based coverage
# (build/fuzz/cov), runs every input of both corpora once and prints the
# llvm-cov report of the source files that each target is for.
set -u
cd "$(dirname "$0")/.." || exit 2
coverage=false
if [ "${1:-}" = --coverage ]; then
  coverage=true
  shift
  seconds=0
else
  seconds=${1:-60}
  [ $# -gt 0 ] && shift
fi
targets=$*
if [ -z "$targets" ]; then
  for src in tests/fuzz/fuzz_*.c; do
    targets="$targets $(basename "$src" .c)"
  done
fi

dir=build/fuzz
$coverage && dir=build/fuzz/cov
bins=""
for t in $targets; do
  bins="$bins $dir/$t"
done
mkdir -p build/fuzz
# shellcheck disable=SC2086 # one word per binary
if ! make --no-print-directory -j2 $bins >build/fuzz/build.log 2>&1; then
  echo "not ok 1 - build fuzz targets"
  tail -n 30 build/fuzz/build.log | sed 's/^/#   /'
  echo "1..1"
  exit 2
fi

# Source files that each target is written for.
sources() {
  case $1 in
  fuzz_reply) echo engine/reply.c engine/reply_rules.c ;;
  fuzz_address) echo engine/address.c engine/address_domain.c ;;
  fuzz_csv) echo io/csv_reader.c io/csv_writer.c io/row.c io/input.c ;;
  fuzz_identity_json) echo engine/identity_json.c ;;
  esac
}

if $coverage; then
  for t in $targets; do
    name=${t#fuzz_}
    prof=build/fuzz/cov/$name
    rm -f "$prof".profraw "$prof".profdata
    mkdir -p "build/fuzz/corpus/$name"
    LLVM_PROFILE_FILE=$prof.profraw "build/fuzz/cov/$t" -runs=0 \
      "build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" \
      >"$prof.log" 2>&1
    llvm-profdata merge -sparse -o "$prof.profdata" "$prof.profraw"
    echo "== $t: $(grep -o 'DONE.*corp: [0-9]*' "$prof.log" |
      sed 's/.*corp: /inputs: /')"
    # shellcheck disable=SC2046 # one word per source file
    llvm-cov report "build/fuzz/cov/$t" -instr-profile="$prof.profdata" \
      $(sources "$t")
  done
  exit 0
fi

# Largest input per target: a CSV line longer than the reader's 64 KiB
# fragment takes a different path, so that target gets longer inputs.
max_len() {
  case $1 in
  fuzz_csv) echo 100000 ;;
  *) echo 4096 ;;
  esac
}

n=0
failed=0
for t in $targets; do
  n=$((n + 1))
  name=${t#fuzz_}
  work=build/fuzz/corpus/$name
  mkdir -p "$work" build/fuzz/artifacts
  log=build/fuzz/$t.log
  "build/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
    -max_len="$(max_len "$t")" -print_final_stats=1 \
    -artifact_prefix="build/fuzz/artifacts/$name-" \
    "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  if [ "$rc" -eq 0 ]; then
    echo "ok $n - $t: $seconds s, ${runs:-?} runs, coverage ${cov:-?}"
  else
    failed=$((failed + 1))
    echo "not ok $n - $t: exit status $rc after ${runs:-?} runs"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" |
      head -n 10 | sed 's/^/#   /'
  fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
