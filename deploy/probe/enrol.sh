#!/usr/bin/env bash
# Usage: HTS_API_KEY=<operator key> deploy/probe/enrol.sh SERVER_URL PROBE_ID OUT_DIR < probe.json
#
# Enrols a commune's probe in one command: registers it (commune, links, advertised speeds: the JSON on standard
# input, as for PUT /api/probes/{id}), creates its broker credentials with write access below
# hts/v1/probes/PROBE_ID/ only, and writes what the probe box needs into OUT_DIR:
#   probe.json      its configuration (set each link's "bind" address before installing)
#   mqtt-password   its broker password (mode 600; shown nowhere else; enrolling again issues a new one)
#   upgrade-key.pem the release signing public key, when HTS_RELEASE_PUBLIC_KEY names it (probe.json then gets an
#                   "upgrade" section; HTS_RELEASES_URL, e.g. https://hts.example.vn:8443/probe-releases/, sets its releasesUrl)
# Install them on the box as /etc/hts-probe/probe.json, /etc/hts-probe/mqtt-password and /etc/hts-probe/upgrade-key.pem,
# with the CA certificate as /etc/hts-probe/ca.crt (see deploy/probe/ and probes/README.md, "Signed upgrades").
# The broker accepts the probe's login only with its own id as client id. Names starting with hts- are reserved (400).
# Revoke a stolen probe:  curl -X POST -H "X-Api-Key: $HTS_API_KEY" SERVER_URL/api/probes/PROBE_ID/revoke
set -euo pipefail
if [[ $# -ne 3 || -z ${HTS_API_KEY:-} ]]; then sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
server=${1%/} probe=$2 out=$3
command -v jq >/dev/null || { echo "enrol.sh needs jq (apt-get install jq)" >&2; exit 1; }
mkdir -p "$out"
umask 077
answer=$(mktemp); trap 'rm -f "$answer"' EXIT
status=$(curl -sS -o "$answer" -w '%{http_code}' -X POST "$server/api/probes/$probe/enrol" \
  -H "X-Api-Key: $HTS_API_KEY" -H 'Content-Type: application/json' --data-binary @-)
if [[ $status != 200 ]]; then
  echo "Enrolment of $probe refused (HTTP $status):" >&2
  jq . "$answer" >&2 2>/dev/null || cat "$answer" >&2
  exit 1
fi
jq -r '.mqttPassword' "$answer" >"$out/mqtt-password"
jq '.config' "$answer" >"$out/probe.json"
if [[ -n ${HTS_RELEASE_PUBLIC_KEY:-} ]]; then
  # The trust anchor travels with the enrolment, from the operator's copy, never fetched from the server it protects.
  grep -q 'BEGIN PUBLIC KEY' "$HTS_RELEASE_PUBLIC_KEY" || { echo "$HTS_RELEASE_PUBLIC_KEY is not a PEM public key" >&2; exit 1; }
  cp "$HTS_RELEASE_PUBLIC_KEY" "$out/upgrade-key.pem"
  chmod 644 "$out/upgrade-key.pem"
  jq --arg url "${HTS_RELEASES_URL:-}" '.upgrade = ({ publicKeyFile: "/etc/hts-probe/upgrade-key.pem" } + (if $url == "" then {} else { releasesUrl: $url } end))' \
    "$out/probe.json" >"$out/probe.json.tmp" && mv "$out/probe.json.tmp" "$out/probe.json"
fi
chmod 600 "$out/mqtt-password"
chmod 644 "$out/probe.json"
echo "Enrolled $probe: $out/probe.json and $out/mqtt-password (install as /etc/hts-probe/...; set each link's bind address)."
