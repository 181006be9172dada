-- Pre-arrival consists from the railway: the train's wagons in order with their goods, as the
-- railway announced them before arrival. One consist per train number and date (a resend of the
-- same consist is the same row); a consist is never rewritten, its scans are aligned on read.
CREATE TABLE rail_consists (
    id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    post_code    text NOT NULL REFERENCES posts (code),
    train_number text NOT NULL,
    train_date   date NOT NULL,
    station      text NOT NULL,
    expected_at  timestamptz NOT NULL,
    body_sha256  text NOT NULL,
    created_by   text NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (train_number, train_date)
);

CREATE TABLE rail_consist_wagons (
    consist_id        text NOT NULL REFERENCES rail_consists (id),
    position          integer NOT NULL CHECK (position > 0),
    wagon_number      text NOT NULL,
    container_numbers text[] NOT NULL DEFAULT '{}',
    consignor         text NOT NULL DEFAULT '',
    consignee         text NOT NULL DEFAULT '',
    goods             jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (consist_id, position),
    UNIQUE (consist_id, wagon_number)
);
CREATE INDEX rail_consist_wagons_wagon ON rail_consist_wagons (wagon_number);

CREATE FUNCTION rail_consists_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a pre-arrival consist is evidence: send a new one instead';
END $$;
CREATE TRIGGER rail_consists_immutable BEFORE UPDATE OR DELETE ON rail_consists
    FOR EACH ROW EXECUTE FUNCTION rail_consists_immutable();
CREATE TRIGGER rail_consist_wagons_immutable BEFORE UPDATE OR DELETE ON rail_consist_wagons
    FOR EACH ROW EXECUTE FUNCTION rail_consists_immutable();
