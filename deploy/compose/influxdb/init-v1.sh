#!/bin/sh
# Run once by the influxdb:2.x image after its initial setup (/docker-entrypoint-initdb.d), with the `influx`
# CLI already logged in with the admin token. The HaTangSo server speaks the v1 HTTP API (/write, /query with
# InfluxQL), which 2.x serves through a database/retention-policy → bucket mapping (DBRP) and v1 logins.
set -eu
db=${HTS_INFLUX_DATABASE:-hatangso}
rp=${HTS_INFLUX_RETENTION_POLICY:-hts_results}
bucket_id=$(influx bucket list --name "$DOCKER_INFLUXDB_INIT_BUCKET" --hide-headers | cut -f1)
[ -n "$bucket_id" ] || { echo "bucket $DOCKER_INFLUXDB_INIT_BUCKET not found" >&2; exit 1; }

# hatangso/hts_results → the bucket, and the default RP of the database (queries without an RP use it).
influx v1 dbrp create --db "$db" --rp "$rp" --bucket-id "$bucket_id" --default

# The server writes results and rollups and reads raw points for the jobs; Grafana only reads.
influx v1 auth create --username hts-server --password "$HTS_INFLUX_V1_SERVER_PASSWORD" \
  --read-bucket "$bucket_id" --write-bucket "$bucket_id" --description "HaTangSo server (v1 API)"
influx v1 auth create --username hts-grafana --password "$HTS_INFLUX_V1_GRAFANA_PASSWORD" \
  --read-bucket "$bucket_id" --description "Grafana (InfluxQL, read only)"
echo "v1 mapping $db/$rp -> bucket $DOCKER_INFLUXDB_INIT_BUCKET ($bucket_id); v1 users hts-server, hts-grafana"
