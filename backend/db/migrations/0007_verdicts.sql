-- Verdicts the gate can trust (issue 11): `unavailable`, versioned reports, attestations,
-- and alerts with a code + params the screens translate.

-- Reports are versioned and never overwritten. Every version stays in
-- validation_report_versions; `validation_reports` becomes the view of each recording's latest
-- version, so every reader that joins it keeps reading one row per recording.
ALTER TABLE validation_reports RENAME TO validation_report_versions;
ALTER TABLE validation_report_versions RENAME CONSTRAINT validation_reports_pkey
    TO validation_report_versions_pkey;
ALTER TABLE validation_report_versions DROP CONSTRAINT validation_report_versions_pkey;
ALTER TABLE validation_report_versions DROP CONSTRAINT validation_reports_verdict_check;
ALTER TABLE validation_report_versions
    ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- why a version after the first was made, and who asked (null: the pipeline on intake)
    ADD COLUMN reason text,
    ADD COLUMN requested_by text REFERENCES users (id),
    ADD CONSTRAINT validation_report_versions_verdict_check
        CHECK (verdict IN ('pass', 'warn', 'fail', 'unavailable')),
    ADD PRIMARY KEY (recording_id, version);

CREATE VIEW validation_reports AS
SELECT v.recording_id, v.version, v.verdict, v.report, v.created_at, v.reason, v.requested_by
FROM validation_report_versions v
WHERE NOT EXISTS (
    SELECT 1 FROM validation_report_versions n
    WHERE n.recording_id = v.recording_id AND n.version > v.version
);

-- Writing through the view appends the next version (older code and fixtures insert there).
CREATE FUNCTION validation_reports_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO validation_report_versions
        (recording_id, version, verdict, report, created_at, reason, requested_by)
    VALUES (
        NEW.recording_id,
        coalesce(NEW.version, (SELECT coalesce(max(version), 0) + 1
                               FROM validation_report_versions
                               WHERE recording_id = NEW.recording_id)),
        NEW.verdict, NEW.report, coalesce(NEW.created_at, now()), NEW.reason, NEW.requested_by
    );
    RETURN NEW;
END
$$;
CREATE TRIGGER validation_reports_append INSTEAD OF INSERT ON validation_reports
    FOR EACH ROW EXECUTE FUNCTION validation_reports_append();

CREATE FUNCTION validation_report_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'validation reports are never overwritten (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER validation_report_versions_immutable
    BEFORE UPDATE OR DELETE ON validation_report_versions
    FOR EACH ROW EXECUTE FUNCTION validation_report_versions_immutable();

-- A person's answer to an advisory check (issue 12): `confirmed` satisfies the check for that
-- report version (an attestation, not an override), `rejected` fails it.
CREATE TABLE check_attestations (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  recording_id text NOT NULL REFERENCES recordings (id),
  report_version integer NOT NULL,
  check_name text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
  reason text,
  actor_id text NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (recording_id, report_version, check_name)
);

-- Alerts carry a stable code and its parameters; title and body stay for push and logs.
ALTER TABLE alerts ADD COLUMN code text, ADD COLUMN params jsonb NOT NULL DEFAULT '{}'::jsonb;
UPDATE alerts SET code = kind WHERE code IS NULL;
