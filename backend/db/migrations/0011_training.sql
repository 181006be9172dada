-- Learning from the post's own footage (issue 12): every answer a person gives to an advisory
-- check becomes a labelled example: the frames they looked at, the label their answer implies,
-- who and when. `dosmotr training export DIR` writes these as a dataset for models/training.
CREATE TABLE training_examples (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  attestation_id text NOT NULL UNIQUE REFERENCES check_attestations (id),
  recording_id text NOT NULL REFERENCES recordings (id),
  report_version integer NOT NULL,
  check_name text NOT NULL,
  post_code text NOT NULL,
  -- e.g. completeness: empty_at_end | not_empty_at_end; recount: count_right | count_wrong
  label text NOT NULL,
  -- [{i, t, role ("start" | "end" | "tap"), key, sha256}]: the stored frames, never copies
  frames jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- the model's own leaning at validation time (finding code, params), to score it later
  model_code text NOT NULL DEFAULT '',
  model_params jsonb NOT NULL DEFAULT '{}'::jsonb,
  actor_id text NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_examples_check ON training_examples (check_name, created_at);

-- Examples are evidence of what a person said: never rewritten or removed.
CREATE FUNCTION training_examples_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'training examples are never changed (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER training_examples_immutable BEFORE UPDATE OR DELETE ON training_examples
    FOR EACH ROW EXECUTE FUNCTION training_examples_immutable();

-- Which model file a post's workers load for a role, set by `dosmotr models activate`
-- (audited); the reports already name each verdict's model and sha256.
CREATE TABLE model_activations (
  id bigserial PRIMARY KEY,
  model_name text NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  source text NOT NULL,
  reason text NOT NULL,
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
