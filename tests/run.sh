#!/usr/bin/env bash
# Runs every test of the repository against real Mosquitto, InfluxDB and PostgreSQL processes that the
# tests start themselves on free loopback ports. Installs what is missing first; safe to run twice.
# Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
deploy/local/install-deps.sh || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
config=Release
echo "== Building ($config)"
if ! dotnet build HaTangSo.Telemetry.sln -c "$config" -nologo -v quiet -clp:ErrorsOnly; then
  echo "Build failed."
  echo "0 passed, 1 failed"
  exit 1
fi

# Every test project of the solution (*.Tests), in a fixed order: unit tests first, integration tests last.
mapfile -t projects < <(dotnet sln HaTangSo.Telemetry.sln list | grep -E '^tests/.*Tests\.csproj$' | xargs -n1 dirname \
  | awk '{ print (/Integration/ ? "2 " : "1 ") $0 }' | sort | cut -d' ' -f2)
passed=0 failed=0 skipped=0
log=$(mktemp)
# Services' output and the secrets the tests used, for the check at the end (tests/HaTangSo.Telemetry.Testing/TestArtifacts.cs).
export HTS_TEST_ARTIFACTS=$(mktemp -d /tmp/hts-test-run-XXXXXX)
for project in "${projects[@]}"; do
  [[ -d $project ]] || continue
  echo "== $project"
  dotnet test "$project" -c "$config" --no-build --nologo -v quiet --logger "console;verbosity=normal" >"$log" 2>&1
  cp "$log" "$HTS_TEST_ARTIFACTS/test-$(basename "$project").log"
  # Failed tests with their message and stack trace (up to 40 lines each), skipped tests by name.
  awk '/^ +Failed [A-Za-z]/ { n = 40 } /^ +Passed [A-Za-z]/ { n = 0 } n > 0 { print; n-- } /^ +Skipped [A-Za-z]/ { print }' "$log" | head -400
  # "Total tests: N" then "Passed: N" / "Failed: N" / "Skipped: N" (console logger, normal verbosity).
  if ! grep -qE '^Total tests: [0-9]+' "$log"; then
    if grep -q 'No test is available' "$log"; then
      echo "   $project: holds no tests yet."
      continue
    fi
    echo "   $project: the test run did not finish (no summary); counted as 1 failed."
    tail -30 "$log"
    failed=$((failed + 1))
    continue
  fi
  count() { sed -nE "s/^ +$1: +([0-9]+)\s*$/\1/p" "$log" | tail -1; }
  p=$(count Passed); f=$(count Failed); s=$(count Skipped)
  p=${p:-0} f=${f:-0} s=${s:-0}
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
rm -f "$log"

# No password or key the tests used may appear in any log of the run: the tests' own output and every line the
# services under test (server, broker, probe, databases) printed.
echo "== Secrets in logs"
secrets=$(mktemp)
cat "$HTS_TEST_ARTIFACTS"/secrets-*.txt 2>/dev/null | sort -u >"$secrets"
logs=("$HTS_TEST_ARTIFACTS"/*.log)
lines=$(cat "${logs[@]}" 2>/dev/null | wc -l)
if [[ ! -s $secrets ]]; then
  echo "   no secrets were recorded (HTS_TEST_ARTIFACTS not honoured?): counted as 1 failed."
  failed=$((failed + 1))
elif leaks=$(grep -F -l -f "$secrets" "${logs[@]}" 2>/dev/null); then
  echo "   a secret the tests used appears in: $leaks"
  failed=$((failed + 1))
else
  echo "   none of $(wc -l <"$secrets") secrets appears in $lines lines of logs."
  passed=$((passed + 1))
fi
rm -rf "$secrets" "$HTS_TEST_ARTIFACTS"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && $passed -gt 0 ]]
