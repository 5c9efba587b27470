-- One-time changes a release makes to the broker at start-up, each recorded once it was done for every probe so that
-- later starts skip it (the first: issue 15's configuration and command rights for the roles of probes enrolled
-- before it; every enrolment since gives them itself). Deleting a row makes the next start run that upgrade again.
CREATE TABLE broker_upgrades (
    name text PRIMARY KEY,
    done_at timestamptz NOT NULL,
    probes integer NOT NULL CHECK (probes >= 0)  -- the enabled probes the recorded pass covered
);
