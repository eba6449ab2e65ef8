-- Keys get a label (what or whom the key is for, chosen by the operator)
-- and the time of their last use, for `models-admin key list`.
--
-- last_used_at is coarse on purpose: each models-api process calls
-- key_touch at most once an hour per key (lib/keyseen.c), after the
-- response, so the request path pays one small UPDATE per key per hour
-- and nothing else. It is therefore "used within the hour after this".

ALTER TABLE api_keys ADD COLUMN label text NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;

CREATE FUNCTION key_touch(p_key_id bigint) RETURNS void
LANGUAGE sql AS $$
	UPDATE api_keys SET last_used_at = now()
	 WHERE id = p_key_id
	   AND (last_used_at IS NULL OR last_used_at < now());
$$;
