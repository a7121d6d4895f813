-- Table definitions of the MTM warehouse (data/warehouse/mtm.duckdb). Idempotent: run on every write connection.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS published;
CREATE SCHEMA IF NOT EXISTS reference;
CREATE SCHEMA IF NOT EXISTS quality;

-- Extract rows exactly as delivered (typed), per delivery quarter and source.
CREATE TABLE IF NOT EXISTS staging.extract_rows (
    delivery_quarter   VARCHAR NOT NULL,
    source             VARCHAR NOT NULL,
    obs_id             VARCHAR NOT NULL,
    measure            VARCHAR NOT NULL,
    period             VARCHAR NOT NULL,
    direction          VARCHAR,
    country            VARCHAR,
    country_group      VARCHAR,
    purpose            VARCHAR,
    category           VARCHAR,
    sector             VARCHAR,
    education          VARCHAR,
    age_group          VARCHAR,
    unit               VARCHAR,
    part_of            VARCHAR,
    parts_complete     BOOLEAN,
    change_unit        VARCHAR,
    change_base_period VARCHAR,
    agency             VARCHAR NOT NULL,
    publication        VARCHAR NOT NULL,
    publication_date   VARCHAR NOT NULL,
    location           VARCHAR NOT NULL,
    published_text     VARCHAR,
    note               VARCHAR,
    value              DECIMAL(24, 4),
    value_precision    DECIMAL(24, 4),
    share              DECIMAL(7, 3),
    share_precision    DECIMAL(7, 3),
    change             DECIMAL(24, 4),
    change_precision   DECIMAL(24, 4),
    rank               INTEGER,
    file_name          VARCHAR NOT NULL,
    file_sha256        VARCHAR NOT NULL,
    row_number         INTEGER NOT NULL,
    loaded_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (delivery_quarter, source, obs_id)
);

-- Aggregates of the optional record-level border crossings extract, as extract rows of source
-- 'border_crossing_records' (same columns as staging.extract_rows); reconciled with the published extract,
-- or, when the quarter has none, also staged in staging.extract_rows as its border_crossings delivery.
CREATE TABLE IF NOT EXISTS staging.record_aggregates AS SELECT * FROM staging.extract_rows LIMIT 0;

-- Published, conformed observations: what reports and queries read.
-- stage 'delivered' is the extract as received; 'corrected' has data/corrections applied (corrected_fields).
CREATE TABLE IF NOT EXISTS published.observations (
    delivery_quarter   VARCHAR NOT NULL,
    stage              VARCHAR NOT NULL CHECK (stage IN ('delivered', 'corrected')),
    source             VARCHAR NOT NULL,
    obs_id             VARCHAR NOT NULL,
    measure            VARCHAR NOT NULL,
    period             VARCHAR NOT NULL,
    direction          VARCHAR,
    country            VARCHAR,
    country_group      VARCHAR,
    purpose            VARCHAR,
    category           VARCHAR,
    sector             VARCHAR,
    education          VARCHAR,
    age_group          VARCHAR,
    unit               VARCHAR,
    part_of            VARCHAR,
    parts_complete     BOOLEAN,
    change_unit        VARCHAR,
    change_base_period VARCHAR,
    agency             VARCHAR NOT NULL,
    publication        VARCHAR NOT NULL,
    publication_date   VARCHAR NOT NULL,
    location           VARCHAR NOT NULL,
    published_text     VARCHAR,
    note               VARCHAR,
    value              DECIMAL(24, 4),
    value_precision    DECIMAL(24, 4),
    share              DECIMAL(7, 3),
    share_precision    DECIMAL(7, 3),
    change             DECIMAL(24, 4),
    change_precision   DECIMAL(24, 4),
    rank               INTEGER,
    file_name          VARCHAR NOT NULL,
    file_sha256        VARCHAR NOT NULL,
    row_number         INTEGER NOT NULL,
    period_kind        VARCHAR NOT NULL,
    period_start       DATE NOT NULL,
    period_end         DATE NOT NULL,
    country_iso3       VARCHAR,
    country_name       VARCHAR,
    cis_member         BOOLEAN,
    corrected_fields   VARCHAR,
    loaded_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (delivery_quarter, stage, source, obs_id)
);

-- One row per delivered file of a published quarter.
CREATE TABLE IF NOT EXISTS published.deliveries (
    delivery_quarter VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    agency           VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    file_sha256      VARCHAR NOT NULL,
    row_count        INTEGER NOT NULL,
    loaded_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (delivery_quarter, source)
);

CREATE TABLE IF NOT EXISTS reference.countries (
    iso3         VARCHAR PRIMARY KEY,
    display_name VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS reference.cis_membership (
    iso3       VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,
    valid_from DATE NOT NULL,
    valid_to   DATE,
    note       VARCHAR
);

-- One row per rule evaluation (passed or not), per quarter and stage. Re-running a quarter replaces its rows.
CREATE TABLE IF NOT EXISTS quality.check_results (
    quarter      VARCHAR NOT NULL,
    stage        VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    rule         VARCHAR NOT NULL,
    severity     VARCHAR NOT NULL CHECK (severity IN ('ERROR', 'WARN')),
    passed       BOOLEAN NOT NULL,
    subject      VARCHAR NOT NULL,
    expected     VARCHAR,
    observed     VARCHAR,
    tolerance    VARCHAR,
    message      VARCHAR NOT NULL,
    evaluated_at TIMESTAMP NOT NULL
);
-- Every observation a finding involves (comma-separated obs_ids), so a report can flag them.
ALTER TABLE quality.check_results ADD COLUMN IF NOT EXISTS obs_ids VARCHAR;

-- Corrections applied between the delivered and corrected stages (from data/corrections/).
CREATE TABLE IF NOT EXISTS quality.corrections_applied (
    quarter         VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    obs_id          VARCHAR NOT NULL,
    field           VARCHAR NOT NULL,
    published_value VARCHAR,
    corrected_value VARCHAR,
    justification   VARCHAR NOT NULL,
    author          VARCHAR NOT NULL,
    decided_on      DATE NOT NULL
);

-- Suggested corrections of the failing findings of a quarter's stage (mtm_pipeline/checks/suggest/): one row
-- per figure edited; a suggestion is one edit or a set of up to three edits made together, and all the rows of
-- a suggestion share its suggestion_id (the set's id). Never applied: a reviewer accepts one into
-- data/corrections/ (python -m mtm_pipeline.suggestions accept). Re-running a quarter replaces its rows.
CREATE TABLE IF NOT EXISTS quality.suggested_corrections (
    quarter          VARCHAR NOT NULL,
    stage            VARCHAR NOT NULL,
    suggestion_id    VARCHAR NOT NULL,   -- D1, D2, ... (delivered stage), C1, ... (corrected), best first
    rank             INTEGER NOT NULL,   -- 1 = the best suggestion for the findings it clears
    group_id         INTEGER NOT NULL,   -- failing findings that share figures form one group
    source           VARCHAR NOT NULL,
    obs_id           VARCHAR NOT NULL,
    field            VARCHAR NOT NULL,   -- value, share, change or rank
    published        VARCHAR NOT NULL,   -- the figure as published, in the contract's notation
    suggested        VARCHAR NOT NULL,   -- e.g. 2276, 7.6, 31.7 million
    kind             VARCHAR NOT NULL,   -- typing_digit, typing_transposed, ..., sign, swap, share_base, pinned_value
    findings_cleared INTEGER NOT NULL,
    findings         VARCHAR NOT NULL,   -- the findings it clears, one 'rule: subject' a line
    evidence         VARCHAR NOT NULL,
    created_at       TIMESTAMP NOT NULL
);
-- Sets of edits: the edit of the set a row belongs to (1, 2, 3; the figures of one swap share it; kind is that
-- edit's kind), how many edits the set has, and the suggestion as one instruction ("swap the values of A and
-- B, and set T value to 1968 (published 1868)"). Rows stored before sets existed read as single edits.
ALTER TABLE quality.suggested_corrections ADD COLUMN IF NOT EXISTS edit_number INTEGER DEFAULT 1;
ALTER TABLE quality.suggested_corrections ADD COLUMN IF NOT EXISTS edits_in_set INTEGER DEFAULT 1;
ALTER TABLE quality.suggested_corrections ADD COLUMN IF NOT EXISTS description VARCHAR;

-- Failing findings of a quarter's stage that no edit explains, with the reason (rounding, another basis).
CREATE TABLE IF NOT EXISTS quality.unexplained_findings (
    quarter    VARCHAR NOT NULL,
    stage      VARCHAR NOT NULL,
    rule       VARCHAR NOT NULL,
    subject    VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Vintages: every delivered file ever published, by content (a re-delivery with other bytes is a new
-- vintage), and its rows. Nothing here is ever deleted by a load.
CREATE SCHEMA IF NOT EXISTS history;

CREATE TABLE IF NOT EXISTS history.deliveries (
    delivery_id      VARCHAR PRIMARY KEY,   -- <delivery quarter>/<source>/<first 16 hex of the file SHA-256>
    sequence         INTEGER NOT NULL UNIQUE,
    delivery_quarter VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    file_sha256      VARCHAR NOT NULL,
    row_count        INTEGER NOT NULL,
    received_at      TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS history.observation_vintages (
    delivery_id        VARCHAR NOT NULL,
    delivery_quarter   VARCHAR NOT NULL,
    source             VARCHAR NOT NULL,
    obs_id             VARCHAR NOT NULL,
    measure            VARCHAR NOT NULL,
    period             VARCHAR NOT NULL,
    direction          VARCHAR,
    country_iso3       VARCHAR,
    country_group      VARCHAR,
    purpose            VARCHAR,
    category           VARCHAR,
    sector             VARCHAR,
    education          VARCHAR,
    age_group          VARCHAR,
    value              DECIMAL(24, 4),
    value_precision    DECIMAL(24, 4),
    share              DECIMAL(7, 3),
    share_precision    DECIMAL(7, 3),
    row_number         INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, obs_id)
);

-- Each figure (measure, period and dimensions) whose value or share differs from its previous vintage.
CREATE OR REPLACE VIEW history.revisions AS
WITH figures AS (
    SELECT d.sequence, d.received_at, v.*
    FROM history.observation_vintages AS v
    JOIN history.deliveries AS d USING (delivery_id)
    WHERE v.value IS NOT NULL OR v.share IS NOT NULL
), ordered AS (
    SELECT *,
        lag(value) OVER figure AS old_value,
        lag(share) OVER figure AS old_share,
        lag(value_precision) OVER figure AS old_value_precision,
        lag(share_precision) OVER figure AS old_share_precision,
        lag(delivery_id) OVER figure AS old_delivery_id,
        lag(received_at) OVER figure AS old_received_at
    FROM figures
    WINDOW figure AS (
        PARTITION BY measure, period, direction, country_iso3, country_group, purpose, category, sector,
                     education, age_group
        ORDER BY sequence
    )
)
SELECT measure, period, direction, country_iso3, country_group, purpose, category, sector, education,
       age_group, old_value, value AS new_value, old_share, share AS new_share,
       old_value_precision, value_precision AS new_value_precision,
       old_share_precision, share_precision AS new_share_precision,
       old_delivery_id, delivery_id AS new_delivery_id, old_received_at, received_at AS new_received_at,
       delivery_quarter AS new_delivery_quarter, source, obs_id
FROM ordered
WHERE old_delivery_id IS NOT NULL
  AND (value IS DISTINCT FROM old_value OR share IS DISTINCT FROM old_share);

-- Derived figures: what the sources did not publish, computed from the corrected stage of the quarter and
-- earlier deliveries (mtm_pipeline/derive/). One figure per row: a value, share, change or rank, with the
-- interval its inputs allow (*_low, *_high), the published figures it came from (input_obs_ids: obs_ids of
-- the same delivery quarter, '<delivery quarter>/<obs_id>' for an earlier one) and a qualifier where it is
-- not what its name alone says (NULL: exact to its precision). Replaced per quarter in one transaction.
CREATE TABLE IF NOT EXISTS published.derived_figures (
    delivery_quarter   VARCHAR NOT NULL,
    stage              VARCHAR NOT NULL CHECK (stage = 'derived'),
    source             VARCHAR NOT NULL,
    obs_id             VARCHAR NOT NULL,
    derivation         VARCHAR NOT NULL,
    measure            VARCHAR NOT NULL,
    period             VARCHAR NOT NULL,
    direction          VARCHAR,
    country            VARCHAR,
    country_group      VARCHAR,
    purpose            VARCHAR,
    category           VARCHAR,
    sector             VARCHAR,
    education          VARCHAR,
    age_group          VARCHAR,
    unit               VARCHAR,
    part_of            VARCHAR,
    parts_complete     BOOLEAN,
    change_unit        VARCHAR,
    change_base_period VARCHAR,
    value              DOUBLE,  -- the computed point, inside [value_low, value_high]
    value_precision    DECIMAL(24, 4),
    value_low          DOUBLE,
    value_high         DOUBLE,
    share              DOUBLE,
    share_precision    DECIMAL(7, 3),
    share_low          DOUBLE,
    share_high         DOUBLE,
    change             DOUBLE,
    change_precision   DECIMAL(24, 4),
    change_low         DOUBLE,
    change_high        DOUBLE,
    rank               INTEGER,
    qualifier          VARCHAR,
    input_obs_ids      VARCHAR NOT NULL,
    period_kind        VARCHAR NOT NULL,
    period_start       DATE NOT NULL,
    period_end         DATE NOT NULL,
    country_iso3       VARCHAR,
    country_name       VARCHAR,
    cis_member         BOOLEAN,
    loaded_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (delivery_quarter, obs_id)
);

-- Every figure of the corrected stage and every derived figure, told apart by `computed`.
CREATE OR REPLACE VIEW published.figures AS
SELECT *, false AS computed FROM published.observations WHERE stage = 'corrected'
UNION ALL BY NAME
SELECT *, true AS computed FROM published.derived_figures;
