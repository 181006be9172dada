-- IDK scans: the image's bit depth (X-ray detectors give 12-16 bits; a model and a viewer
-- must know whether 0..255 or 0..65535 is the range), and the listing order per post.
ALTER TABLE idk_scans ADD COLUMN bit_depth smallint;

CREATE INDEX idk_scans_post_scanned ON idk_scans (post_code, scanned_at DESC, id);
