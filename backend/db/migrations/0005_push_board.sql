-- Web push subscriptions and their deliveries, upload progress for stall alerts, periodic
-- watch state (audit chain verify), auditors' daily review samples, and indexes for the board,
-- the search and the exports.

-- A browser's PushSubscription, owned by whoever is logged in on that browser now.
CREATE TABLE push_subscriptions (
    id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    user_id         text NOT NULL REFERENCES users (id),
    endpoint        text NOT NULL UNIQUE,
    p256dh          text NOT NULL,
    auth            text NOT NULL,
    expiration_time timestamptz,
    user_agent      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_sent_at    timestamptz
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- One row per notification and subscription, so a retried job never posts again what a push
-- service accepted. No foreign key to the subscription: a gone one is deleted, its record stays.
CREATE TABLE push_deliveries (
    notification_id text NOT NULL,  -- the alert id, or 'test:<uuid>'
    subscription_id text NOT NULL,
    alert_id        text REFERENCES alerts (id),
    status          text NOT NULL CHECK (status IN ('sending', 'sent', 'retry', 'gone', 'failed')),
    attempts        integer NOT NULL DEFAULT 1,
    last_status     integer,
    detail          text,
    claimed_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    PRIMARY KEY (notification_id, subscription_id)
);

-- The committed offset of an open upload as the sweeper last saw it change.
CREATE TABLE upload_progress (
    upload_id  text PRIMARY KEY REFERENCES uploads (id),
    committed  bigint NOT NULL,
    since      timestamptz NOT NULL DEFAULT now()
);

-- When a periodic watch (e.g. the full audit chain verify) last ran, and what it found.
CREATE TABLE watch_state (
    name    text PRIMARY KEY,
    ran_at  timestamptz NOT NULL,
    detail  jsonb NOT NULL DEFAULT '{}'
);

-- A day's random sample of released declarations, drawn once per post and day and kept.
CREATE TABLE review_days (
    post_code  text NOT NULL REFERENCES posts (code),
    day        date NOT NULL,
    rate       double precision NOT NULL,
    population integer NOT NULL,
    drawn_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_code, day)
);

CREATE TABLE review_samples (
    declaration_id text PRIMARY KEY REFERENCES declarations (id),
    post_code      text NOT NULL,
    day            date NOT NULL,
    rank           integer NOT NULL,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'reviewed', 'flagged')),
    note           text,
    reviewed_by    text REFERENCES users (id),
    reviewed_at    timestamptz,
    FOREIGN KEY (post_code, day) REFERENCES review_days (post_code, day)
);
CREATE INDEX review_samples_day ON review_samples (post_code, day, rank);

CREATE INDEX release_decisions_decided ON release_decisions (decided_at);
CREATE INDEX declarations_plate ON declarations (vehicle_plate);
CREATE INDEX declarations_post_created ON declarations (post_code, created_at);
CREATE INDEX inspections_post_status ON inspections (post_code, status);
CREATE INDEX inspection_assignments_inspector ON inspection_assignments (inspector_id);
CREATE INDEX uploads_inspection_open ON uploads (inspection_id) WHERE state = 'open';
