-- The transactional outbox (issue 14 item 1). An event is written in the same transaction as
-- the change it reports, so a rolled-back change sends nothing and a committed one is never
-- lost. `seq` is the change feed's cursor and is given at commit: a deferred trigger takes one
-- transaction-scoped advisory lock and numbers the transaction's events as its last act, so
-- seq order is commit order and a reader resuming `after` a seq never misses an event that
-- commits later. Taking the lock last (after every row lock of the change) cannot deadlock.
-- Events are history: never changed (beyond that numbering) nor deleted.
CREATE SEQUENCE outbox_events_seq;

CREATE TABLE outbox_events (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq         bigint UNIQUE,
    type        text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    occurred_at timestamptz NOT NULL DEFAULT now(),
    data        jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE FUNCTION outbox_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND (NEW.id, NEW.type, NEW.occurred_at, NEW.data)
           IS NOT DISTINCT FROM (OLD.id, OLD.type, OLD.occurred_at, OLD.data) THEN
        RETURN NEW;  -- the commit-time numbering, once
    END IF;
    RAISE EXCEPTION 'an outbox event is history: it is never changed or removed';
END $$;

CREATE TRIGGER outbox_events_immutable BEFORE UPDATE OR DELETE ON outbox_events
    FOR EACH ROW EXECUTE FUNCTION outbox_events_immutable();

-- 0x0D050B0C: an arbitrary, fixed key; only this trigger takes it.
CREATE FUNCTION outbox_events_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(218434316);
    UPDATE outbox_events SET seq = nextval('outbox_events_seq') WHERE id = NEW.id;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER outbox_events_number AFTER INSERT ON outbox_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outbox_events_number();

-- Declarations' `updated_at` follows every change of their row (GET /api/declarations
-- ?updated_since=), whichever code path made it.
CREATE FUNCTION declarations_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER declarations_touch BEFORE UPDATE ON declarations
    FOR EACH ROW EXECUTE FUNCTION declarations_touch();
