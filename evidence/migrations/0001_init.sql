-- The evidence schema, shared by SQLite and PostgreSQL. Times are TEXT in
-- evidence.TimeLayout (fixed-width RFC 3339 UTC) so both backends order and
-- compare them the same way and the canonical form reads back byte-exact.
CREATE TABLE runs (
    seq            BIGINT PRIMARY KEY,
    started_at     TEXT   NOT NULL,
    recorded_at    TEXT   NOT NULL,
    command        TEXT   NOT NULL,
    paths          TEXT   NOT NULL, -- JSON array of strings
    accounts       TEXT   NOT NULL, -- JSON array of strings
    regions        TEXT   NOT NULL, -- JSON array of strings
    tool_name      TEXT   NOT NULL,
    tool_version   TEXT   NOT NULL,
    format_version TEXT   NOT NULL,
    n_fail         BIGINT NOT NULL,
    n_pass         BIGINT NOT NULL,
    n_unknown      BIGINT NOT NULL,
    n_suppressed   BIGINT NOT NULL,
    n_errors       BIGINT NOT NULL,
    n_findings     BIGINT NOT NULL,
    prev_hash      TEXT   NOT NULL,
    hash           TEXT   NOT NULL
);
CREATE INDEX runs_started_at ON runs (started_at);

CREATE TABLE findings (
    run_seq             BIGINT NOT NULL REFERENCES runs (seq) ON DELETE CASCADE ON UPDATE CASCADE,
    idx                 BIGINT NOT NULL,
    control_id          TEXT   NOT NULL,
    status              TEXT   NOT NULL,
    severity            TEXT   NOT NULL,
    surface             TEXT   NOT NULL,
    resource_type       TEXT   NOT NULL,
    address             TEXT   NOT NULL,
    name                TEXT   NOT NULL,
    arn                 TEXT   NOT NULL,
    account             TEXT   NOT NULL,
    region              TEXT   NOT NULL,
    resource_path       TEXT   NOT NULL,
    stack               TEXT   NOT NULL,
    file                TEXT   NOT NULL,
    start_line          BIGINT NOT NULL,
    end_line            BIGINT NOT NULL,
    attribute           TEXT   NOT NULL,
    observed            TEXT,           -- NULL when the value is unknown
    expected            TEXT   NOT NULL,
    resolution          TEXT   NOT NULL,
    message             TEXT   NOT NULL,
    evidence            TEXT   NOT NULL, -- JSON array of strings
    suppression_source  TEXT   NOT NULL,
    suppression_reason  TEXT   NOT NULL,
    suppression_expires TEXT   NOT NULL,
    replacement         BIGINT NOT NULL, -- 0 or 1
    PRIMARY KEY (run_seq, idx)
);

CREATE TABLE run_errors (
    run_seq BIGINT NOT NULL REFERENCES runs (seq) ON DELETE CASCADE ON UPDATE CASCADE,
    idx     BIGINT NOT NULL,
    file    TEXT   NOT NULL,
    line    BIGINT NOT NULL,
    region  TEXT   NOT NULL,
    account TEXT   NOT NULL,
    message TEXT   NOT NULL,
    PRIMARY KEY (run_seq, idx)
);

-- At most one row: the newest pruned run. Verify starts after it.
CREATE TABLE checkpoint (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    hash        TEXT   NOT NULL,
    pruned_at   TEXT   NOT NULL,
    pruned_runs BIGINT NOT NULL
);

-- Ed25519 signatures over a chain head (evidence.SignedMessage).
CREATE TABLE signatures (
    seq        BIGINT NOT NULL,
    hash       TEXT   NOT NULL,
    public_key TEXT   NOT NULL, -- base64 of the 32-byte key
    signature  TEXT   NOT NULL, -- base64 of the 64-byte signature
    signed_at  TEXT   NOT NULL,
    PRIMARY KEY (seq, public_key)
);
