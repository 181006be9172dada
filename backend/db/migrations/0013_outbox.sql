-- The transactional outbox (issue 14 item 1). An event is written in the same transaction as
-- the change it reports, so a rolled-back change sends nothing and a committed one is never
-- lost. `seq` is the change feed's cursor: writers take one transaction-scoped advisory lock
-- before inserting (see backend/integration/outbox.py), so seq order is commit order and a
-- reader resuming `after` a seq never skips an event that commits later with a smaller one.
-- Events are history: never updated or deleted.
CREATE TABLE outbox_events (
    seq         bigserial PRIMARY KEY,
    id          uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    type        text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    occurred_at timestamptz NOT NULL DEFAULT now(),
    data        jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE FUNCTION outbox_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an outbox event is history: it is never changed or removed';
END $$;

CREATE TRIGGER outbox_events_immutable BEFORE UPDATE OR DELETE ON outbox_events
    FOR EACH ROW EXECUTE FUNCTION outbox_events_immutable();
