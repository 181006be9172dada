-- Rail identity on IDK scans, and the history of the X-ray model's assessments.

-- A scanner's 8-digit wagon number that fails its check digit: the image is kept (evidence
-- is never refused for a typo), the scan is flagged and the IDK operator alerted.
ALTER TABLE idk_scans ADD COLUMN wagon_number_invalid boolean NOT NULL DEFAULT false;

-- Every assessment the scan ever had. `idk_scans.assessment` holds the latest for readers;
-- a recompute (the linked declarations changed, a new model) adds a version, never rewrites one.
CREATE TABLE idk_assessments (
    scan_id         text NOT NULL REFERENCES idk_scans (id),
    version         integer NOT NULL CHECK (version > 0),
    why             text NOT NULL,
    assessment      jsonb NOT NULL,
    declaration_ids text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scan_id, version)
);

CREATE FUNCTION idk_assessments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an IDK assessment version is history: add a version instead';
END $$;
CREATE TRIGGER idk_assessments_immutable BEFORE UPDATE OR DELETE ON idk_assessments
    FOR EACH ROW EXECUTE FUNCTION idk_assessments_immutable();

ALTER TABLE idk_scans ADD COLUMN assessment_version integer NOT NULL DEFAULT 0;

-- assessments stored before this migration become version 1
INSERT INTO idk_assessments (scan_id, version, why, assessment, declaration_ids, created_at)
SELECT id, 1, 'registered', assessment,
       coalesce(ARRAY(SELECT jsonb_array_elements_text(assessment -> 'declaration_ids')), '{}'),
       coalesce((assessment ->> 'assessed_at')::timestamptz, now())
FROM idk_scans WHERE assessment IS NOT NULL;
UPDATE idk_scans SET assessment_version = 1 WHERE assessment IS NOT NULL;
