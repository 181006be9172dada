-- Per-scanner calibration of the IDK X-ray scanners (issue 12 item 6). A scan names its scanner
-- (`idk_scans.scanner`); the row of that scanner at the scan's post says how many millimetres a
-- pixel spans along the vehicle (x) and across it (y), the detector's reading with nothing in
-- the beam (air) and with the beam off (dark), in raw units, and whether the post accepts only
-- the scanner's raw export. Until all four figures are set the scanner is uncalibrated and the
-- model's mass estimate is advisory. Every change is a new version; versions are history.
CREATE TABLE scanners (
    scanner_id          text PRIMARY KEY CHECK (length(scanner_id) BETWEEN 1 AND 200),
    post_code           text NOT NULL REFERENCES posts (code),
    pitch_x_mm          double precision CHECK (pitch_x_mm > 0),
    pitch_y_mm          double precision CHECK (pitch_y_mm > 0),
    air_level           double precision CHECK (air_level > 0),
    dark_level          double precision CHECK (dark_level >= 0),
    raw_export_required boolean NOT NULL DEFAULT false,
    version             integer NOT NULL CHECK (version > 0),
    set_by              text NOT NULL REFERENCES users (id),
    set_at              timestamptz NOT NULL DEFAULT now(),
    reason              text NOT NULL DEFAULT '',
    CHECK (air_level IS NULL OR dark_level IS NULL OR air_level > dark_level)
);

CREATE TABLE scanner_versions (
    scanner_id          text NOT NULL REFERENCES scanners (scanner_id),
    version             integer NOT NULL CHECK (version > 0),
    post_code           text NOT NULL,
    pitch_x_mm          double precision,
    pitch_y_mm          double precision,
    air_level           double precision,
    dark_level          double precision,
    raw_export_required boolean NOT NULL,
    set_by              text NOT NULL REFERENCES users (id),
    set_at              timestamptz NOT NULL,
    reason              text NOT NULL DEFAULT '',
    PRIMARY KEY (scanner_id, version)
);

CREATE FUNCTION scanner_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a scanner calibration version is history: add a version instead';
END $$;
CREATE TRIGGER scanner_versions_immutable BEFORE UPDATE OR DELETE ON scanner_versions
    FOR EACH ROW EXECUTE FUNCTION scanner_versions_immutable();
