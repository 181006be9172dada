-- IDK assistance: links keep their history, manual links, conclusions of the operator.

-- A link is never deleted: unlinking stamps the row (who, when, why) and readers take only
-- active rows. The pair may be linked again later, so the key becomes a surrogate id and
-- one ACTIVE row per pair is what stays unique.
ALTER TABLE scan_links DROP CONSTRAINT scan_links_pkey;
ALTER TABLE scan_links
    ADD COLUMN id          text NOT NULL DEFAULT gen_random_uuid()::text,
    ADD COLUMN linked_by   text REFERENCES users (id),
    ADD COLUMN link_reason text,
    -- a manual link names the declared units the image shows (the scanner misread them)
    ADD COLUMN covers_wagon text NOT NULL DEFAULT '',
    ADD COLUMN covers_containers text[] NOT NULL DEFAULT '{}',
    ADD COLUMN unlinked_at timestamptz,
    ADD COLUMN unlinked_by text REFERENCES users (id),
    ADD COLUMN reason      text;
ALTER TABLE scan_links ADD PRIMARY KEY (id);
ALTER TABLE scan_links ADD CONSTRAINT scan_links_unlink_complete
    CHECK ((unlinked_at IS NULL) = (unlinked_by IS NULL)
           AND (unlinked_at IS NULL OR coalesce(reason, '') <> ''));
CREATE UNIQUE INDEX scan_links_active ON scan_links (scan_id, declaration_id)
    WHERE unlinked_at IS NULL;
CREATE INDEX scan_links_scan ON scan_links (scan_id);

CREATE FUNCTION scan_links_history_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'scan_links rows are history: unlink instead of deleting';
    END IF;
    IF OLD.unlinked_at IS NOT NULL
       OR NEW.scan_id <> OLD.scan_id OR NEW.declaration_id <> OLD.declaration_id
       OR NEW.matched_on <> OLD.matched_on OR NEW.created_at <> OLD.created_at
       OR NEW.id <> OLD.id OR NEW.linked_by IS DISTINCT FROM OLD.linked_by
       OR NEW.link_reason IS DISTINCT FROM OLD.link_reason
       OR NEW.covers_wagon <> OLD.covers_wagon
       OR NEW.covers_containers <> OLD.covers_containers THEN
        RAISE EXCEPTION 'a scan link may only be unlinked, once';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER scan_links_history_only BEFORE UPDATE OR DELETE ON scan_links
    FOR EACH ROW EXECUTE FUNCTION scan_links_history_only();

-- The operator's conclusion (appendix 3 form), rendered once when the verdict is given and
-- stored beside the image; the digests are also in the audit chain.
CREATE TABLE idk_conclusions (
    scan_id     text PRIMARY KEY REFERENCES idk_scans (id),
    pdf_key     text NOT NULL,
    pdf_sha256  text NOT NULL,
    pdf_size    bigint NOT NULL,
    html_key    text NOT NULL,
    html_sha256 text NOT NULL,
    html_size   bigint NOT NULL,
    issued_by   text NOT NULL REFERENCES users (id),
    issued_at   timestamptz NOT NULL
);

CREATE FUNCTION idk_conclusions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an IDK conclusion is immutable';
END $$;
CREATE TRIGGER idk_conclusions_immutable BEFORE UPDATE OR DELETE ON idk_conclusions
    FOR EACH ROW EXECUTE FUNCTION idk_conclusions_immutable();
