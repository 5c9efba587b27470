-- Targets (data, not code), compliance history, alerts with their notification outbox, reports, job progress.
CREATE TABLE targets (
    id serial PRIMARY KEY,
    province_code text NOT NULL REFERENCES provinces (code),
    district_code text REFERENCES districts (code),
    access text NOT NULL CHECK (access IN ('fixed', 'mobile')),
    technology text,
    metric text NOT NULL CHECK (metric IN ('download', 'upload', 'latency')),
    statistic text NOT NULL CHECK (statistic ~ '^(median|mean|p[0-9]{1,2}|share_at_least)$'),
    share_value double precision,   -- for share_at_least: the speed a sample must reach (threshold is then a percentage)
    threshold double precision NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    source text NOT NULL,
    retired_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (statistic <> 'share_at_least' OR share_value IS NOT NULL),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX targets_province_idx ON targets (province_code);

-- One row per evaluation: the rolling window's history, and the month (re-evaluated until the month is over).
CREATE TABLE compliance_evaluations (
    id bigserial PRIMARY KEY,
    evaluated_at timestamptz NOT NULL,
    window_kind text NOT NULL CHECK (window_kind IN ('rolling', 'month')),
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    province_code text NOT NULL,
    district_code text NOT NULL,
    access text NOT NULL,
    technology text NOT NULL DEFAULT '',
    target_id integer REFERENCES targets (id),
    metric text,
    statistic text,
    value double precision,
    threshold double precision,
    samples integer NOT NULL,
    status text NOT NULL CHECK (status IN ('met', 'below', 'insufficient_data', 'no_target'))
);
CREATE UNIQUE INDEX compliance_evaluations_once_idx
    ON compliance_evaluations (window_kind, evaluated_at, district_code, access, technology);
CREATE INDEX compliance_evaluations_district_idx ON compliance_evaluations (district_code, access, evaluated_at DESC);

-- QCVN 34:2022/BTTTT per probe link: mean download >= 0.8 x advertised.
CREATE TABLE qcvn34_evaluations (
    evaluated_at timestamptz NOT NULL,
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    probe_id text NOT NULL,
    link text NOT NULL,
    mean_download_mbps double precision,
    advertised_download_mbps double precision NOT NULL,
    samples integer NOT NULL,
    status text NOT NULL,
    PRIMARY KEY (probe_id, link, evaluated_at)
);

-- Consecutive 'below' evaluations per scope, keyed by the evaluation instant so a re-run does not count twice.
CREATE TABLE alert_streaks (
    kind text NOT NULL,
    scope_key text NOT NULL,
    consecutive_below integer NOT NULL,
    last_evaluated_at timestamptz NOT NULL,
    PRIMARY KEY (kind, scope_key)
);

CREATE TABLE alerts (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    scope_key text NOT NULL,
    province_code text,
    district_code text,
    access text,
    technology text,
    probe_id text,
    state text NOT NULL CHECK (state IN ('open', 'resolved')),
    summary text NOT NULL,
    value double precision,
    threshold double precision,
    opened_at timestamptz NOT NULL,
    resolved_at timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by text
);
-- At most one open alert per scope, whatever number of instances evaluate at once.
CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (kind, scope_key) WHERE state = 'open';

-- Notifications to send, written in the same transaction as the alert change; sent by whichever instance
-- claims them (FOR UPDATE SKIP LOCKED), so none is sent twice and none is lost with a crash.
CREATE TABLE alert_notifications (
    id bigserial PRIMARY KEY,
    alert_id bigint NOT NULL REFERENCES alerts (id),
    event text NOT NULL CHECK (event IN ('opened', 'resolved')),
    channel text NOT NULL,
    created_at timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    delivered_at timestamptz,
    last_error text,
    UNIQUE (alert_id, event, channel)
);
CREATE INDEX alert_notifications_pending_idx ON alert_notifications (next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE reports (
    id serial PRIMARY KEY,
    province_code text NOT NULL REFERENCES provinces (code),
    month date NOT NULL,
    created_at timestamptz NOT NULL,
    csv bytea NOT NULL,
    xlsx bytea NOT NULL,
    chart_png bytea NOT NULL,
    UNIQUE (province_code, month)
);

CREATE TABLE job_progress (
    job text PRIMARY KEY,
    completed_until timestamptz NOT NULL
);
