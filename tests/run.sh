#!/bin/sh
# Run every test and print one closing line "N passed, N failed".
#
# Each test program prints TAP lines ("ok N - name", "not ok N - name").
# Unit tests are cmocka programs in build/tests (normal build) and
# build/asan/tests (ASan+UBSan build). Scripts in tests/e2e run once with
# the normal binary and once with the sanitizer binary; scripts in
# tests/world run once. A program that exits non-zero without printing a
# "not ok" line counts as one failure.
set -u
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
passed=0
failed=0
log=$(mktemp -d /tmp/listclean-tests.XXXXXX)

run_one() {
  label=$1
  shift
  out="$log/$(echo "$label" | tr '/ ' '__').out"
  "$@" >"$out" 2>&1
  rc=$?
  p=$(grep -c '^ok ' "$out")
  f=$(grep -c '^not ok ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - $label exited with status $rc" >>"$out"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    echo "FAIL $label ($p passed, $f failed); output:"
    sed 's/^/    /' "$out" | tail -n 60
  else
    echo "pass $label ($p)"
  fi
}

if make --no-print-directory check >"$log/format.out" 2>&1; then
  passed=$((passed + 1))
  echo "pass clang-format"
else
  failed=$((failed + 1))
  echo "FAIL clang-format; output:"
  head -n 40 "$log/format.out" | sed 's/^/    /'
fi

export CMOCKA_MESSAGE_OUTPUT=TAP
# Test servers are on loopback; a proxy from the environment must not
# see their traffic.
export no_proxy='*' NO_PROXY='*'
for t in build/tests/test_*; do
  [ -x "$t" ] && run_one "unit $(basename "$t")" "$t"
done
for t in build/asan/tests/test_*; do
  [ -x "$t" ] && run_one "asan unit $(basename "$t")" "$t"
done

export SIMWORLD="$top/build/simworld"
export LISTCLEAN_TOP="$top"
for t in tests/world/*.sh; do
  [ -f "$t" ] && run_one "world $(basename "$t" .sh)" sh "$t"
done
for t in tests/e2e/*.sh; do
  [ -f "$t" ] || continue
  LISTCLEAN="$top/build/listclean" run_one "e2e $(basename "$t" .sh)" sh "$t"
  LISTCLEAN="$top/build/asan/listclean" \
    run_one "asan e2e $(basename "$t" .sh)" sh "$t"
done

# A short run of every libFuzzer target (scripts/fuzz.sh builds them with
# clang): one TAP line per target.
run_one "fuzz" sh scripts/fuzz.sh "${FUZZ_SECONDS:-5}"

echo "test logs: $log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
