-- Administration: one-time passwords, versioned post policies, login throttling.

ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- posts.policy stays the current policy (every reader keeps working); policy_versions keeps
-- each one ever in force. Triggers keep the two in step whoever writes posts: version 1 on
-- insert; a change the API makes (PUT /api/posts/{code}/policy, which names itself with
-- set_config('dosmotr.policy_change', 'version', true) and the author with
-- set_config('dosmotr.actor_id', id, true)) becomes version n+1, and inspections created before
-- it keep theirs. A plain SQL write of posts.policy (an operator's or a test's fix) is not an
-- administrative act: it amends the version in force, so the two never disagree.
ALTER TABLE posts ADD COLUMN policy_version integer NOT NULL DEFAULT 1;

CREATE TABLE policy_versions (
    post_code   text NOT NULL REFERENCES posts (code),
    version     integer NOT NULL CHECK (version >= 1),
    policy      jsonb NOT NULL,
    created_by  text REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_code, version)
);

INSERT INTO policy_versions (post_code, version, policy, created_at)
SELECT code, 1, policy, created_at FROM posts;

CREATE FUNCTION posts_policy_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.policy_version := 1;
    ELSIF NEW.policy IS DISTINCT FROM OLD.policy
          AND current_setting('dosmotr.policy_change', true) = 'version' THEN
        NEW.policy_version := OLD.policy_version + 1;
    ELSE
        NEW.policy_version := OLD.policy_version;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION posts_policy_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.policy_version <> OLD.policy_version THEN
        INSERT INTO policy_versions (post_code, version, policy, created_by)
        VALUES (NEW.code, NEW.policy_version, NEW.policy,
                nullif(current_setting('dosmotr.actor_id', true), ''));
    ELSIF NEW.policy IS DISTINCT FROM OLD.policy THEN
        UPDATE policy_versions SET policy = NEW.policy
        WHERE post_code = NEW.code AND version = NEW.policy_version;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_policy_version BEFORE INSERT OR UPDATE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_policy_version();
CREATE TRIGGER posts_policy_history AFTER INSERT OR UPDATE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_policy_history();

-- Every inspection keeps the policy version in force when it was created (NULL: before 0008).
ALTER TABLE inspections ADD COLUMN policy_version integer;

CREATE FUNCTION inspections_policy_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.policy_version IS NULL THEN
        NEW.policy_version := (SELECT policy_version FROM posts WHERE code = NEW.post_code);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER inspections_policy_version BEFORE INSERT ON inspections
    FOR EACH ROW EXECUTE FUNCTION inspections_policy_version();

-- Login attempts, shared by every API replica. A row is written before the password is
-- checked ('pending'), so concurrent guesses count too; `cleared_at` is an admin's unlock
-- (or the login's own success) and releases the per-login limit only, never the per-address one.
CREATE TABLE login_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login       text NOT NULL,
    address     text NOT NULL,
    outcome     text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'failed', 'ok')),
    at          timestamptz NOT NULL DEFAULT now(),
    cleared_at  timestamptz
);
CREATE INDEX login_attempts_login ON login_attempts (login, at) WHERE outcome <> 'ok';
CREATE INDEX login_attempts_address ON login_attempts (address, at) WHERE outcome <> 'ok';
