-- Derived artifacts of a recording for auditors, stored beside the original, never replacing it.
CREATE TABLE renditions (
    recording_id text NOT NULL REFERENCES recordings (id),
    kind         text NOT NULL CHECK (kind IN ('video', 'poster', 'contact_sheet')),
    object_key   text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    sha256       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recording_id, kind)
);
