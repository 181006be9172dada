-- Webhooks of the declaration system (issue 14 item 1). The admin registers a URL, a secret
-- (kept to sign, never shown again) and the event types it wants; disabling keeps the row.
-- One delivery row per (webhook, event), made in the event's own transaction by emit(), so a
-- committed event is never lost to a webhook and a rolled-back one is never sent. A delivered
-- row is never sent again; receivers dedupe by the event id (a worker killed between the
-- receiver's 2xx and the commit of `delivered` sends once more, with the same id).
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url         text NOT NULL,
    secret      text NOT NULL CHECK (length(secret) >= 16),
    events      text[] NOT NULL CHECK (cardinality(events) > 0),
    enabled     boolean NOT NULL DEFAULT true,
    created_by  text REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

CREATE TABLE webhook_deliveries (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id   uuid NOT NULL REFERENCES webhooks (id),
    event_id     uuid NOT NULL REFERENCES outbox_events (id),
    state        text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'dead')),
    attempts     integer NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL DEFAULT now(),
    last_status  integer,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (webhook_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'queued';

CREATE FUNCTION webhook_deliveries_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a webhook delivery is history: it is never removed';
END $$;

CREATE TRIGGER webhook_deliveries_kept BEFORE DELETE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_kept();
CREATE TRIGGER webhooks_kept BEFORE DELETE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_kept();
