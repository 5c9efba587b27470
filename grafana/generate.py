#!/usr/bin/env python3
"""Writes grafana/dashboards/*.json and grafana/gazetteer/hts-districts.json.

The dashboards are generated so that panel ids, grid positions, data-source references, units, colours and the
queries' filters stay consistent; edit this file and run it again:

    python3 grafana/generate.py              # writes grafana/dashboards and grafana/gazetteer
    python3 grafana/generate.py --out DIR    # writes into DIR/dashboards and DIR/gazetteer instead (the tests compare)

Standard library only. The tests (tests/HaTangSo.Telemetry.IntegrationTests/Dashboards) check that the committed JSON
equals this file's output, type-check it against Grafana's published schema (grafana/schema), run every query
against a real InfluxDB filled by the real server and compare a value of every panel with the API.

Conventions the queries follow (README, "Dashboards"):
- every panel query is bounded in time: $timeFilter, or an explicit bound at the range end (time <= ${__to}ms) for
  lookups of state (open alerts, area names);
- long ranges read the rollups: each series has three queries, raw results (A, ranges up to 2 days), rollup_hourly
  (B, up to 60 days) and rollup_daily (C, beyond); InfluxQL evaluates the constant condition on ($__to - $__from) and
  the two that do not apply return nothing without reading a point. A chosen technology keeps the raw query (the
  rollups have no technology);
- verdicts (compliance) show the all-operator / all-technology row unless an operator or technology is chosen;
- colours come from the data: the compliance status through value mappings, the target threshold through "Config
  from query results"; only operational panels (offline probes, quarantine rate, job age, freshness) carry numbers.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent
# The pre-2025 three levels: the former districts' names and (where known) centroids.
CATALOG = ROOT.parent / "src/HaTangSo.Telemetry.Server/Registry/Data/catalogue-pre-2025-07.json"
INFLUX = {"type": "influxdb", "uid": "hts-influxdb"}
PROM = {"type": "prometheus", "uid": "hts-prometheus"}
GAZETTEER = "public/gazetteer/hts-districts.json"

# Schedules (the defaults of the server's configuration; change them here too if you change them there).
RESULT_SCHEDULE_S = 15 * 60  # a probe's test interval (PUT /api/probes: scheduleMinutes, default 15)
HOURLY_S = 3600  # Jobs:RollupsCron and Jobs:ComplianceCron: every hour
LIVENESS_S = 300  # Jobs:LivenessCron: every 5 minutes
DAY_S = 86400
RAW_MAX_MS = 2 * DAY_S * 1000  # up to 2 days: raw results
HOURLY_MAX_MS = 60 * DAY_S * 1000  # up to 60 days: hourly rollups; beyond: daily rollups

# Vietnamese first, as on the server's /overview page (Api/OverviewPage.cs).
STATUS_MAPPING = [{"type": "value", "options": {
    "met": {"text": "Đạt — met", "color": "green", "index": 0},
    "below": {"text": "Không đạt — below target", "color": "red", "index": 1},
    "inconclusive": {"text": "Chưa kết luận — inconclusive", "color": "orange", "index": 2},
    "insufficient_data": {"text": "Chưa đủ mẫu — insufficient data", "color": "yellow", "index": 3},
    "no_target": {"text": "Chưa có chỉ tiêu — no target", "color": "text", "index": 4},
}}]
LIVENESS_MAPPING = [{"type": "value", "options": {
    "online": {"text": "Hoạt động — online", "color": "green", "index": 0},
    "stale": {"text": "Im lặng — stale (silent)", "color": "orange", "index": 1},
    "offline": {"text": "Ngoại tuyến — offline", "color": "red", "index": 2},
    "never_seen": {"text": "Chưa từng kết nối — never seen", "color": "purple", "index": 3},
    "disabled": {"text": "Đã thu hồi — disabled", "color": "text", "index": 4},
}}]
BROKER_MAPPING = [{"type": "value", "options": {
    "1": {"text": "Đã kết nối — connected", "color": "green", "index": 0},
    "0": {"text": "Mất kết nối — disconnected", "color": "red", "index": 1},
}}]
EVENT_MAPPING = [{"type": "value", "options": {
    "opened": {"text": "Mở — opened", "color": "red", "index": 0},
    "resolved": {"text": "Đã hết — resolved", "color": "green", "index": 1},
}}]

# Filters. Grafana renders a multi-value or "All" variable as a regex, hence =~ /^$var$/. A place is an area
# (province -> area kind -> area -> commune): raw points are selected by their commune, and "All" communes of the
# $commune variable (no custom all value) is the list of the area's communes.
WHERE_PLACE = '"province" =~ /^$province$/ AND "commune" =~ /^$commune$/'
WHERE_AREA = '"province" =~ /^$province$/ AND "area_kind" =~ /^$area_kind$/ AND "area" =~ /^$area$/'
WHERE_AREAS = '"province" =~ /^$province$/ AND "area_kind" =~ /^$area_kind$/'
WHERE_LINK = '"access" =~ /^$access$/ AND "operator" =~ /^$operator$/ AND "technology" =~ /^$technology$/'
# The liveness points carry the probe's links as sorted lists ("fixed,mobile", "VNPT,Viettel", "4g,ftth").
WHERE_PROBE_LINKS = ('"accesses" =~ /(^|,)$access(,|$)/ AND "operators" =~ /(^|,)$operator(,|$)/ '
                     'AND "technologies" =~ /(^|,)$technology(,|$)/')
RANGE = "($__to - $__from)"


def resolution(technology=True):
    """The conditions of the raw (A), hourly (B) and daily (C) queries of a series (see the module's docstring)."""
    tech_raw, tech_rollup = (" OR '$technology' != '.*'", " AND '$technology' = '.*'") if technology else ("", "")
    return (f"({RANGE} <= {RAW_MAX_MS}{tech_raw})",
            f"{RANGE} > {RAW_MAX_MS} AND {RANGE} <= {HOURLY_MAX_MS}{tech_rollup}",
            f"{RANGE} > {HOURLY_MAX_MS}{tech_rollup}")


def choice(tag, var):
    """A verdict row: the "all" row when the variable is All (.*), else the chosen rows. Rows without the tag (written
    before the per-operator verdicts) count as "all"."""
    return (f"((\"{tag}\" =~ /^(all)?$/ AND '${var}' = '.*') OR (\"{tag}\" =~ /^${var}$/ AND '${var}' != '.*'))")


VERDICT = f'"window" = \'$window\' AND "access" =~ /^$access$/ AND {choice("operator", "operator")} AND {choice("technology", "technology")}'
DOWNLOAD = '"metric" =~ /^(download)?$/ AND "statistic" != \'share_at_least\''
SHARE = '"metric" =~ /^(download)?$/ AND "statistic" = \'share_at_least\''


def catalog():
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def override(name, **props):
    properties = []
    for key, value in props.items():
        key = {"display_name": "displayName", "custom_cell": "custom.cellOptions", "custom_line": "custom.lineStyle",
               "custom_fill": "custom.fillOpacity", "custom_hidden": "custom.hidden", "span_nulls": "custom.spanNulls",
               "insert_nulls": "custom.insertNulls", "fill_below": "custom.fillBelowTo", "line_width": "custom.lineWidth",
               "custom_width": "custom.width"}.get(key, key)
        properties.append({"id": key, "value": value})
    if name.startswith("refid:"):
        matcher = {"id": "byFrameRefID", "options": name[len("refid:"):]}
    elif name.startswith("/"):
        matcher = {"id": "byRegexp", "options": name[1:-1]}
    else:
        matcher = {"id": "byName", "options": name}
    return {"matcher": matcher, "properties": properties}


# Vietnamese first where a person reads it: every dashboard, panel and link title is "Tiếng Việt · English".
# The English part stays the key (the tests and links find panels by it); a title missing here stops the generator.
VI = {
    'Province overview': 'Tổng quan tỉnh',
    'Area': 'Vùng',
    'Probe fleet': 'Các đầu đo',
    'Probe': 'Đầu đo',
    'Pipeline health': 'Tình trạng xử lý dữ liệu',
    'Open the probe': 'Mở đầu đo',
    'Open the commune': 'Mở xã/phường',
    'Open the area': 'Mở vùng',
    'Hangfire': 'Bảng công việc',
    'Newest result (age)': 'Kết quả mới nhất (cách đây)',
    'Last hourly rollup (age)': 'Tổng hợp theo giờ gần nhất (cách đây)',
    'Last compliance evaluation (age)': 'Lần đánh giá chỉ tiêu gần nhất (cách đây)',
    'Open alerts (opened at)': 'Cảnh báo đang mở (thời điểm mở)',
    'Alert history (opened and resolved)': 'Lịch sử cảnh báo (mở và đóng)',
    'Compliance status over time: since when, for how long': 'Trạng thái chỉ tiêu theo thời gian: từ khi nào, bao lâu',
    'Verdict now': 'Kết luận hiện tại',
    'Value against the target: $access': 'Giá trị so với chỉ tiêu: $access',
    'Value against the target, per area: $access': 'Giá trị so với chỉ tiêu, theo vùng: $access',
    'Value against the target over time: $access': 'Giá trị so với chỉ tiêu theo thời gian: $access',
    'Unacknowledged backlog': 'Tồn đọng chưa xác nhận',
    'Unacknowledged backlog now': 'Tồn đọng chưa xác nhận hiện tại',
    'State, since when, last seen': 'Trạng thái, từ khi nào, lần cuối liên lạc',
    'State over time': 'Trạng thái theo thời gian',
    'Skipped, failed and partial tests': 'Phép đo bị bỏ qua, lỗi và không trọn vẹn',
    'Share of samples at the target speed: $access': 'Tỷ lệ mẫu đạt tốc độ chỉ tiêu: $access',
    'Share of samples at the target speed (share_at_least targets): $access': 'Tỷ lệ mẫu đạt tốc độ chỉ tiêu (chỉ tiêu share_at_least): $access',
    'Registered probes: state, since when, last seen': 'Đầu đo đã đăng ký: trạng thái, từ khi nào, lần cuối liên lạc',
    'Registered probes by state': 'Đầu đo đã đăng ký theo trạng thái',
    'Queue depth (results waiting on the probe)': 'Hàng đợi (kết quả chờ gửi trên đầu đo)',
    'Queue and agent version (last status)': 'Hàng đợi và phiên bản phần mềm (trạng thái gần nhất)',
    'Quarantined messages by reason': 'Tin nhắn bị cách ly theo lý do',
    'Quarantine rate': 'Tốc độ cách ly',
    'QCVN 34:2022 per fixed link (latest)': 'QCVN 34:2022 theo đường truyền cố định (gần nhất)',
    'Probe states over time': 'Trạng thái đầu đo theo thời gian',
    'Points written to InfluxDB': 'Điểm dữ liệu đã ghi vào InfluxDB',
    'Peak hours: download of each result (hourly medians of each commune beyond 2 days)': 'Giờ cao điểm: tốc độ tải xuống của từng kết quả (quá 2 ngày: trung vị theo giờ của từng xã)',
    'Packet loss (mean of the results)': 'Mất gói (trung bình các kết quả)',
    'Operators side by side: $access': 'So sánh các nhà mạng: $access',
    'Open alerts': 'Cảnh báo đang mở',
    'Messages received': 'Tin nhắn đã nhận',
    'Median batch size': 'Cỡ lô trung vị',
    'Mean batch write duration': 'Thời gian ghi lô trung bình',
    'Latest tests': 'Phép đo gần nhất',
    'Latest skipped and failed tests': 'Phép đo bị bỏ qua và lỗi gần nhất',
    'Latency, latency under load and loss per link': 'Độ trễ, độ trễ khi có tải và mất gói theo đường truyền',
    'Latency, jitter and latency under load (medians)': 'Độ trễ, độ biến thiên trễ và độ trễ khi có tải (trung vị)',
    'Last result per probe link and status': 'Kết quả gần nhất theo đường truyền của đầu đo và trạng thái',
    'Job age: time since each recurring job last succeeded': 'Tuổi công việc: thời gian từ lần chạy thành công gần nhất của mỗi công việc định kỳ',
    'InfluxDB write errors': 'Lỗi ghi InfluxDB',
    'Hangfire failed jobs': 'Công việc Hangfire thất bại',
    'Fleet by state over time': 'Số đầu đo theo trạng thái theo thời gian',
    'Download distribution per operator: p10, median, p90': 'Phân bố tốc độ tải xuống theo nhà mạng: p10, trung vị, p90',
    'Download and upload per link': 'Tải xuống và tải lên theo đường truyền',
    'Communes and probes (medians of the last 7 days)': 'Xã/phường và đầu đo (trung vị 7 ngày qua)',
    'Broker connection': 'Kết nối broker',
    'Broker connection attempts': 'Số lần kết nối broker',
    'Batch write duration (durable write)': 'Thời gian ghi lô (ghi bền vững)',
    'Areas × access: verdict, value, 95 % interval, target, samples': 'Vùng × loại truy nhập: kết luận, giá trị, khoảng tin cậy 95 %, chỉ tiêu, số mẫu',
    'Areas × access below target now': 'Vùng × loại truy nhập đang dưới chỉ tiêu',
    'Areas by compliance status (circle: fixed, square: mobile)': 'Vùng theo trạng thái chỉ tiêu (tròn: cố định, vuông: di động)',
}


def bilingual(title):
    if title not in VI:
        raise SystemExit(f"generate.py: no Vietnamese title for '{title}': add it to VI")
    return f"{VI[title]} · {title}"


def link(title, url):
    return {"title": bilingual(title), "url": url}


AREA_URL = ("/d/hts-district/area?var-province=${province}&var-area_kind=${area_kind}&var-area=${__value.raw}"
            "&var-window=${window}&${__url_time_range}")
COMMUNE_URL = ("/d/hts-district/area?var-province=${province}&var-area_kind=commune&var-area=${__value.raw}"
               "&var-commune=${__value.raw}&var-window=${window}&${__url_time_range}")
# From the fleet dashboard, which has no window variable: the area dashboard opens on its default window.
FLEET_COMMUNE_URL = ("/d/hts-district/area?var-province=${province}&var-area_kind=commune&var-area=${__value.raw}"
                     "&var-commune=${__value.raw}&${__url_time_range}")
PROBE_URL = "/d/hts-probe/probe?var-province=${province}&var-probe=${__value.raw}&${__url_time_range}"

TARGET_LINE = override("/^target.*/", custom_line={"fill": "dash", "dash": [10, 10]}, color={"mode": "fixed", "fixedColor": "red"},
                       custom_fill=0, line_width=2)
STATUS_CELL = override("status", mappings=STATUS_MAPPING, custom_cell={"type": "color-background"}, unit="string")
STATE_CELL = override("state", mappings=LIVENESS_MAPPING, custom_cell={"type": "color-background", "applyToRow": True}, unit="string")
# Codes are strings ("03386", "18409"): never a number, never formatted with the panel's unit.
CODES = ["province", "district", "commune", "probe", "link", "access", "operator", "technology", "statistic", "weighting", "window",
         "kind", "event", "alert", "server"]


def code_overrides(*names):
    return [override(n, unit="string") for n in names]


def influx(query, ref="A", fmt="time_series", alias=None):
    target = {"refId": ref, "datasource": INFLUX, "rawQuery": True, "query": query, "resultFormat": fmt}
    if alias:
        target["alias"] = alias
    return target


def prom(expr, legend, ref="A", instant=False):
    target = {"refId": ref, "datasource": PROM, "expr": expr, "legendFormat": legend, "range": not instant, "instant": instant}
    return target


def area_names(ref="N", field="area"):
    """A query of the areas' Vietnamese names (area_membership, as of the range end) and the transformation that turns
    it into a value mapping of the area field: tables and the map show names, links keep the code."""
    query = ('SELECT last("area_name") AS "name" FROM "area_membership" WHERE "province" =~ /^$province$/ '
             'AND "area_kind" =~ /^$area_kind$/ AND time <= ${__to}ms GROUP BY "area"')
    transformation = {"id": "configFromData", "options": {
        "configRefId": ref, "applyTo": {"id": "byName", "options": field},
        "mappings": [{"fieldName": "area", "handlerKey": "mappings.value", "reducerId": "allValues"},
                     {"fieldName": "name", "handlerKey": "mappings.text", "reducerId": "allValues"},
                     {"fieldName": "Time", "handlerKey": "__ignore"}]}}
    return influx(query, ref, "table"), transformation


def threshold_from(ref):
    """'Config from query results': the target's threshold (field "threshold", green from there up) and a floor of 0
    (field "floor", red) become the thresholds of the value fields; no number is typed into the panel."""
    return {"id": "configFromData", "options": {
        "configRefId": ref, "applyTo": {"id": "byType", "options": "number"},
        "mappings": [{"fieldName": "floor", "handlerKey": "threshold1", "handlerArguments": {"threshold": {"color": "red"}}},
                     {"fieldName": "threshold", "handlerKey": "threshold1", "handlerArguments": {"threshold": {"color": "green"}}},
                     {"fieldName": "Time", "handlerKey": "__ignore"}]}}


def fixed_thresholds(*steps):
    """Operational panels only: base colour then (value, colour) steps."""
    base, *rest = steps
    return {"mode": "absolute", "steps": [{"color": base, "value": None}] + [{"color": c, "value": v} for v, c in rest]}


NEUTRAL = fixed_thresholds("text")


class Board:
    def __init__(self, uid, title, description, variables, annotations=None, tags=("hatangso",)):
        self.uid, self.title, self.description = uid, bilingual(title), description
        self.variables, self.annotations, self.tags = variables, annotations or [], list(tags)
        self.panels, self._x, self._y, self._row_h = [], 0, 0, 0

    def add(self, kind, title, targets, unit=None, w=12, h=8, description=None, options=None, overrides=None,
            custom=None, datasource=INFLUX, mappings=None, transformations=None, interval=None, links=None, decimals=None,
            thresholds=None, repeat=None, time_from=None, max_data_points=None, min_value=None, max_value=None, no_value=None,
            color=None):
        if self._x + w > 24:
            self._x, self._y, self._row_h = 0, self._y + self._row_h, 0
        defaults = {"custom": custom or {}, "thresholds": thresholds or NEUTRAL}
        for key, value in [("unit", unit), ("mappings", mappings), ("decimals", decimals), ("links", links), ("min", min_value),
                           ("max", max_value), ("noValue", no_value), ("color", color)]:
            if value is not None:
                defaults[key] = value
        panel = {
            "id": len(self.panels) + 1,
            "type": kind,
            "title": bilingual(title),
            "gridPos": {"x": self._x, "y": self._y, "w": w, "h": h},
            "datasource": datasource,
            "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
            "options": options or {},
        }
        for key, value in [("description", description), ("transformations", transformations), ("interval", interval),
                           ("repeat", repeat), ("timeFrom", time_from), ("maxDataPoints", max_data_points)]:
            if value is not None:
                panel[key] = value
        if repeat:
            panel["repeatDirection"] = "h"
            panel["maxPerRow"] = 2
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
                       "keepTime": True, "icon": "external link", "tooltip": "", "targetBlank": False, "url": ""}],
            "templating": {"list": self.variables},
            "annotations": {"list": [
                {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
                 "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
                *self.annotations]},
            "panels": self.panels,
        }


STAT = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "colorMode": "background", "graphMode": "none",
        "textMode": "value_and_name", "justifyMode": "auto", "orientation": "auto"}
LEGEND = {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "min", "mean"], "showLegend": True}
TOOLTIP = {"mode": "multi", "sort": "none"}
TIMELINE = {"showValue": "never", "mergeValues": True, "rowHeight": 0.8, "alignValue": "left",
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []}, "tooltip": TOOLTIP}


def series_custom(span_ms, **extra):
    """Lines are broken across gaps longer than twice the data's schedule (an outage is not drawn as data)."""
    return {"spanNulls": span_ms, "insertNulls": span_ms, "lineWidth": 2, "fillOpacity": 0, "showPoints": "auto", **extra}


def resolution_spans(result_schedule_s=RESULT_SCHEDULE_S):
    """Per query: raw results at 2 × the probes' schedule, hourly rollups 2 h, daily rollups 2 days."""
    return [override("refid:A", span_nulls=2000 * result_schedule_s, insert_nulls=2000 * result_schedule_s),
            override("refid:B", span_nulls=2000 * HOURLY_S, insert_nulls=2000 * HOURLY_S),
            override("refid:C", span_nulls=2000 * DAY_S, insert_nulls=2000 * DAY_S)]


def tag_var(name, label, key, where=None, include_all=False, multi=False, measurement="speedtest", all_value=".*", hide=0):
    query = f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "{key}"' + (f" WHERE {where}" if where else "")
    variable = {"name": name, "label": label, "type": "query", "datasource": INFLUX, "query": query,
                "refresh": 1, "sort": 1, "includeAll": include_all, "multi": multi, "hide": hide}
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


def link_vars():
    return [
        tag_var("access", "Access", "access", include_all=True, multi=True),
        tag_var("operator", "Operator", "operator", '"access" =~ /^$access$/', include_all=True, multi=True),
        tag_var("technology", "Technology", "technology", '"access" =~ /^$access$/', include_all=True, multi=True),
    ]


def window_var():
    options = [("rolling", "rolling 7 days"), ("month", "calendar month"), ("busy", "busy hours 19:00–23:00")]
    return {"name": "window", "label": "Compliance window", "type": "custom", "query": ",".join(v for v, _ in options),
            "current": {"text": "rolling", "value": "rolling"},
            "options": [{"text": v, "value": v, "selected": v == "rolling"} for v, _ in options],
            "includeAll": False, "multi": False, "hide": 0}


def alert_annotation(where):
    query = f'SELECT "text", "kind", "event" FROM "alert_events" WHERE {where} AND $timeFilter'
    return {"name": "Alerts", "datasource": INFLUX, "enable": True, "hide": False, "iconColor": "red",
            "target": {"refId": "Anno", "query": query, "rawQuery": True, "resultFormat": "table", "textColumn": "text",
                       "tagsColumn": "kind,event", "titleColumn": "event", "fromAnnotations": True, "textEditor": True}}


def freshness(board, province='=~"$province"', w=4, h=4):
    """The header row: how old the newest result, the last hourly rollup and the last compliance evaluation are, now.
    Prometheus computes the age (time() minus the server's hts_data_newest_timestamp_seconds), so a stopped job shows as a
    growing, red age; red past twice the schedule."""
    for measurement, title, schedule in [("speedtest", "Newest result", RESULT_SCHEDULE_S), ("rollup_hourly", "Last hourly rollup", HOURLY_S),
                                         ("compliance", "Last compliance evaluation", HOURLY_S)]:
        expr = f'time() - max(hts_data_newest_timestamp_seconds{{measurement="{measurement}", province{province}}})'
        board.add("stat", f"{title} (age)", [prom(expr, title, instant=True)], unit="s", w=w, h=h, datasource=PROM, decimals=0,
                  thresholds=fixed_thresholds("green", (schedule, "orange"), (2 * schedule, "red")), no_value="no data",
                  options={**STAT, "colorMode": "background", "textMode": "value"},
                  links=[link("Pipeline health", "/d/hts-pipeline/pipeline-health?${__url_time_range}")],
                  description=f"Age of the newest {measurement} point in InfluxDB for the chosen province, computed now by Prometheus from "
                              f"the server's hts_data_newest_timestamp_seconds (refreshed by the liveness job). Orange past one schedule "
                              f"({schedule // 60} min), red past two.")


def open_alerts(board, where, w=12, h=8):
    # The latest alert_events point of each scope has open = 1 while the alert is open; "resolved" writes open = 0. An old
    # alert may still be open, so the lookup runs to the range end (time <= ${__to}ms) rather than over the range only;
    # the selector keeps its point's time: when the alert was opened.
    scope = '"kind", "area_kind", "area", "district", "access", "technology", "probe"'
    inner = (f'SELECT last("open") AS "open", "text", "alert_id" AS "alert" FROM "alert_events" WHERE {where} '
             f'AND time <= ${{__to}}ms GROUP BY {scope}')
    query = f'SELECT "text", "alert" FROM ({inner}) WHERE "open" = 1 GROUP BY {scope}'
    board.add("table", "Open alerts (opened at)", [influx(query, fmt="table")], unit="string", w=w, h=h,
              description="Alerts opened and not yet resolved (an area below target, a probe silent or flooding), from alert_events; "
                          "the time is when each was opened.",
              overrides=[override("Time", display_name="opened", unit="dateTimeAsIso"), override("probe", links=[link("Open the probe", PROBE_URL)], unit="string"),
                         *code_overrides("area", "district", "access", "kind", "technology")],
              options={"showHeader": True, "cellHeight": "sm", "sortBy": [{"displayName": "opened", "desc": True}]})
    history = (f'SELECT "event", "kind", "area", "access", "probe", "value", "threshold", "text" FROM "alert_events" '
               f'WHERE {where} AND $timeFilter ORDER BY time DESC LIMIT 200')
    board.add("table", "Alert history (opened and resolved)", [influx(history, fmt="table")], unit="string", w=w, h=h,
              description="Every alert event in the range, newest first: when each alert opened and when it resolved.",
              overrides=[override("Time", display_name="at", unit="dateTimeAsIso"), override("event", mappings=EVENT_MAPPING,
                                                                                             custom_cell={"type": "color-text"}),
                         override("value", unit="Mbits", decimals=1), override("threshold", unit="Mbits", decimals=1)]
              + [override("probe", links=[link("Open the probe", PROBE_URL)], unit="string")] + code_overrides("area", "access", "kind"),
              options={"showHeader": True, "cellHeight": "sm"})


def verdict_table(board, where, title, w, h, group, description, extra_overrides=()):
    query = (f'SELECT last("status") AS "status", "value", "ci_low", "ci_high", "threshold" AS "target", "samples", "links" '
             f'FROM "compliance" WHERE {where} AND {VERDICT} AND {DOWNLOAD} AND $timeFilter GROUP BY {group}')
    names, transformation = area_names()
    board.add("table", title, [influx(query, fmt="table"), names], unit="Mbits", w=w, h=h, decimals=1, description=description,
              overrides=[STATUS_CELL, override("samples", unit="none", decimals=0), override("links", unit="none", decimals=0),
                         override("Time", display_name="evaluated", unit="dateTimeAsIso"),
                         override("area", links=[link("Open the area", AREA_URL)], unit="string"),
                         *code_overrides("access", "operator", "technology", "statistic", "weighting"), *extra_overrides],
              transformations=[transformation, {"id": "organize", "options": {
                  "indexByName": {"area": 0, "access": 1, "operator": 2, "technology": 3, "statistic": 4, "status": 5},
                  "renameByName": {"ci_low": "95 % low", "ci_high": "95 % high"}}}],
              options={"showHeader": True, "cellHeight": "sm"})


def status_timeline(board, where, group, alias, w=24, h=10):
    query = (f'SELECT last("status") FROM "compliance" WHERE {where} AND {VERDICT} AND {DOWNLOAD} AND $timeFilter '
             f'GROUP BY time($__interval), {group} fill(null)')
    board.add("state-timeline", "Compliance status over time: since when, for how long", [influx(query, alias=alias)], unit="string",
              w=w, h=h, mappings=STATUS_MAPPING, interval="1h", options=TIMELINE, custom={"fillOpacity": 80, "lineWidth": 0},
              description="The status of every evaluation (hourly) per area and access type: a bar's start is when the status began. "
                          "A gap is an hour without an evaluation (the compliance job did not run).")


def value_against_target(board, where, title, group, alias, repeat="access", w=12, h=9, share=False):
    """The compliance value and the target threshold from the same evaluations: the same statistic by construction."""
    kind = SHARE if share else DOWNLOAD
    value = (f'SELECT last("value") AS "value" FROM "compliance" WHERE {where} AND {VERDICT} AND {kind} AND $timeFilter '
             f'GROUP BY time($__interval), {group} fill(none)')
    target = (f'SELECT max("threshold") FROM "compliance" WHERE {where} AND {VERDICT} AND {kind} AND $timeFilter '
              f'GROUP BY time($__interval), "access", "statistic" fill(none)')
    unit = "percent" if share else "Mbits"
    board.add("timeseries", title, [influx(value, "A", alias=alias), influx(target, "B", alias="target $tag_statistic ($tag_access)")],
              unit=unit, w=w, h=h, interval="1h", overrides=[TARGET_LINE], repeat=repeat, custom=series_custom(2000 * HOURLY_S),
              min_value=0, max_value=100 if share else None, options={"legend": LEGEND, "tooltip": TOOLTIP},
              description=("The share of samples at or above the target's speed (statistic share_at_least), in percent, and the "
                           "target share." if share else
                           "The value of the statistic the target names (mean, median or a percentile; the legend says which) and "
                           "the target line, both from the compliance evaluations.")
              + " Lines break where evaluations are missing for more than two hours.")


def overview():
    variables = [tag_var("province", "Province", "province"), area_vars(commune=False)[0], window_var(), *link_vars()]
    board = Board("hts-province-overview", "Province overview",
                  "Which areas (former districts, communes, ...) meet the plan's download-speed targets, per access type: the "
                  "latest verdict, since when, the value against the target, and open alerts.",
                  variables, [alert_annotation('"province" =~ /^$province$/')])
    freshness(board)
    below = (f'SELECT count("status") FROM (SELECT last("status") AS "status" FROM "compliance" WHERE {WHERE_AREAS} AND {VERDICT} '
             f'AND {DOWNLOAD} AND $timeFilter GROUP BY "area", "access") WHERE "status" = \'below\'')
    board.add("stat", "Areas × access below target now", [influx(below)], unit="none", w=6, h=4, decimals=0, no_value="0",
              thresholds=fixed_thresholds("green", (1, "red")), options={**STAT, "textMode": "value"},
              description="Latest evaluation: how many area × access rows are below target (their 95 % interval under the threshold).")
    alerts = ('SELECT count("open") FROM (SELECT last("open") AS "open" FROM "alert_events" WHERE "province" =~ /^$province$/ '
              'AND time <= ${__to}ms GROUP BY "kind", "area_kind", "area", "district", "access", "technology", "probe") WHERE "open" = 1')
    board.add("stat", "Open alerts", [influx(alerts)], unit="none", w=6, h=4, decimals=0, no_value="0",
              thresholds=fixed_thresholds("green", (1, "red")), options={**STAT, "textMode": "value"},
              description="Alerts open at the end of the range (areas below target, silent or flooding probes).")

    latest = (f'SELECT last("status") AS "status", "value", "threshold" AS "target", "samples" FROM "compliance" '
              f'WHERE {WHERE_AREAS} AND "access" = \'{{access}}\' AND "window" = \'$window\' AND {choice("operator", "operator")} '
              f'AND {choice("technology", "technology")} AND {DOWNLOAD} AND $timeFilter GROUP BY "area"')
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
    names, name_mapping = area_names()
    board.add("geomap", "Areas by compliance status (circle: fixed, square: mobile)",
              [influx(latest.format(access="fixed"), "A", "table"), influx(latest.format(access="mobile"), "B", "table"), names],
              unit="Mbits", w=12, h=14, decimals=1, transformations=[name_mapping],
              description=f"Each former district at its centroid (gazetteer {GAZETTEER}, from the region catalogue), coloured by the "
                          "latest compliance status of its fixed (circle) and mobile (square) broadband; the tooltip links to the area. "
                          "The 2025 communes have no coordinates in any catalogue package yet, so the commune kind draws no markers.",
              overrides=[override("status", mappings=STATUS_MAPPING, unit="string"), override("samples", unit="none", decimals=0),
                         override("area", links=[link("Open the area", AREA_URL)], unit="string")],
              options={"view": {"id": "fit", "allLayers": True, "padding": 10, "lat": 0, "lon": 0, "zoom": 8},
                       "controls": {"showZoom": True, "mouseWheelZoom": True, "showAttribution": True},
                       "basemap": {"type": "default", "name": "Basemap", "config": {}},
                       "tooltip": {"mode": "details"},
                       "layers": [layer("Fixed", "A", "circle", "left"), layer("Mobile", "B", "square", "right")]})
    verdict_table(board, WHERE_AREAS, "Areas × access: verdict, value, 95 % interval, target, samples", 12, 14,
                  '"area", "access", "operator", "technology", "statistic", "weighting"',
                  "The latest compliance evaluation of every area of the chosen kind: the statistic the target names, its 95 % "
                  "interval, the target, samples and probe links, and the status (met: the interval above the target; below: under "
                  "it; inconclusive: it straddles). The area opens its dashboard.")
    status_timeline(board, WHERE_AREAS, '"area", "access"', "$tag_area ($tag_access)")
    value_against_target(board, WHERE_AREAS, "Value against the target, per area: $access", '"area", "access", "statistic"',
                         "$tag_area $tag_statistic")
    value_against_target(board, WHERE_AREAS, "Share of samples at the target speed (share_at_least targets): $access",
                         '"area", "access", "statistic"', "$tag_area", share=True)
    open_alerts(board, '"province" =~ /^$province$/')
    return board


def district():
    board = Board("hts-district", "Area",
                  "One area (a former district, a commune, a custom area): its verdict and since when, the value against the target, "
                  "operators side by side, the distribution of download speeds, peak hours, latency and loss, its communes and probes.",
                  [tag_var("province", "Province", "province"), *area_vars(), window_var(), *link_vars()],
                  [alert_annotation('"province" =~ /^$province$/ AND "area" =~ /^$area$/')])
    freshness(board)
    verdict = (f'SELECT last("status") FROM "compliance" WHERE {WHERE_AREA} AND {VERDICT} AND {DOWNLOAD} AND $timeFilter '
               'GROUP BY "access"')
    board.add("stat", "Verdict now", [influx(verdict, alias="$tag_access")], unit="string", w=12, h=4, mappings=STATUS_MAPPING,
              options={**STAT, "colorMode": "background", "textMode": "value_and_name"},
              description="The latest status per access type (met, below, inconclusive, insufficient data, no target).")
    one = f'{WHERE_AREA} AND {VERDICT} AND {DOWNLOAD} AND $timeFilter'
    value = f'SELECT last("value") AS "value", last("ci_low") AS "95 % low", last("ci_high") AS "95 % high" FROM "compliance" WHERE {one}'
    config = f'SELECT last("threshold") * 0 AS "floor", last("threshold") AS "threshold" FROM "compliance" WHERE {one}'
    board.add("stat", "Value against the target: $access", [influx(value, "A"), influx(config, "B", "table")], unit="Mbits", w=12, h=5,
              decimals=1, repeat="access", transformations=[threshold_from("B")], options={**STAT, "colorMode": "background"},
              color={"mode": "thresholds"},
              description="The latest value of the target's statistic with its 95 % interval, green at or above the target, red under "
                          "it; the threshold comes from the evaluation itself (Config from query results), never typed here.")
    operators = (f'SELECT last("value") FROM "compliance" WHERE {WHERE_AREA} AND "window" = \'$window\' AND "access" =~ /^$access$/ '
                 f'AND "operator" =~ /^$operator$/ AND "operator" != \'all\' AND {choice("technology", "technology")} AND {DOWNLOAD} '
                 'AND $timeFilter GROUP BY "operator"')
    area_target = (f'SELECT last("threshold") * 0 AS "floor", last("threshold") AS "threshold" FROM "compliance" WHERE {WHERE_AREA} '
                   f'AND "window" = \'$window\' AND "access" =~ /^$access$/ AND "operator" =~ /^(all)?$/ '
                   f'AND {choice("technology", "technology")} AND {DOWNLOAD} AND $timeFilter')
    board.add("bargauge", "Operators side by side: $access", [influx(operators, "A", alias="$tag_operator"), influx(area_target, "B", "table")],
              unit="Mbits", w=12, h=7, decimals=1, repeat="access", transformations=[threshold_from("B")], color={"mode": "thresholds"},
              options={"orientation": "horizontal", "displayMode": "basic", "showUnfilled": True, "valueMode": "color",
                       "namePlacement": "left", "sizing": "auto",
                       "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
              description="Each operator's value of the target's statistic (the per-operator verdict rows), coloured against the "
                          "area's target.")
    status_timeline(board, WHERE_AREA, '"access"', "$tag_access", h=5)
    value_against_target(board, WHERE_AREA, "Value against the target over time: $access", '"access", "statistic"',
                         "value $tag_statistic ($tag_access)", w=12)
    value_against_target(board, WHERE_AREA, "Share of samples at the target speed: $access", '"access", "statistic"',
                         "share ($tag_access)", w=12, share=True)
    raw, hourly, daily = resolution()
    ok = f'{WHERE_PLACE} AND {WHERE_LINK} AND "status" = \'ok\' AND $timeFilter'
    rollup = f'{WHERE_AREA} AND "access" =~ /^$access$/ AND "operator" =~ /^$operator$/ AND $timeFilter'
    distribution = [
        influx(f'SELECT percentile("download_mbps", 10) AS "p10", median("download_mbps") AS "median", percentile("download_mbps", 90) AS "p90" '
               f'FROM "speedtest" WHERE {ok} AND {raw} GROUP BY time($__interval), "access", "operator" fill(none)', "A", alias="$col $tag_operator ($tag_access)"),
        *[influx(f'SELECT mean("download_p10") AS "p10", mean("download_median") AS "median", mean("download_p90") AS "p90" '
                 f'FROM "{m}" WHERE {rollup} AND {cond} GROUP BY time($__interval), "access", "operator" fill(none)', ref,
                 alias="$col $tag_operator ($tag_access)")
          for m, cond, ref in [("rollup_hourly", hourly, "B"), ("rollup_daily", daily, "C")]]]
    board.add("timeseries", "Download distribution per operator: p10, median, p90", distribution, unit="Mbits", w=12, h=9, interval="15m",
              overrides=resolution_spans(), custom=series_custom(2000 * RESULT_SCHEDULE_S), options={"legend": LEGEND, "tooltip": TOOLTIP},
              description="Up to 2 days: from the results; up to 60 days: the hourly rollups (mean of the hourly figures in each "
                          "interval); beyond: the daily rollups. The rollups have no technology: choosing one reads the results.")
    heat = [
        influx(f'SELECT "download_mbps" FROM "speedtest" WHERE {ok} AND {raw}', "A"),
        *[influx(f'SELECT "download_median" FROM "{m}" WHERE "area_kind" = \'commune\' AND "province" =~ /^$province$/ '
                 f'AND "area" =~ /^$commune$/ AND "access" =~ /^$access$/ AND "operator" =~ /^$operator$/ AND $timeFilter AND {cond}', ref)
          for m, cond, ref in [("rollup_hourly", hourly, "B"), ("rollup_daily", daily, "C")]]]
    board.add("heatmap", "Peak hours: download of each result (hourly medians of each commune beyond 2 days)", heat, unit="Mbits", w=12, h=9,
              description="Each cell counts results (or commune × operator hours beyond 2 days) whose download fell in that speed band; "
                          "the evening peak shows as a daily dip. (InfluxQL has no hour-of-day function, so hours run along the time axis.)",
              options={"calculate": True, "calculation": {"xBuckets": {"mode": "size", "value": "1h"},
                                                         "yBuckets": {"mode": "count", "value": "20"}},
                       "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64, "exponent": 0.5, "fill": "dark-orange",
                                 "reverse": False, "scale": "exponential"},
                       "yAxis": {"unit": "Mbits", "axisPlacement": "left"}, "cellGap": 1, "showValue": "never",
                       "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
                       "legend": {"show": True}, "exemplars": {"color": "rgba(255,0,255,0.7)"}})
    latency = [
        influx(f'SELECT median("latency_ms") AS "latency", median("jitter_ms") AS "jitter", median("loaded_latency_ms") AS "latency under load" '
               f'FROM "speedtest" WHERE {ok} AND {raw} GROUP BY time($__interval), "access" fill(none)', "A", alias="$col ($tag_access)"),
        *[influx(f'SELECT mean("latency_median") AS "latency" FROM "{m}" WHERE {rollup} AND {cond} GROUP BY time($__interval), "access" fill(none)',
                 ref, alias="$col ($tag_access)") for m, cond, ref in [("rollup_hourly", hourly, "B"), ("rollup_daily", daily, "C")]]]
    board.add("timeseries", "Latency, jitter and latency under load (medians)", latency, unit="ms", w=12, h=8, interval="15m",
              overrides=resolution_spans(), custom=series_custom(2000 * RESULT_SCHEDULE_S), options={"legend": LEGEND, "tooltip": TOOLTIP},
              description="Medians of the results; beyond 2 days the rollups hold the idle latency only (jitter and latency under load "
                          "are not rolled up).")
    loss = f'SELECT mean("loss_pct") AS "loss" FROM "speedtest" WHERE {ok} GROUP BY time($__interval), "access" fill(none)'
    board.add("timeseries", "Packet loss (mean of the results)", [influx(loss, alias="loss ($tag_access)")], unit="percent", w=12, h=8,
              interval="1h", custom=series_custom(2000 * HOURLY_S), decimals=2, options={"legend": LEGEND, "tooltip": TOOLTIP},
              description="From the results at every range: loss is not rolled up. Grouped by at least an hour.")
    communes = ('SELECT count("download_mbps") AS "samples", median("download_mbps") AS "download", median("upload_mbps") AS "upload", '
                f'median("latency_ms") AS "latency" FROM "speedtest" WHERE {ok} GROUP BY "commune", "probe", "link", "access", "operator"')
    board.add("table", "Communes and probes (medians of the last 7 days)", [influx(communes, fmt="table")], unit="Mbits", w=24, h=8,
              decimals=1, time_from="7d",
              overrides=[override("samples", unit="none", decimals=0), override("latency", unit="ms"),
                         override("commune", links=[link("Open the commune", COMMUNE_URL)], unit="string"),
                         override("probe", links=[link("Open the probe", PROBE_URL)], unit="string"),
                         *code_overrides("link", "access", "operator")],
              transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}}}],
              options={"showHeader": True, "cellHeight": "sm"},
              description="Per probe link: samples and medians over the last 7 days (results). A commune opens its own area, a probe "
                          "its dashboard.")
    where = ('"province" =~ /^$province$/ AND (("area_kind" =~ /^$area_kind$/ AND "area" =~ /^$area$/) OR '
             '("kind" =~ /^probe_/ AND "district" =~ /^$area$/ AND \'$area_kind\' = \'former-district\'))')
    open_alerts(board, where)
    return board


def fleet():
    variables = [tag_var("province", "Province", "province"), *area_vars(area_all=True), *link_vars()]
    board = Board("hts-probe-fleet", "Probe fleet",
                  "Every registered probe (from the registry, through the liveness job): online, stale, offline, never seen or "
                  "disabled and since when, last seen, queue depth, agent version, skipped and failed tests.", variables,
                  [alert_annotation('"province" =~ /^$province$/ AND "kind" =~ /^probe_/')])
    freshness(board)
    where = f'{WHERE_PLACE} AND {WHERE_PROBE_LINKS}'
    states = ["online", "stale", "offline", "never_seen", "disabled"]
    inner = ", ".join(f'last("{s}") AS "{s}"' for s in states)
    total = ", ".join(f'sum("{s}") AS "{s}"' for s in states)
    counts = f'SELECT {total} FROM (SELECT {inner} FROM "probe_liveness" WHERE {where} AND $timeFilter GROUP BY "probe")'
    colours = {"online": fixed_thresholds("green"), "stale": fixed_thresholds("green", (1, "orange")),
               "offline": fixed_thresholds("green", (1, "red")), "never_seen": fixed_thresholds("green", (1, "purple")),
               "disabled": fixed_thresholds("text")}
    board.add("stat", "Registered probes by state", [influx(counts, alias="$col")], unit="none", w=12, h=4, decimals=0, no_value="0",
              options={**STAT, "textMode": "value_and_name"},
              overrides=[override(s, thresholds=colours[s], display_name=LIVENESS_MAPPING[0]["options"][s]["text"]) for s in states],
              description="Every registered probe of the selection in exactly one state at the end of the range (RIPE Atlas' model): "
                          "online; stale (silent for more than twice its schedule, the probe_silent alert); offline (its last will "
                          "arrived); never seen; disabled (revoked).")
    table = (f'SELECT last("state") AS "state", "since", "last_seen", "schedule_s" FROM "probe_liveness" WHERE {where} AND $timeFilter '
             'GROUP BY "probe", "commune", "district"')
    board.add("table", "Registered probes: state, since when, last seen", [influx(table, fmt="table")], unit="string", w=24, h=9,
              overrides=[STATE_CELL, override("since", unit="dateTimeFromNow"), override("last_seen", display_name="last seen", unit="dateTimeFromNow"),
                         override("schedule_s", display_name="schedule", unit="s"), override("Time", display_name="checked", unit="dateTimeAsIso"),
                         override("probe", links=[link("Open the probe", PROBE_URL)], unit="string"),
                         override("commune", links=[link("Open the commune", FLEET_COMMUNE_URL)], unit="string"), *code_overrides("district")],
              transformations=[{"id": "organize", "options": {"indexByName": {"probe": 0, "state": 1, "since": 2, "last_seen": 3, "commune": 4}}}],
              options={"showHeader": True, "cellHeight": "sm", "sortBy": [{"displayName": "state", "desc": True}]},
              description="One row per registered probe, coloured by its state; since when it is in it; when it was last heard of "
                          "(a result or a status message). A probe opens its dashboard.")
    timeline = f'SELECT last("state") FROM "probe_liveness" WHERE {where} AND $timeFilter GROUP BY time($__interval), "probe" fill(null)'
    board.add("state-timeline", "Probe states over time", [influx(timeline, alias="$tag_probe")], unit="string", w=12, h=9,
              mappings=LIVENESS_MAPPING, interval="5m", options=TIMELINE, custom={"fillOpacity": 80, "lineWidth": 0},
              description="The liveness job's answer every 5 minutes; a gap is a run that did not happen.")
    sums = ", ".join(f'sum("{s}") AS "{s}"' for s in states[:4])
    over_time = (f'SELECT {sums} FROM (SELECT {inner} FROM "probe_liveness" WHERE {where} AND $timeFilter '
                 'GROUP BY time($__interval), "probe") GROUP BY time($__interval) fill(none)')
    board.add("timeseries", "Fleet by state over time", [influx(over_time, alias="$col")], unit="none", w=12, h=9, interval="5m", decimals=0,
              custom={**series_custom(2000 * LIVENESS_S), "drawStyle": "bars", "fillOpacity": 70, "stacking": {"mode": "normal", "group": "A"}},
              overrides=[override(s, color={"mode": "fixed", "fixedColor": c}) for s, c in
                         [("online", "green"), ("stale", "orange"), ("offline", "red"), ("never_seen", "purple")]],
              options={"legend": {**LEGEND, "placement": "bottom", "displayMode": "list"}, "tooltip": TOOLTIP})
    skipped = (f'SELECT count("result_id") FROM "speedtest" WHERE {WHERE_PLACE} AND {WHERE_LINK} AND "status" =~ /^(skipped|failed|partial)$/ '
               'AND $timeFilter GROUP BY time($__interval), "status" fill(none)')
    board.add("timeseries", "Skipped, failed and partial tests", [influx(skipped, alias="$tag_status")], unit="none", w=12, h=8,
              interval="1h", custom={**series_custom(2000 * HOURLY_S), "drawStyle": "bars", "fillOpacity": 60, "stacking": {"mode": "normal", "group": "A"}},
              decimals=0,
              options={"legend": LEGEND, "tooltip": TOOLTIP})
    queue = (f'SELECT last("queue_depth") FROM "probe_status" WHERE {WHERE_PLACE} AND $timeFilter '
             'GROUP BY time($__interval), "probe" fill(none)')
    board.add("timeseries", "Queue depth (results waiting on the probe)", [influx(queue, alias="$tag_probe")], unit="none", w=12, h=8,
              interval="5m", decimals=0, custom=series_custom(2000 * RESULT_SCHEDULE_S),
              thresholds=fixed_thresholds("green", (100, "orange"), (1000, "red")),
              options={"legend": LEGEND, "tooltip": TOOLTIP},
              description="Results a probe holds on its disk because it could not deliver them; orange from 100, red from 1,000.")
    state = ('SELECT last("queue_depth") AS "queue depth", "queue_evicted" AS "evicted", "agent_version" AS "agent version" '
             f'FROM "probe_status" WHERE {WHERE_PLACE} AND $timeFilter GROUP BY "probe"')
    board.add("table", "Queue and agent version (last status)", [influx(state, fmt="table")], unit="none", w=12, h=9, decimals=0,
              overrides=[override("Time", display_name="status at", unit="dateTimeAsIso"),
                         override("probe", links=[link("Open the probe", PROBE_URL)], unit="string"),
                         override("agent version", unit="string"),
                         override("evicted", thresholds=fixed_thresholds("green", (1, "red")), custom_cell={"type": "color-text"})],
              options={"showHeader": True, "cellHeight": "sm"})
    last_result = (f'SELECT last("result_id") AS "result" FROM "speedtest" WHERE {WHERE_PLACE} AND {WHERE_LINK} AND $timeFilter '
                   'GROUP BY "probe", "link", "status"')
    board.add("table", "Last result per probe link and status", [influx(last_result, fmt="table")], unit="string", w=12, h=9,
              overrides=[override("Time", display_name="last result", unit="dateTimeFromNow"),
                         override("probe", links=[link("Open the probe", PROBE_URL)], unit="string")],
              options={"showHeader": True, "cellHeight": "sm"})
    errors = (f'SELECT "status", "link", "error" FROM "speedtest" WHERE {WHERE_PLACE} AND {WHERE_LINK} AND "status" != \'ok\' '
              'AND $timeFilter GROUP BY "probe" ORDER BY time DESC LIMIT 20')
    board.add("table", "Latest skipped and failed tests", [influx(errors, fmt="table")], unit="string", w=12, h=8,
              overrides=[override("Time", unit="dateTimeAsIso"), override("probe", links=[link("Open the probe", PROBE_URL)], unit="string"),
                         *code_overrides("status", "link")], options={"showHeader": True, "cellHeight": "sm"})
    open_alerts(board, '"province" =~ /^$province$/ AND "kind" =~ /^probe_/')
    return board


def probe():
    variables = [tag_var("province", "Province", "province"),
                 tag_var("probe", "Probe", "probe", '"province" =~ /^$province$/', measurement="probe_liveness"),
                 tag_var("access", "Access", "access", '"probe" = \'$probe\'', include_all=True, multi=True),
                 tag_var("link", "Link", "link", '"probe" = \'$probe\' AND "access" =~ /^$access$/', include_all=True, multi=True)]
    board = Board("hts-probe", "Probe", "One probe: its state and since when, its links' results, latency and loss, its QCVN 34 verdicts, "
                  "the latest tests and its alerts.", variables, [alert_annotation('"probe" = \'$probe\'')])
    freshness(board)
    live = ('SELECT last("state") AS "state", "since", "last_seen" FROM "probe_liveness" WHERE "probe" = \'$probe\' AND $timeFilter')
    board.add("stat", "State, since when, last seen", [influx(live, fmt="table")], unit="string", w=12, h=4,
              overrides=[override("state", mappings=LIVENESS_MAPPING), override("since", unit="dateTimeFromNow"),
                         override("last_seen", display_name="last seen", unit="dateTimeFromNow")],
              options={**STAT, "reduceOptions": {"calcs": ["lastNotNull"], "fields": "/^(state|since|last_seen)$/", "values": False},
                       "colorMode": "background", "textMode": "value_and_name"})
    timeline = 'SELECT last("state") FROM "probe_liveness" WHERE "probe" = \'$probe\' AND $timeFilter GROUP BY time($__interval) fill(null)'
    board.add("state-timeline", "State over time", [influx(timeline, alias="state")], unit="string", w=24, h=4, mappings=LIVENESS_MAPPING,
              interval="5m", options=TIMELINE, custom={"fillOpacity": 80, "lineWidth": 0})
    ok = '"probe" = \'$probe\' AND "access" =~ /^$access$/ AND "link" =~ /^$link$/ AND "status" = \'ok\' AND $timeFilter'
    speeds = (f'SELECT mean("download_mbps") AS "download", mean("upload_mbps") AS "upload" FROM "speedtest" WHERE {ok} '
              'GROUP BY time($__interval), "link" fill(none)')
    board.add("timeseries", "Download and upload per link", [influx(speeds, alias="$col $tag_link")], unit="Mbits", w=12, h=9,
              interval="15m", custom=series_custom(2000 * RESULT_SCHEDULE_S), options={"legend": LEGEND, "tooltip": TOOLTIP},
              description="Mean of the results in each interval, per link. One probe's results are few (at most a few thousand a "
                          "month per link), so every range reads them directly: the rollups are per area, not per probe.")
    latency = (f'SELECT median("latency_ms") AS "latency", median("loaded_latency_ms") AS "under load", mean("loss_pct") AS "loss %" '
               f'FROM "speedtest" WHERE {ok} GROUP BY time($__interval), "link" fill(none)')
    board.add("timeseries", "Latency, latency under load and loss per link", [influx(latency, alias="$col $tag_link")], unit="ms", w=12, h=9,
              interval="15m", custom=series_custom(2000 * RESULT_SCHEDULE_S), options={"legend": LEGEND, "tooltip": TOOLTIP},
              overrides=[override("/^loss.*/", unit="percent", custom_line={"fill": "dot"})])
    # status is a tag of qcvn34: selected beside the selector, it is the newest point's
    qcvn = ('SELECT last("ratio") AS "ratio", "status" AS "QCVN 34", "mean_download_mbps" AS "mean", "advertised_download_mbps" AS "advertised", '
            '"samples" FROM "qcvn34" WHERE "probe" = \'$probe\' AND "link" =~ /^$link$/ AND $timeFilter GROUP BY "link"')
    board.add("table", "QCVN 34:2022 per fixed link (latest)", [influx(qcvn, fmt="table")], unit="Mbits", w=12, h=6, decimals=1,
              overrides=[override("QCVN 34", mappings=STATUS_MAPPING, custom_cell={"type": "color-background"}, unit="string"),
                         override("ratio", unit="percentunit"), override("samples", unit="none", decimals=0),
                         override("Time", display_name="evaluated", unit="dateTimeAsIso"), *code_overrides("link")],
              options={"showHeader": True, "cellHeight": "sm"})
    tests = ('SELECT "status", "download_mbps", "upload_mbps", "latency_ms", "error" FROM "speedtest" WHERE "probe" = \'$probe\' '
             'AND "access" =~ /^$access$/ AND "link" =~ /^$link$/ AND $timeFilter GROUP BY "link" ORDER BY time DESC LIMIT 50')
    board.add("table", "Latest tests", [influx(tests, fmt="table")], unit="Mbits", w=12, h=6, decimals=1,
              overrides=[override("Time", unit="dateTimeAsIso"), override("latency_ms", unit="ms"), *code_overrides("status", "link")],
              options={"showHeader": True, "cellHeight": "sm"})
    open_alerts(board, '"probe" = \'$probe\'')
    return board


def pipeline():
    variables = [{"name": "instance", "label": "Server instance", "type": "query", "datasource": PROM,
                  "query": {"query": "label_values(hts_ingest_unacknowledged, instance)", "refId": "PrometheusVariableQueryEditor-VariableQuery"},
                  "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*", "hide": 0, "sort": 1}]
    board = Board("hts-pipeline", "Pipeline health", "The servers' OpenTelemetry metrics through Prometheus: freshness of the data, the "
                  "broker connection, results in, points written, InfluxDB write errors, quarantine rate, the unacknowledged backlog and "
                  "the scheduled jobs.", variables)
    freshness(board, province='=~".*"')
    sel = 'instance=~"$instance"'
    board.add("stat", "Broker connection", [prom(f"min(hts_mqtt_connected{{{sel}}})", "connected", instant=True)], unit="none", w=4, h=4,
              datasource=PROM, mappings=BROKER_MAPPING, thresholds=fixed_thresholds("red", (1, "green")), no_value="no server",
              options={**STAT, "textMode": "value"},
              description="Connected when every selected server instance's ingestion client is connected to the broker.")
    board.add("stat", "Hangfire failed jobs", [prom("max(hts_jobs_failed)", "failed", instant=True)], unit="none", w=4, h=4, datasource=PROM,
              decimals=0, thresholds=fixed_thresholds("green", (1, "red")), options={**STAT, "textMode": "value"},
              links=[link("Hangfire", "/hangfire/jobs/failed")],
              description="Jobs in Hangfire's Failed state (retries exhausted), until someone retries or deletes them on /hangfire.")
    board.add("stat", "Unacknowledged backlog now", [prom(f"sum(hts_ingest_unacknowledged{{{sel}}})", "messages", instant=True)], unit="none",
              w=4, h=4, datasource=PROM, decimals=0, thresholds=fixed_thresholds("green", (1000, "orange"), (10000, "red")),
              options={**STAT, "textMode": "value"},
              description="Messages received and not yet acknowledged to the broker (waiting for InfluxDB); orange from 1,000, red from 10,000.")
    rate = "[$__rate_interval]"
    board.add("timeseries", "Messages received", [prom(f"sum by (kind) (rate(hts_ingest_messages_received_total{{{sel}}}{rate}))", "{{kind}}")],
              unit="reqps", w=12, h=8, datasource=PROM, options={"legend": LEGEND, "tooltip": TOOLTIP})
    board.add("timeseries", "Points written to InfluxDB", [prom(f"sum by (instance) (rate(hts_ingest_points_written_total{{{sel}}}{rate}))", "{{instance}}")],
              unit="wps", w=12, h=8, datasource=PROM, options={"legend": LEGEND, "tooltip": TOOLTIP})
    errors = [prom(f'sum by (target) (rate(hts_ingest_write_retries_total{{{sel}, target=~"InfluxDB.*"}}{rate}))', "failed attempt ({{target}}, retried)", "A"),
              prom(f'sum(rate(hts_ingest_messages_quarantined_total{{{sel}, reason="influxdb_refused"}}{rate}))', "refused by InfluxDB (quarantined)", "B")]
    board.add("timeseries", "InfluxDB write errors", errors, unit="reqps", w=12, h=8, datasource=PROM,
              thresholds=fixed_thresholds("green", (0.001, "red")), custom={"thresholdsStyle": {"mode": "area"}},
              options={"legend": LEGEND, "tooltip": TOOLTIP},
              description="Failed write attempts (InfluxDB unavailable, retried until it answers) and lines InfluxDB refused (quarantined). "
                          "Anything above zero is red.")
    quarantine = (f"sum(rate(hts_ingest_messages_quarantined_total{{{sel}}}{rate})) / "
                  f"sum(rate(hts_ingest_messages_received_total{{{sel}}}{rate}))")
    board.add("timeseries", "Quarantine rate", [prom(quarantine, "quarantined / received", "A")], unit="percentunit", w=12, h=8, datasource=PROM,
              thresholds=fixed_thresholds("green", (0.01, "orange"), (0.05, "red")), custom={"thresholdsStyle": {"mode": "line+area"}},
              min_value=0, options={"legend": LEGEND, "tooltip": TOOLTIP},
              description="Share of received messages that were quarantined; orange from 1 %, red from 5 % (a broken or flooding probe).")
    board.add("timeseries", "Quarantined messages by reason", [prom(f"sum by (reason) (rate(hts_ingest_messages_quarantined_total{{{sel}}}{rate}))", "{{reason}}")],
              unit="reqps", w=12, h=8, datasource=PROM, options={"legend": LEGEND, "tooltip": TOOLTIP})
    board.add("timeseries", "Unacknowledged backlog", [prom(f"sum by (instance) (hts_ingest_unacknowledged{{{sel}}})", "{{instance}}")],
              unit="none", w=12, h=8, datasource=PROM, decimals=0, thresholds=fixed_thresholds("green", (1000, "orange"), (10000, "red")),
              custom={"thresholdsStyle": {"mode": "line"}}, options={"legend": LEGEND, "tooltip": TOOLTIP})
    board.add("timeseries", "Broker connection attempts", [prom(f"sum by (instance) (increase(hts_mqtt_connection_attempts_total{{{sel}}}{rate}))", "{{instance}}")],
              unit="none", w=12, h=8, datasource=PROM, decimals=0, options={"legend": LEGEND, "tooltip": TOOLTIP},
              description="Connection attempts per interval: more than one now and then is a flapping broker connection.")
    latency = "histogram_quantile({q}, sum by (le) (rate(hts_ingest_write_duration_seconds_bucket{{" + sel + "}}" + rate + ")))"
    board.add("timeseries", "Batch write duration (durable write)", [prom(latency.format(q="0.5"), "p50", "A"), prom(latency.format(q="0.99"), "p99", "B")],
              unit="s", w=12, h=8, datasource=PROM, options={"legend": LEGEND, "tooltip": TOOLTIP})
    mean = (f"sum(rate(hts_ingest_write_duration_seconds_sum{{{sel}}}{rate})) / "
            f"sum(rate(hts_ingest_write_duration_seconds_count{{{sel}}}{rate}))")
    board.add("timeseries", "Mean batch write duration", [prom(mean, "mean")], unit="s", w=12, h=8, datasource=PROM,
              options={"legend": LEGEND, "tooltip": TOOLTIP})
    batch = f"histogram_quantile(0.5, sum by (le) (rate(hts_ingest_batch_size_bucket{{{sel}}}{rate})))"
    board.add("timeseries", "Median batch size", [prom(batch, "p50")], unit="none", w=12, h=8, datasource=PROM,
              options={"legend": LEGEND, "tooltip": TOOLTIP})
    jobs = [("rollups", HOURLY_S), ("compliance", HOURLY_S), ("probe-liveness", LIVENESS_S), ("notifications", 60), ("monthly-report", 31 * DAY_S)]
    board.add("bargauge", "Job age: time since each recurring job last succeeded", [prom("time() - max by (job) (hts_jobs_last_success_timestamp_seconds)", "{{job}}", instant=True)],
              unit="s", w=12, h=8, datasource=PROM, decimals=0, thresholds=fixed_thresholds("green", (2 * HOURLY_S, "red")),
              overrides=[override(j, thresholds=fixed_thresholds("green", (s, "orange"), (2 * s, "red"))) for j, s in jobs],
              options={"orientation": "horizontal", "displayMode": "basic", "showUnfilled": True, "valueMode": "color", "namePlacement": "left",
                       "sizing": "auto", "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
              description="From Hangfire's storage (hts_jobs_last_success_timestamp_seconds): orange past one schedule, red past two.")
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


BOARDS = [("province-overview", overview), ("district", district), ("probe-fleet", fleet), ("probe", probe), ("pipeline-health", pipeline)]

if __name__ == "__main__":
    out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else ROOT
    for name, build in BOARDS:
        write(out / "dashboards" / f"{name}.json", build().json())
    write(out / "gazetteer" / "hts-districts.json", gazetteer())
