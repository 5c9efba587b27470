-- Issue 13: verdicts with intervals, per operator, busy hours, probe-weighted estimators; issue 18.3: jobs that skip
-- a bad row instead of stopping. Additive only: every existing row keeps its meaning.

-- A target may name an operator, and says how samples are weighted (link: every probe link counts once; pooled:
-- every sample counts once). Existing targets become probe-weighted, as the issue asks of every verdict.
ALTER TABLE targets ADD COLUMN operator text;
ALTER TABLE targets ADD COLUMN weighting text NOT NULL DEFAULT 'link' CHECK (weighting IN ('link', 'pooled'));

-- Compliance rows per operator ('all' for every operator together) and per window, with the 95 % interval.
ALTER TABLE compliance_evaluations ADD COLUMN operator text NOT NULL DEFAULT 'all';
ALTER TABLE compliance_evaluations ADD COLUMN weighting text;
ALTER TABLE compliance_evaluations ADD COLUMN ci_low double precision;
ALTER TABLE compliance_evaluations ADD COLUMN ci_high double precision;
ALTER TABLE compliance_evaluations ADD COLUMN links integer;
ALTER TABLE compliance_evaluations DROP CONSTRAINT compliance_evaluations_window_kind_check;
ALTER TABLE compliance_evaluations ADD CONSTRAINT compliance_evaluations_window_kind_check CHECK (window_kind IN ('rolling', 'month', 'busy'));
ALTER TABLE compliance_evaluations DROP CONSTRAINT compliance_evaluations_status_check;
ALTER TABLE compliance_evaluations ADD CONSTRAINT compliance_evaluations_status_check
    CHECK (status IN ('met', 'below', 'inconclusive', 'insufficient_data', 'no_target'));
DROP INDEX compliance_evaluations_once_idx;
CREATE UNIQUE INDEX compliance_evaluations_once_idx
    ON compliance_evaluations (window_kind, evaluated_at, area_kind, area_code, access, technology, operator);

-- Alerts say which operator, the interval and since when the area is below; the English text beside the Vietnamese.
ALTER TABLE alerts ADD COLUMN operator text;
ALTER TABLE alerts ADD COLUMN ci_low double precision;
ALTER TABLE alerts ADD COLUMN ci_high double precision;
ALTER TABLE alerts ADD COLUMN below_since timestamptz;
ALTER TABLE alerts ADD COLUMN summary_en text;
ALTER TABLE alert_streaks ADD COLUMN below_since timestamptz;

-- A notification that can never be delivered (a permanent error, e.g. a planted row) is given up, not retried forever.
ALTER TABLE alert_notifications ADD COLUMN abandoned_at timestamptz;

-- QCVN 34 per link: median, the speed 80 % of tests reach (80/80), the link's operator and place; links without an
-- advertised speed are recorded as such.
ALTER TABLE qcvn34_evaluations ADD COLUMN median_download_mbps double precision;
ALTER TABLE qcvn34_evaluations ADD COLUMN p20_download_mbps double precision;
ALTER TABLE qcvn34_evaluations ADD COLUMN operator text;
ALTER TABLE qcvn34_evaluations ADD COLUMN commune_code text;
ALTER TABLE qcvn34_evaluations ALTER COLUMN advertised_download_mbps DROP NOT NULL;

-- The latest QCVN 34 share per area × operator ('all' too); the history is in InfluxDB (qcvn34_area).
CREATE TABLE qcvn34_areas (
    province_code text NOT NULL,
    area_kind text NOT NULL,
    area_code text NOT NULL,
    operator text NOT NULL,
    evaluated_at timestamptz NOT NULL,
    links_met integer NOT NULL,
    links_below integer NOT NULL,
    links_insufficient integer NOT NULL,
    links_no_advertised integer NOT NULL,
    PRIMARY KEY (area_kind, area_code, operator)
);

-- Reports keep their model (JSON) so every format and language is rendered from the same figures.
ALTER TABLE reports ADD COLUMN model jsonb;

CREATE TABLE yearly_reports (
    province_code text NOT NULL,
    year integer NOT NULL,
    created_at timestamptz NOT NULL,
    model jsonb NOT NULL,
    xlsx bytea NOT NULL,
    PRIMARY KEY (province_code, year)
);

-- "Since when" looks back along one row's history.
CREATE INDEX compliance_evaluations_history_idx
    ON compliance_evaluations (area_kind, area_code, access, technology, operator, window_kind, evaluated_at DESC);
