-- Portal reads (issue 14 item 5): the RFID readers and number cameras at the scanner's portal
-- report the wagon and container numbers they saw. A read is an observation: kept as sent, a
-- misread (check digit wrong) included, never rewritten except for the scan it binds to.
CREATE TABLE portal_reads (
    id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    post_code    text NOT NULL REFERENCES posts (code),
    scanner      text NOT NULL CHECK (length(scanner) BETWEEN 1 AND 200),
    reader_id    text NOT NULL CHECK (length(reader_id) BETWEEN 1 AND 200),
    read_at      timestamptz NOT NULL,
    source       text NOT NULL CHECK (source IN ('rfid', 'camera')),
    kind         text NOT NULL CHECK (kind IN ('wagon', 'container')),
    number       text NOT NULL,
    number_valid boolean NOT NULL,
    confidence   double precision CHECK (confidence BETWEEN 0 AND 1),
    scan_id      text REFERENCES idk_scans (id),
    created_by   text NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- a reader resending the same read (after a lost answer) is a replay, not a second read
    UNIQUE (reader_id, read_at, source, kind, number)
);
CREATE INDEX portal_reads_scan ON portal_reads (scan_id);
CREATE INDEX portal_reads_window ON portal_reads (post_code, scanner, read_at);

-- Where the scan's wagon number came from: the scanner itself, or a portal read that filled
-- it because the scanner sent none.
ALTER TABLE idk_scans ADD COLUMN wagon_number_source text NOT NULL DEFAULT 'scanner'
    CHECK (wagon_number_source IN ('scanner', 'rfid', 'camera'));
