-- 001: the canonical tables of DESIGN.md, the load log, rejects and data-quality warnings.
-- Amounts are RMB yuan, DECIMAL(18,2). Dates are calendar dates in the configured time zone.
-- Stage, status, grade, activity kind and document type hold the configured *keys*
-- (lead, won, company, weekly_report, contract ...), never an export's spelling.

CREATE TABLE projects (              -- one row per project: its latest known state
    project_id        VARCHAR NOT NULL,
    name              VARCHAR,
    customer          VARCHAR,
    region            VARCHAR,
    department        VARCHAR,
    director          VARCHAR,
    manager           VARCHAR,
    monitor           VARCHAR,
    channel           VARCHAR,       -- NULL = direct (no channel partner)
    grade             VARCHAR,
    industry          VARCHAR,
    amount            DECIMAL(18,2), -- yuan
    stage             VARCHAR,       -- current working stage (a non-terminal stage key), if known
    status            VARCHAR NOT NULL, -- open / won / lost / abandoned
    created_at        DATE,
    initiated_at      DATE,
    expected_close_at DATE,
    closed_at         DATE,
    lost_reason       VARCHAR,
    competitor        VARCHAR,
    collected_amount  DECIMAL(18,2), -- yuan
    satisfaction      DOUBLE,
    as_of             DATE NOT NULL, -- the date this state was known (the load's --as-of, else its load date)
    as_of_declared    BOOLEAN NOT NULL, -- true when the load said --as-of (a snapshot export)
    load_id           INTEGER NOT NULL
);

CREATE TABLE project_snapshots (     -- earlier versions of projects (superseded by a later load), same columns
    project_id        VARCHAR NOT NULL,
    name              VARCHAR,
    customer          VARCHAR,
    region            VARCHAR,
    department        VARCHAR,
    director          VARCHAR,
    manager           VARCHAR,
    monitor           VARCHAR,
    channel           VARCHAR,
    grade             VARCHAR,
    industry          VARCHAR,
    amount            DECIMAL(18,2),
    stage             VARCHAR,
    status            VARCHAR NOT NULL,
    created_at        DATE,
    initiated_at      DATE,
    expected_close_at DATE,
    closed_at         DATE,
    lost_reason       VARCHAR,
    competitor        VARCHAR,
    collected_amount  DECIMAL(18,2),
    satisfaction      DOUBLE,
    as_of             DATE NOT NULL,
    as_of_declared    BOOLEAN NOT NULL,
    load_id           INTEGER NOT NULL
);

-- every known version of every project: what was known on date D is, per project, the version
-- with the latest as_of <= D (ties: the later load)
CREATE VIEW project_versions AS
    SELECT * FROM project_snapshots UNION ALL SELECT * FROM projects;

CREATE TABLE stage_events (          -- a project entering a stage (terminal stages included)
    project_id VARCHAR NOT NULL,
    stage      VARCHAR NOT NULL,
    entered_at DATE NOT NULL,
    source     VARCHAR NOT NULL,     -- history / columns / snapshot / inferred
    load_id    INTEGER               -- NULL for inferred events (derived, rebuilt on every load)
);

CREATE TABLE activities (            -- weekly report, analysis meeting, visit, review, summary, evaluation
    project_id VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    date       DATE,
    load_id    INTEGER NOT NULL
);

CREATE TABLE documents (             -- an archive document (one of the 18 kinds)
    project_id VARCHAR NOT NULL,
    doc_type   VARCHAR NOT NULL,
    date       DATE,
    load_id    INTEGER NOT NULL
);

CREATE TABLE targets (               -- a sales target
    scope   VARCHAR NOT NULL,        -- company | region:<name> | director:<name> | department:<name>
    period  VARCHAR NOT NULL,        -- a period in its canonical spelling (2026, 2026-Q3, 2026-09 ...)
    amount  DECIMAL(18,2) NOT NULL,  -- yuan
    load_id INTEGER NOT NULL
);

CREATE TABLE load_log (              -- one row per file loaded (or skipped as already loaded)
    load_id       INTEGER PRIMARY KEY,
    file          VARCHAR NOT NULL,  -- the path as given
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,  -- of the file's bytes
    fingerprint   VARCHAR NOT NULL,  -- sha256 of the file plus the options that change its reading
    table_name    VARCHAR NOT NULL,
    file_format   VARCHAR,
    encoding      VARCHAR,
    rows_read     BIGINT NOT NULL,
    rows_loaded   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    warnings      BIGINT NOT NULL,
    as_of         DATE,
    options       VARCHAR,           -- JSON of the options in force (mapping, unit, date order ...)
    loaded_at     TIMESTAMPTZ NOT NULL,
    toolkit_version VARCHAR NOT NULL
);

CREATE TABLE rejects (               -- an input row that was not loaded, and why
    load_id INTEGER NOT NULL,
    file    VARCHAR NOT NULL,
    "row"   BIGINT,                  -- as a person sees it: header = row 1 (CSV, XLSX); record n (JSON, Parquet)
    "column" VARCHAR,                -- the export's header (canonical name in brackets when it differs)
    value   VARCHAR,
    reason  VARCHAR NOT NULL
);

CREATE TABLE data_quality (          -- a loaded row with a finding the audit report lists
    load_id    INTEGER NOT NULL,
    file       VARCHAR NOT NULL,
    "row"      BIGINT,
    project_id VARCHAR,
    "column"   VARCHAR,
    value      VARCHAR,
    rule       VARCHAR NOT NULL,     -- a short key: won_without_close_date, event_before_created ...
    message    VARCHAR NOT NULL
);
