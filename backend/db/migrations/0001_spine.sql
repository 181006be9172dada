-- The service spine: posts, users, sessions, devices, declarations, IDK scans, inspections,
-- recordings and their validation, release decisions, alerts and the hash-chained audit log.
-- Ids are text (uuid by default) because the API promises string ids.

CREATE TABLE posts (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('road', 'rail')),
    has_idk     boolean NOT NULL DEFAULT false,
    geofence    jsonb NOT NULL,
    policy      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    login         text NOT NULL UNIQUE,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN
                    ('inspector', 'idk_operator', 'post_head', 'auditor', 'integration', 'admin')),
    post_code     text REFERENCES posts (code),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    on_shift      boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IN ('auditor', 'integration', 'admin')) = (post_code IS NULL))
);

CREATE TABLE sessions (
    id          text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    user_id     text NOT NULL REFERENCES users (id),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE devices (
    id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    name           text NOT NULL,
    post_code      text REFERENCES posts (code),
    public_key_jwk jsonb NOT NULL,
    key_thumbprint text NOT NULL UNIQUE,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'revoked')),
    registered_by  text NOT NULL REFERENCES users (id),
    approved_by    text REFERENCES users (id),
    approved_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE declarations (
    id                   text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    number               text NOT NULL UNIQUE,
    procedure            text NOT NULL CHECK (procedure IN ('import', 'export', 'transit')),
    post_code            text NOT NULL REFERENCES posts (code),
    declarant            text NOT NULL,
    declared_corridor    text NOT NULL CHECK (declared_corridor IN ('green', 'yellow', 'red')),
    corridor             text NOT NULL CHECK (corridor IN ('green', 'yellow', 'red')),
    vehicle_plate        text,
    status               text NOT NULL DEFAULT 'registered'
                           CHECK (status IN ('registered', 'inspection', 'released', 'refused')),
    inspection_required  boolean NOT NULL DEFAULT false,
    inspection_reasons   text[] NOT NULL DEFAULT '{}',
    created_by           text NOT NULL REFERENCES users (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX declarations_post_status ON declarations (post_code, status);

CREATE TABLE declaration_lines (
    declaration_id text NOT NULL REFERENCES declarations (id),
    line_no        integer NOT NULL,
    hs_code        text NOT NULL,
    description    text NOT NULL,
    packaging      text NOT NULL,
    places         integer NOT NULL CHECK (places >= 0),
    gross_kg       numeric NOT NULL CHECK (gross_kg >= 0),
    net_kg         numeric NOT NULL CHECK (net_kg >= 0),
    PRIMARY KEY (declaration_id, line_no)
);

-- Wagons and containers, normalised (upper case, no spaces) so scans can find them.
CREATE TABLE transport_units (
    declaration_id text NOT NULL REFERENCES declarations (id),
    kind           text NOT NULL CHECK (kind IN ('wagon', 'container')),
    number         text NOT NULL,
    PRIMARY KEY (declaration_id, kind, number)
);
CREATE INDEX transport_units_lookup ON transport_units (kind, number);

CREATE TABLE idk_scans (
    id                 text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    image_id           text NOT NULL UNIQUE,
    post_code          text NOT NULL REFERENCES posts (code),
    scanner            text NOT NULL,
    composition_number text NOT NULL DEFAULT '',
    wagon_number       text NOT NULL DEFAULT '',
    container_numbers  text[] NOT NULL DEFAULT '{}',
    scanned_at         timestamptz NOT NULL,
    image_key          text NOT NULL,
    image_sha256       text NOT NULL,
    image_mime         text NOT NULL,
    image_size         bigint NOT NULL,
    width              integer NOT NULL,
    height             integer NOT NULL,
    verdict            text CHECK (verdict IN ('suspicion', 'clear')),
    risk_areas         jsonb NOT NULL DEFAULT '[]',
    verdict_by         text REFERENCES users (id),
    verdict_at         timestamptz,
    assessment         jsonb,
    created_by         text NOT NULL REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idk_scans_wagon ON idk_scans (wagon_number);
CREATE INDEX idk_scans_containers ON idk_scans USING gin (container_numbers);

CREATE TABLE scan_links (
    scan_id        text NOT NULL REFERENCES idk_scans (id),
    declaration_id text NOT NULL REFERENCES declarations (id),
    matched_on     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scan_id, declaration_id)
);
CREATE INDEX scan_links_declaration ON scan_links (declaration_id);

CREATE TABLE inspections (
    id                text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    declaration_id    text NOT NULL UNIQUE REFERENCES declarations (id),
    post_code         text NOT NULL REFERENCES posts (code),
    inspector_id      text REFERENCES users (id),
    status            text NOT NULL DEFAULT 'assigned'
                        CHECK (status IN ('unassigned', 'assigned', 'in_progress', 'finished')),
    reasons           text[] NOT NULL DEFAULT '{}',
    ordered_by        text REFERENCES users (id),
    started_at        timestamptz,
    finished_at       timestamptz,
    places_counted    integer,
    items_counted     integer,
    discrepancy_note  text,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspections_inspector ON inspections (inspector_id, status);

-- Every inspector ever assigned: separation of duties holds against all of them.
CREATE TABLE inspection_assignments (
    inspection_id text NOT NULL REFERENCES inspections (id),
    inspector_id  text NOT NULL REFERENCES users (id),
    assigned_by   text REFERENCES users (id),
    reason        text NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspection_assignments_insp ON inspection_assignments (inspection_id);

CREATE TABLE recordings (
    id             text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    inspection_id  text NOT NULL REFERENCES inspections (id),
    phase          text NOT NULL CHECK (phase IN ('exterior', 'unloading', 'recount', 'opening')),
    version        integer NOT NULL DEFAULT 1,
    client_id      text NOT NULL UNIQUE,
    upload_id      text,
    device_id      text REFERENCES devices (id),
    object_key     text,
    mime           text,
    size           bigint,
    sha256         text,
    manifest       jsonb NOT NULL,
    signature      text NOT NULL,
    state          text NOT NULL DEFAULT 'received'
                     CHECK (state IN ('received', 'validating', 'validated', 'failed')),
    created_by     text REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (inspection_id, phase, version)
);

CREATE TABLE validation_reports (
    recording_id     text PRIMARY KEY REFERENCES recordings (id),
    verdict          text NOT NULL CHECK (verdict IN ('pass', 'warn', 'fail')),
    report           jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE release_decisions (
    id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    declaration_id  text NOT NULL UNIQUE REFERENCES declarations (id),
    decision        text NOT NULL CHECK (decision IN ('released', 'refused')),
    actor_id        text NOT NULL REFERENCES users (id),
    decided_at      timestamptz NOT NULL DEFAULT now(),
    override        boolean NOT NULL DEFAULT false,
    override_reason text,
    comment         text,
    gate            jsonb NOT NULL
);

CREATE TABLE alerts (
    id          text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    kind        text NOT NULL,
    post_code   text REFERENCES posts (code),
    object_type text NOT NULL,
    object_id   text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    link        text,
    -- One alert per event, however often a worker retries the job that raises it.
    dedupe_key  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alert_recipients (
    alert_id  text NOT NULL REFERENCES alerts (id),
    user_id   text NOT NULL REFERENCES users (id),
    read_at   timestamptz,
    PRIMARY KEY (alert_id, user_id)
);
CREATE INDEX alert_recipients_user ON alert_recipients (user_id, read_at);

CREATE TABLE audit_events (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_id    text,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   text NOT NULL,
    payload     jsonb NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
