-- Table 1 of the Zhetisu analysis (issue 14): scans are exported in the post's local time.
-- A post says its IANA time zone; every post is in Asia/Almaty unless it says otherwise.
ALTER TABLE posts ADD COLUMN timezone text NOT NULL DEFAULT 'Asia/Almaty'
    CHECK (timezone ~ '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$');
