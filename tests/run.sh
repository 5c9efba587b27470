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

projects=(
  tests/HaTangSo.Telemetry.Contracts.Tests
  tests/HaTangSo.Telemetry.InfluxDb.Tests
  tests/HaTangSo.Telemetry.Server.Tests
  tests/HaTangSo.Telemetry.Probe.Tests
  tests/HaTangSo.Telemetry.IntegrationTests
)
passed=0 failed=0 skipped=0
log=$(mktemp)
for project in "${projects[@]}"; do
  [[ -d $project ]] || continue
  echo "== $project"
  dotnet test "$project" -c "$config" --no-build --nologo -v quiet --logger "console;verbosity=normal" 2>&1 | tee "$log" \
    | grep -E '^\s*(Failed|Skipped) |Passed!|Failed!|error|Error Message|Assert' | head -200
  summary=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -1)
  if [[ -z $summary ]] && grep -q 'No test is available' "$log"; then
    echo "   $project: holds no tests yet."
    continue
  fi
  if [[ -z $summary ]]; then
    echo "   $project: the test run did not finish (no summary line); counted as 1 failed."
    tail -30 "$log"
    failed=$((failed + 1))
    continue
  fi
  f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")
  p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
  s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && $passed -gt 0 ]]
