#!/usr/bin/env bash
# Installs what the local stack and the tests need, from Debian's archive; does nothing when it is there.
set -euo pipefail
need=()
[[ -x /usr/sbin/mosquitto ]] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients)
[[ -x /usr/bin/influxd ]] || need+=(influxdb)
command -v influx >/dev/null || need+=(influxdb-client)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v iperf3 >/dev/null || need+=(iperf3)
# the accuracy tests take ping as the reference round trip of an emulated link
command -v ping >/dev/null || need+=(iputils-ping)
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
command -v openssl >/dev/null || need+=(openssl)
command -v setpriv >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
command -v tc >/dev/null || need+=(iproute2)
command -v iptables >/dev/null || need+=(iptables)
# linkemu (tools/linkemu) builds its delay helper against libnetfilter_queue
[[ -e /usr/include/libnetfilter_queue/libnetfilter_queue.h ]] || need+=(libnetfilter-queue-dev)
command -v gcc >/dev/null || need+=(gcc)
# the accuracy tests publish the probe as Native AOT (README: dotnet publish -p:PublishAot=true), which links with gcc and zlib
[[ -e /usr/include/zlib.h ]] || need+=(zlib1g-dev)
# the overview page test renders /overview/{province} with headless Chromium
command -v chromium >/dev/null || need+=(chromium)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || need+=(fonts-dejavu-core)
# Deployment tests: Prometheus scrapes the server with deploy/prometheus/prometheus.yml; Compose v1 parses
# deploy/compose/compose.yaml (no container engine needed); systemd-analyze checks the units.
[[ -x /usr/bin/prometheus ]] || need+=(prometheus)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v systemd-analyze >/dev/null || need+=(systemd)
# The dashboards' schema check (grafana/schema) runs TypeScript's compiler on Node.js (18 or newer; Debian 13 ships 20).
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
# grafana/generate.py (the dashboards' generator; a test compares its output with the committed JSON)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages: ${need[*]}. Run as root, or: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "Installing ${need[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian starts the packaged services; ours run on their own ports with their own data, so stop those.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  for s in mosquitto influxdb postgresql prometheus; do
    (systemctl stop "$s" 2>/dev/null || service "$s" stop 2>/dev/null) >/dev/null 2>&1 || true
  done
fi
# grafana/schema: @grafana/schema (pinned versions) and TypeScript from package-lock.json. Skipped while node_modules
# matches the lock (a copy of the lock it was installed from), so it needs no network after the first time; a re-install
# prefers npm's cache.
schema=$(cd "$(dirname "$0")/../.." && pwd)/grafana/schema
if ! cmp -s "$schema/package-lock.json" "$schema/node_modules/.hts-package-lock.json" 2>/dev/null; then
  echo "Installing the Grafana schema check's npm packages (grafana/schema) ..."
  (cd "$schema" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) || { echo "npm ci failed in $schema" >&2; exit 1; }
  cp "$schema/package-lock.json" "$schema/node_modules/.hts-package-lock.json"
fi
