-- Evidence intake: resumable (tus) uploads, announced chunk chains, refused recordings, views.

CREATE TABLE uploads (
    id            text PRIMARY KEY,
    inspection_id text NOT NULL REFERENCES inspections (id),
    phase         text NOT NULL CHECK (phase IN ('exterior', 'unloading', 'recount', 'opening')),
    client_id     text NOT NULL,
    filetype      text NOT NULL,
    metadata      jsonb NOT NULL DEFAULT '{}',
    length        bigint CHECK (length IS NULL OR length > 0),
    store_key     text NOT NULL UNIQUE,
    store_token   text NOT NULL,
    state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'complete', 'expired')),
    size          bigint,
    sha256        text,
    created_by    text NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    completed_at  timestamptz
);
CREATE INDEX uploads_open_expiry ON uploads (expires_at) WHERE state = 'open';
CREATE INDEX uploads_client ON uploads (inspection_id, client_id);

CREATE TABLE chain_announcements (
    client_id     text PRIMARY KEY,
    inspection_id text NOT NULL REFERENCES inspections (id),
    phase         text NOT NULL,
    device_id     text NOT NULL REFERENCES devices (id),
    chunks        jsonb NOT NULL,
    chain_head    text NOT NULL,
    signature     text NOT NULL,
    announced_by  text NOT NULL REFERENCES users (id),
    announced_at  timestamptz NOT NULL DEFAULT now(),
    deadline_at   timestamptz NOT NULL
);
CREATE INDEX chain_announcements_deadline ON chain_announcements (deadline_at);

ALTER TABLE recordings ADD COLUMN integrity jsonb;
ALTER TABLE recordings ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();

-- A recording whose bytes, chain or signature did not check out. The bytes stay in the
-- store under their upload key for investigation; nothing here is ever deleted.
CREATE TABLE refused_recordings (
    id            text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    inspection_id text NOT NULL REFERENCES inspections (id),
    client_id     text NOT NULL,
    phase         text NOT NULL,
    upload_id     text,
    code          text NOT NULL,
    detail        text NOT NULL,
    manifest      jsonb NOT NULL,
    signature     text NOT NULL,
    request_hash  text NOT NULL,
    created_by    text NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refused_recordings_client ON refused_recordings (client_id);

-- At most one audit event per viewer, recording and minute (scrubbing must not flood the log).
CREATE TABLE recording_views (
    recording_id text NOT NULL REFERENCES recordings (id),
    user_id      text NOT NULL REFERENCES users (id),
    minute       timestamptz NOT NULL,
    PRIMARY KEY (recording_id, user_id, minute)
);
