#!/bin/sh
# hts-probe-trial.sh: ExecStartPre= of hts-probe.service (install as /opt/hts-probe/hts-probe-trial.sh, mode 755).
#
# After a signed upgrade the probe writes state=trial to $HTS_PROBE_UPGRADE_STATE/state and exits; systemd restarts the
# unit and this script runs first. It runs the new binary's self-test (config, clock, queue, broker login, each link's
# path to the speed-test server). Passed: state=confirmed and the service starts the new binary. Failed (or hung past
# $HTS_PROBE_TRIAL_SECONDS): the previous binary (hts-probe.previous, kept by the upgrade) is copied back over the new
# one atomically, state=rolled-back, and the service starts the previous version.
# It is a shell script on purpose: a new binary that cannot even start must not be the one deciding to roll back.
# Without a trial pending it does nothing. It always exits 0, so a trial never keeps the service down.
set -u
bin=${HTS_PROBE_BINARY:-/opt/hts-probe/hts-probe}
config=${HTS_PROBE_CONFIG:-/etc/hts-probe/probe.json}
dir=${HTS_PROBE_UPGRADE_STATE:-/var/lib/hts-probe/upgrade}
limit=${HTS_PROBE_TRIAL_SECONDS:-180}
state="$dir/state"

[ -f "$state" ] && grep -qx 'state=trial' "$state" || exit 0
from=$(sed -n 's/^from=//p' "$state" | head -n 1)
to=$(sed -n 's/^to=//p' "$state" | head -n 1)

# write_state KIND DETAIL: the same key=value lines the probe writes (UpgradeStateFile), replaced atomically.
write_state() {
  printf 'state=%s\nfrom=%s\nto=%s\nat=%s\ndetail=%s\n' "$1" "$from" "$to" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$2" >"$state.tmp"
  sync "$state.tmp" 2>/dev/null
  mv -f "$state.tmp" "$state"
  sync "$dir" 2>/dev/null
  return 0
}

echo "hts-probe trial of $to (upgraded from $from): running the self-test"
timeout --kill-after=10 "$limit" "$bin" self-test --config "$config"
rc=$?
if [ "$rc" -eq 0 ]; then
  write_state confirmed "self-test and broker login passed"
  echo "hts-probe $to confirmed"
  exit 0
fi

previous="$bin.previous"
if [ -f "$previous" ] && cp -p "$previous" "$bin.rollback" && sync "$bin.rollback" 2>/dev/null && mv -f "$bin.rollback" "$bin"; then
  sync "$(dirname "$bin")" 2>/dev/null
  write_state rolled-back "self-test of $to failed (exit $rc); $from restored"
  echo "hts-probe $to failed its self-test (exit $rc): rolled back to $from" >&2
else
  rm -f "$bin.rollback"
  write_state rollback-failed "self-test of $to failed (exit $rc) and $previous could not be restored"
  echo "hts-probe $to failed its self-test (exit $rc) and $previous could not be restored: starting $to anyway" >&2
fi
exit 0
