#!/usr/bin/env python3
"""Writes grafana/dashboards/*.json and grafana/gazetteer/hts-districts.json.

The dashboards are generated so that panel ids, grid positions, data-source references, units and the
former-district names (from the region catalogue) stay consistent; edit this file and run it again:

    python3 grafana/generate.py

Standard library only. The tests (tests/HaTangSo.Telemetry.IntegrationTests/Dashboards) check the JSON it
writes, run every query against a real InfluxDB and check that the output is up to date with the catalogue.
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent
# The pre-2025 three levels: the former districts' names and (where known) centroids.
CATALOG = ROOT.parent / "src/HaTangSo.Telemetry.Server/Registry/Data/catalogue-pre-2025-07.json"
INFLUX = {"type": "influxdb", "uid": "hts-influxdb"}
PROM = {"type": "prometheus", "uid": "hts-prometheus"}
GAZETTEER = "public/gazetteer/hts-districts.json"

STATUS_MAPPING = [{"type": "value", "options": {
    "met": {"text": "met", "color": "green", "index": 0},
    "below": {"text": "below target", "color": "red", "index": 1},
    "insufficient_data": {"text": "insufficient data", "color": "yellow", "index": 2},
    "no_target": {"text": "no target", "color": "text", "index": 3},
}}]
ONLINE_MAPPING = [{"type": "value", "options": {
    "1": {"text": "online", "color": "green", "index": 0},
    "0": {"text": "offline", "color": "red", "index": 1},
    "online": {"text": "online", "color": "green", "index": 2},
    "offline": {"text": "offline", "color": "red", "index": 3},
}}]

# Filters shared by the queries: Grafana renders a multi-value or "All" variable as a regex, hence =~ /^$var$/. A place is
# an area (province -> area kind -> area -> commune): points are selected by their commune, and "All" communes of the
# $commune variable (no custom all value) is the list of the area's communes.
WHERE_PLACE = '"province" =~ /^$province$/ AND "commune" =~ /^$commune$/'
WHERE_AREA = '"province" =~ /^$province$/ AND "area_kind" =~ /^$area_kind$/ AND "area" =~ /^$area$/'
WHERE_LINK = '"access" =~ /^$access$/ AND "operator" =~ /^$operator$/ AND "technology" =~ /^$technology$/'


def catalog():
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def district_names():
    # Former districts of the provinces the gazetteer places (those with a centroid): the mapping stays small.
    return {d["code"]: f'{d["name"]} ({d["code"]})' for d in catalog()["districts"] if d.get("centroid")}


def district_mapping():
    options = {code: {"text": name, "index": i} for i, (code, name) in enumerate(sorted(district_names().items()))}
    return [{"type": "value", "options": options}]


def override(name, **props):
    properties = []
    for key, value in props.items():
        key = {"display_name": "displayName", "custom_cell": "custom.cellOptions", "custom_line": "custom.lineStyle",
               "custom_fill": "custom.fillOpacity", "custom_hidden": "custom.hidden", "color": "color"}.get(key, key)
        properties.append({"id": key, "value": value})
    matcher = {"id": "byRegexp", "options": name[1:-1]} if name.startswith("/") else {"id": "byName", "options": name}
    return {"matcher": matcher, "properties": properties}


TARGET_LINE = override("/^target.*/", custom_line={"fill": "dash", "dash": [10, 10]}, color={"mode": "fixed", "fixedColor": "red"},
                       custom_fill=0)
STATUS_CELL = override("status", mappings=STATUS_MAPPING, custom_cell={"type": "color-background"})
DISTRICT_NAMES = override("district", mappings=district_mapping(), display_name="district")
AREA_NAMES = override("area", mappings=district_mapping(), display_name="area")


def influx(query, ref="A", fmt="time_series", alias=None):
    target = {"refId": ref, "datasource": INFLUX, "rawQuery": True, "query": query, "resultFormat": fmt}
    if alias:
        target["alias"] = alias
    return target


def prom(expr, legend, ref="A"):
    return {"refId": ref, "datasource": PROM, "expr": expr, "legendFormat": legend, "range": True}


class Board:
    def __init__(self, uid, title, description, variables, annotations=None, tags=("hatangso",)):
        self.uid, self.title, self.description = uid, title, description
        self.variables, self.annotations, self.tags = variables, annotations or [], list(tags)
        self.panels, self._x, self._y, self._row_h = [], 0, 0, 0

    def add(self, kind, title, targets, unit=None, w=12, h=8, description=None, options=None, overrides=None,
            custom=None, datasource=INFLUX, mappings=None, transformations=None, interval=None, links=None, decimals=None):
        if self._x + w > 24:
            self._x, self._y, self._row_h = 0, self._y + self._row_h, 0
        # Only a base colour: a target is never a number typed here, it comes with the data (compliance "threshold").
        defaults = {"custom": custom or {}, "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None}]}}
        if unit:
            defaults["unit"] = unit
        if mappings:
            defaults["mappings"] = mappings
        if decimals is not None:
            defaults["decimals"] = decimals
        if links:
            defaults["links"] = links
        panel = {
            "id": len(self.panels) + 1,
            "type": kind,
            "title": title,
            "gridPos": {"x": self._x, "y": self._y, "w": w, "h": h},
            "datasource": datasource,
            "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
            "options": options or {},
        }
        if description:
            panel["description"] = description
        if transformations:
            panel["transformations"] = transformations
        if interval:
            panel["interval"] = interval
        self.panels.append(panel)
        self._x += w
        self._row_h = max(self._row_h, h)
        return panel

    def json(self):
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": self.tags,
            "editable": True,
            "graphTooltip": 1,
            "schemaVersion": 39,
            "version": 1,
            "timezone": "Asia/Ho_Chi_Minh",
            "time": {"from": "now-7d", "to": "now"},
            "refresh": "5m",
            "links": [{"type": "dashboards", "tags": ["hatangso"], "asDropdown": True, "title": "HaTangSo", "includeVars": True,
                       "keepTime": True}],
            "templating": {"list": self.variables},
            "annotations": {"list": [
                {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
                 "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
                *self.annotations]},
            "panels": self.panels,
        }


def tag_var(name, label, key, where=None, include_all=False, multi=False, measurement="speedtest", all_value=".*"):
    query = f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "{key}"' + (f" WHERE {where}" if where else "")
    variable = {"name": name, "label": label, "type": "query", "datasource": INFLUX, "query": query, "definition": query,
                "refresh": 1, "sort": 1, "includeAll": include_all, "multi": multi, "current": {}, "hide": 0, "options": []}
    if include_all and all_value:
        variable["allValue"] = all_value
    return variable


# The areas come from the area_membership measurement the compliance job keeps equal to the registry (one series per
# area x commune): province -> kind of area (former-district, commune, province, former-province, custom) -> area ->
# communes.
def area_vars(commune=True, area_all=False):
    variables = [
        tag_var("area_kind", "Area kind", "area_kind", '"province" =~ /^$province$/', measurement="area_membership"),
        tag_var("area", "Area", "area", '"province" =~ /^$province$/ AND "area_kind" =~ /^$area_kind$/', include_all=area_all,
                measurement="area_membership"),
    ]
    if commune:
        # No custom "All" value: All is the list of the area's communes.
        variables.append(tag_var("commune", "Commune", "commune",
                                 '"province" =~ /^$province$/ AND "area_kind" =~ /^$area_kind$/ AND "area" =~ /^$area$/',
                                 include_all=True, multi=True, measurement="area_membership", all_value=None))
    return variables


def common_vars(district_all=False, commune=True):
    variables = [tag_var("province", "Province", "province"), *area_vars(commune, area_all=district_all)]
    variables += [
        tag_var("access", "Access", "access", include_all=True, multi=True),
        tag_var("operator", "Operator", "operator", '"access" =~ /^$access$/', include_all=True, multi=True),
        tag_var("technology", "Technology", "technology", '"access" =~ /^$access$/', include_all=True, multi=True),
    ]
    return variables


def window_var():
    return {"name": "window", "label": "Compliance window", "type": "custom", "query": "rolling,month", "current": {"text": "rolling", "value": "rolling"},
            "options": [{"text": "rolling", "value": "rolling", "selected": True}, {"text": "month", "value": "month", "selected": False}],
            "includeAll": False, "multi": False, "hide": 0}


def alert_annotation(where):
    query = f'SELECT "text", "kind", "event" FROM "alert_events" WHERE {where} AND $timeFilter'
    return {"name": "Alerts", "datasource": INFLUX, "enable": True, "iconColor": "red", "query": query,
            "textColumn": "text", "tagsColumn": "kind,event", "titleColumn": "event"}


def open_alerts(board, where, w=24, h=7):
    # The latest alert_events point of each scope (kind, district, access, technology, probe) has open = 1 while the
    # alert is open; "resolved" writes open = 0. Not limited to the dashboard's time range: an old alert may be open.
    inner = ('SELECT last("open") AS "open", last("text") AS "text", last("alert_id") AS "alert" FROM "alert_events" '
             f'WHERE {where} GROUP BY "kind", "area_kind", "area", "district", "access", "technology", "probe"')
    query = (f'SELECT "text", "alert" FROM ({inner}) WHERE "open" = 1 '
             'GROUP BY "kind", "area_kind", "area", "district", "access", "technology", "probe"')
    board.add("table", "Open alerts", [influx(query, fmt="table")], unit="none", w=w, h=h,
              description="Alerts opened and not yet resolved (a former district or another area below target, probe silent), "
                          "from alert_events.",
              overrides=[DISTRICT_NAMES, AREA_NAMES], transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}}}])


def overview():
    variables = [tag_var("province", "Province", "province"), area_vars(commune=False)[0], window_var(),
                 tag_var("access", "Access", "access", include_all=True, multi=True),
                 tag_var("operator", "Operator", "operator", '"access" =~ /^$access$/', include_all=True, multi=True),
                 tag_var("technology", "Technology", "technology", '"access" =~ /^$access$/', include_all=True, multi=True)]
    board = Board("hts-province-overview", "Province overview",
                  "Which areas (former districts, communes, ...) meet the plan's download-speed targets, per access type (compliance job, rolling window or month).",
                  variables, [alert_annotation('"province" =~ /^$province$/')])
    compliance = ('SELECT last("status") AS "status", last("value") AS "value", last("threshold") AS "target", last("samples") AS "samples" '
                  'FROM "compliance" WHERE "province" =~ /^$province$/ AND "area_kind" =~ /^$area_kind$/ AND "access" = \'{access}\' '
                  'AND "window" = \'$window\' AND "metric" =~ /^(download)?$/ AND $timeFilter GROUP BY "area", "technology"')
    layer = lambda name, ref, symbol, align: {  # noqa: E731
        "type": "markers", "name": name, "tooltip": True,
        "location": {"mode": "lookup", "lookup": "area", "gazetteer": GAZETTEER},
        "filterData": {"id": "byRefId", "options": ref},
        "config": {"showLegend": True, "style": {
            "size": {"fixed": 14}, "opacity": 0.85, "color": {"field": "status", "fixed": "dark-green"},
            "symbol": {"mode": "fixed", "fixed": f"img/icons/marker/{symbol}.svg"},
            "symbolAlign": {"horizontal": align, "vertical": "center"},
            "text": {"mode": "field", "field": "area", "fixed": ""},
            "textConfig": {"fontSize": 10, "offsetX": 0, "offsetY": -14, "textAlign": "center", "textBaseline": "middle"}}}}
    board.add("geomap", "Areas by compliance status (circle: fixed, square: mobile)",
              [influx(compliance.format(access="fixed"), "A", "table"), influx(compliance.format(access="mobile"), "B", "table")],
              unit="Mbits", w=12, h=14,
              description=f"Each former district at its centroid (gazetteer {GAZETTEER}, from the region catalogue), coloured by the "
                          "latest compliance status of its fixed (circle) and mobile (square) broadband. The 2025 communes have no "
                          "coordinates in any catalogue package yet, so the commune kind draws no markers.",
              overrides=[STATUS_CELL, override("samples", unit="none"), AREA_NAMES],
              options={"view": {"id": "fit", "allLayers": True, "padding": 10, "lat": 0, "lon": 0, "zoom": 8},
                       "controls": {"showZoom": True, "mouseWheelZoom": True, "showAttribution": True},
                       "basemap": {"type": "default", "name": "Basemap", "config": {}},
                       "tooltip": {"mode": "details"},
                       "layers": [layer("Fixed", "A", "circle", "left"), layer("Mobile", "B", "square", "right")]})
    table = ('SELECT last("value") AS "value", last("threshold") AS "target", last("samples") AS "samples", last("status") AS "status" '
             'FROM "compliance" WHERE "province" =~ /^$province$/ AND "area_kind" =~ /^$area_kind$/ AND "window" = \'$window\' '
             'AND "access" =~ /^$access$/ AND "metric" =~ /^(download)?$/ AND $timeFilter GROUP BY "area", "access", "technology"')
    board.add("table", "Areas × access: value, target, samples, status", [influx(table, fmt="table")], unit="Mbits", w=12, h=14,
              description="The latest compliance evaluation of every area of the chosen kind and access type: the statistic the "
                          "target names (for example the mean download), the target, the number of samples and the status.",
              overrides=[STATUS_CELL, override("samples", unit="none", decimals=0), AREA_NAMES],
              transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True},
                                                               "indexByName": {"area": 0, "access": 1, "technology": 2}}}],
              links=[{"title": "Open the area", "url": "/d/hts-district/district?var-province=${province}&var-area_kind=${area_kind}"
                                                       "&var-area=${__data.fields.area}&${__url_time_range}"}],
              decimals=1)
    trend = ('SELECT median("download_mbps") FROM "speedtest" WHERE "province" =~ /^$province$/ AND ' + WHERE_LINK +
             ' AND "status" = \'ok\' AND $timeFilter GROUP BY time($__interval), "access" fill(none)')
    target = ('SELECT max("threshold") FROM "compliance" WHERE "province" =~ /^$province$/ AND "area_kind" =~ /^$area_kind$/ '
              'AND "access" =~ /^$access$/ AND "window" = \'$window\' AND "metric" = \'download\' AND $timeFilter '
              'GROUP BY time($__interval), "access" fill(previous)')
    board.add("timeseries", "Median download against the target", [influx(trend, "A", alias="median $tag_access"),
                                                                   influx(target, "B", alias="target $tag_access")],
              unit="Mbits", w=24, h=9, interval="1h", overrides=[TARGET_LINE],
              description="Median download of every result in the province per interval, and the target line taken from the "
                          "compliance evaluations (the threshold in force), never typed into the panel.",
              options={"legend": {"displayMode": "table", "placement": "right", "calcs": ["mean", "min"]}, "tooltip": {"mode": "multi"}},
              custom={"spanNulls": True, "lineWidth": 2})
    open_alerts(board, '"province" =~ /^$province$/')
    return board


def district():
    board = Board("hts-district", "Area",
                  "One area (a former district, a commune, a custom area): its communes and probes, operators side by side, the "
                  "distribution of download speeds, peak hours, latency, jitter, loss and latency under load.",
                  common_vars(), [alert_annotation('"province" =~ /^$province$/ AND "area" =~ /^$area$/')])
    ok = f'{WHERE_PLACE} AND {WHERE_LINK} AND "status" = \'ok\' AND $timeFilter'
    communes = ('SELECT count("download_mbps") AS "samples", median("download_mbps") AS "download", median("upload_mbps") AS "upload", '
                f'median("latency_ms") AS "latency" FROM "speedtest" WHERE {ok} GROUP BY "commune", "probe", "link", "access", "operator"')
    board.add("table", "Communes and probes (medians over the range)", [influx(communes, fmt="table")], unit="Mbits", w=24, h=8,
              overrides=[override("samples", unit="none", decimals=0), override("latency", unit="ms")],
              transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}}}], decimals=1)
    operators = f'SELECT median("download_mbps") FROM "speedtest" WHERE {ok} GROUP BY "access", "operator"'
    board.add("bargauge", "Operators side by side: median download", [influx(operators, alias="$tag_operator ($tag_access)")],
              unit="Mbits", w=8, h=9, decimals=1,
              options={"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
                       "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}})
    by_operator = f'SELECT median("download_mbps") FROM "speedtest" WHERE {ok} GROUP BY time($__interval), "access", "operator" fill(none)'
    board.add("timeseries", "Median download per operator", [influx(by_operator, alias="$tag_operator ($tag_access)")],
              unit="Mbits", w=16, h=9, interval="1h", custom={"spanNulls": True})
    rollup = ('SELECT mean("download_p10") AS "p10", mean("download_median") AS "median", mean("download_p90") AS "p90" '
              'FROM "rollup_hourly" WHERE ' + WHERE_AREA + ' AND "access" =~ /^$access$/ '
              'AND "operator" =~ /^$operator$/ AND $timeFilter GROUP BY time($__interval), "access" fill(none)')
    target = ('SELECT max("threshold") FROM "compliance" WHERE ' + WHERE_AREA + ' AND "access" =~ /^$access$/ AND "window" = \'rolling\' '
              'AND "metric" = \'download\' AND $timeFilter GROUP BY time($__interval), "access" fill(previous)')
    board.add("timeseries", "Download distribution: p10, median, p90 (hourly rollups)",
              [influx(rollup, "A", alias="$col $tag_access"), influx(target, "B", alias="target $tag_access")],
              unit="Mbits", w=12, h=9, interval="1h", overrides=[TARGET_LINE], custom={"spanNulls": True})
    heat = ('SELECT "download_median" FROM "rollup_hourly" WHERE "area_kind" = \'commune\' AND "province" =~ /^$province$/ '
            'AND "area" =~ /^$commune$/ AND "access" =~ /^$access$/ AND "operator" =~ /^$operator$/ AND $timeFilter')
    board.add("heatmap", "Peak hours: hourly median download of each commune link", [influx(heat)], unit="Mbits", w=12, h=9,
              description="Each cell counts commune × operator hours whose median download fell in that speed band; the evening peak "
                          "shows as a daily dip. (InfluxQL has no hour-of-day function, so hours run along the time axis.)",
              options={"calculate": True, "calculation": {"xBuckets": {"mode": "size", "value": "1h"},
                                                         "yBuckets": {"mode": "count", "value": "20"}},
                       "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64}, "yAxis": {"unit": "Mbits"},
                       "cellGap": 1, "tooltip": {"show": True, "yHistogram": True}})
    latency = ('SELECT median("latency_ms") AS "latency", median("jitter_ms") AS "jitter", median("loaded_latency_ms") AS "latency under load" '
               f'FROM "speedtest" WHERE {ok} GROUP BY time($__interval), "access" fill(none)')
    board.add("timeseries", "Latency, jitter and latency under load (medians)", [influx(latency, alias="$col ($tag_access)")],
              unit="ms", w=12, h=8, interval="15m", custom={"spanNulls": True})
    loss = f'SELECT mean("loss_pct") AS "loss" FROM "speedtest" WHERE {ok} GROUP BY time($__interval), "access" fill(none)'
    board.add("timeseries", "Packet loss (mean)", [influx(loss, alias="loss ($tag_access)")], unit="percent", w=12, h=8,
              interval="15m", custom={"spanNulls": True}, decimals=2)
    value = ('SELECT last("value") AS "value", last("threshold") AS "target" FROM "compliance" WHERE ' + WHERE_AREA +
             ' AND "access" =~ /^$access$/ AND "window" = \'rolling\' AND "metric" = \'download\' AND $timeFilter '
             'GROUP BY time($__interval), "access" fill(none)')
    board.add("timeseries", "Compliance value against the target (rolling window)", [influx(value, alias="$col $tag_access")],
              unit="Mbits", w=24, h=8, interval="1h", overrides=[TARGET_LINE], custom={"spanNulls": True})
    return board


def fleet():
    variables = common_vars(district_all=True)
    board = Board("hts-probe-fleet", "Probe fleet", "Which probes are online, when each was last heard of, queue depth, agent "
                  "version, skipped and failed tests.", variables,
                  [alert_annotation('"province" =~ /^$province$/')])
    where = WHERE_PLACE
    latest = f'SELECT last("online") AS "online" FROM "probe_status" WHERE {where} AND $timeFilter GROUP BY "probe"'
    board.add("stat", "Probes online", [influx(f'SELECT sum("online") FROM ({latest})')], unit="none", w=6, h=5, decimals=0,
              options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value"})
    board.add("stat", "Probes offline (last status)", [influx(f'SELECT count("online") - sum("online") FROM ({latest})')],
              unit="none", w=6, h=5, decimals=0,
              options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "value"})
    skipped = (f'SELECT count("result_id") FROM "speedtest" WHERE {where} AND "status" =~ /^(skipped|failed|partial)$/ '
               'AND $timeFilter GROUP BY time($__interval), "status" fill(none)')
    board.add("timeseries", "Skipped, failed and partial tests", [influx(skipped, alias="$tag_status")], unit="none", w=12, h=5,
              interval="1h", custom={"drawStyle": "bars", "fillOpacity": 60, "stacking": {"mode": "normal"}}, decimals=0)
    # A single selector keeps the point's own time: the last status's time is when the probe was last heard of.
    seen = f'SELECT last("state") AS "state" FROM "probe_status" WHERE {where} GROUP BY "probe", "commune"'
    board.add("table", "Last seen (latest status of every probe)", [influx(seen, fmt="table")], unit="none", w=8, h=9,
              overrides=[override("Time", display_name="last seen", unit="dateTimeFromNow"),
                         override("state", mappings=ONLINE_MAPPING, custom_cell={"type": "color-text"})])
    state = ('SELECT last("queue_depth") AS "queue depth", last("queue_evicted") AS "evicted", last("agent_version") AS "agent version" '
             f'FROM "probe_status" WHERE {where} GROUP BY "probe"')
    board.add("table", "Queue and agent version", [influx(state, fmt="table")], unit="none", w=8, h=9, decimals=0,
              transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}}}])
    last_result = f'SELECT last("result_id") AS "result" FROM "speedtest" WHERE {where} GROUP BY "probe", "link", "status"'
    board.add("table", "Last result per probe link", [influx(last_result, fmt="table")], unit="none", w=8, h=9,
              overrides=[override("Time", display_name="last result", unit="dateTimeFromNow")])
    online = f'SELECT last("online") FROM "probe_status" WHERE {where} AND $timeFilter GROUP BY time($__interval), "probe" fill(previous)'
    board.add("state-timeline", "Online / offline", [influx(online, alias="$tag_probe")], unit="none", w=12, h=8,
              mappings=ONLINE_MAPPING, interval="5m", options={"showValue": "never", "mergeValues": True})
    queue = (f'SELECT last("queue_depth") FROM "probe_status" WHERE {where} AND $timeFilter '
             'GROUP BY time($__interval), "probe" fill(previous)')
    board.add("timeseries", "Queue depth (results waiting on the probe)", [influx(queue, alias="$tag_probe")], unit="none", w=12, h=8,
              interval="5m", decimals=0)
    errors = (f'SELECT "status", "link", "error" FROM "speedtest" WHERE {where} AND "status" != \'ok\' AND $timeFilter '
              'GROUP BY "probe" ORDER BY time DESC LIMIT 20')
    board.add("table", "Latest skipped and failed tests", [influx(errors, fmt="table")], unit="none", w=24, h=7,
              overrides=[override("Time", unit="dateTimeAsIso")])
    open_alerts(board, '"province" =~ /^$province$/ AND "kind" = \'probe_silent\'', h=6)
    return board


def pipeline():
    variables = [{"name": "instance", "label": "Server instance", "type": "query", "datasource": PROM,
                  "query": {"query": "label_values(hts_ingest_unacknowledged, instance)", "refId": "PrometheusVariableQueryEditor-VariableQuery"},
                  "definition": "label_values(hts_ingest_unacknowledged, instance)", "refresh": 2, "includeAll": True, "multi": True,
                  "allValue": ".*", "current": {}, "hide": 0, "sort": 1, "options": []}]
    board = Board("hts-pipeline", "Pipeline health", "The servers' OpenTelemetry metrics through Prometheus: results in, "
                  "points written, quarantined, retries, write latency and the unacknowledged backlog.", variables)
    sel = 'instance=~"$instance"'
    board.add("timeseries", "Messages received", [prom(f"sum by (kind) (rate(hts_ingest_messages_received_total{{{sel}}}[$__rate_interval]))", "{{kind}}")],
              unit="suffix: msg/s", w=12, h=8, datasource=PROM)
    board.add("timeseries", "Points written to InfluxDB", [prom(f"sum by (instance) (rate(hts_ingest_points_written_total{{{sel}}}[$__rate_interval]))", "{{instance}}")],
              unit="suffix: points/s", w=12, h=8, datasource=PROM)
    board.add("timeseries", "Quarantined messages by reason", [prom(f"sum by (reason) (rate(hts_ingest_messages_quarantined_total{{{sel}}}[$__rate_interval]))", "{{reason}}")],
              unit="suffix: msg/s", w=12, h=8, datasource=PROM)
    board.add("timeseries", "Write retries (InfluxDB or PostgreSQL unavailable)", [prom(f"sum by (target) (rate(hts_ingest_write_retries_total{{{sel}}}[$__rate_interval]))", "{{target}}")],
              unit="suffix: retries/s", w=12, h=8, datasource=PROM)
    latency = "histogram_quantile({q}, sum by (le) (rate(hts_ingest_write_duration_seconds_bucket{{" + sel + "}}[$__rate_interval])))"
    board.add("timeseries", "Batch write duration (durable write)", [prom(latency.format(q="0.5"), "p50", "A"), prom(latency.format(q="0.99"), "p99", "B")],
              unit="s", w=12, h=8, datasource=PROM)
    board.add("timeseries", "Unacknowledged backlog", [prom(f"sum by (instance) (hts_ingest_unacknowledged{{{sel}}})", "{{instance}}")],
              unit="none", w=12, h=8, datasource=PROM, decimals=0)
    batch = f"histogram_quantile(0.5, sum by (le) (rate(hts_ingest_batch_size_bucket{{{sel}}}[$__rate_interval])))"
    board.add("timeseries", "Median batch size", [prom(batch, "p50")], unit="none", w=12, h=8, datasource=PROM)
    mean = (f"sum(rate(hts_ingest_write_duration_seconds_sum{{{sel}}}[$__rate_interval])) / "
            f"sum(rate(hts_ingest_write_duration_seconds_count{{{sel}}}[$__rate_interval]))")
    board.add("timeseries", "Mean batch write duration", [prom(mean, "mean")], unit="s", w=12, h=8, datasource=PROM)
    return board


def gazetteer():
    # Former districts with a centroid in the catalogue (today Lai Châu, Phú Thọ and Hà Tĩnh as they were). The 2025
    # communes have no coordinates in any package the catalogue is built from, so none is invented here.
    return [{"key": d["code"], "keys": [d["code"]], "name": d["name"], "province": d["province"], "kind": "former-district",
             "latitude": d["centroid"]["lat"], "longitude": d["centroid"]["lon"]}
            for d in sorted(catalog()["districts"], key=lambda d: (d["province"], d["code"])) if d.get("centroid")]


def write(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    for name, board in [("province-overview", overview()), ("district", district()), ("probe-fleet", fleet()),
                        ("pipeline-health", pipeline())]:
        write(ROOT / "dashboards" / f"{name}.json", board.json())
    write(ROOT / "gazetteer" / "hts-districts.json", gazetteer())
