-- A delete's audit row says what was asked: every version, or the versions
-- a list of references named, and where that list was sent (the repeated
-- `digests` query keys, or a JSON body as Weave's open-source router takes
-- it). refs alone said it only through NULL, which reads as "unknown" as
-- easily as "all".
--
-- Rows written before this migration came from the query form, the only
-- one there was: refs NULL is 'all', anything else 'query'. The default
-- fills them without rewriting the table; only the 'all' rows are touched.
ALTER TABLE delete_audit ADD COLUMN scope text NOT NULL DEFAULT 'query';
UPDATE delete_audit SET scope = 'all' WHERE refs IS NULL;
ALTER TABLE delete_audit
	ALTER COLUMN scope DROP DEFAULT,
	ADD CONSTRAINT delete_audit_scope
	    CHECK (scope IN ('all', 'query', 'body')),
	ADD CONSTRAINT delete_audit_scope_refs
	    CHECK ((scope = 'all') = (refs IS NULL));

-- The delete of 004 with where its references came from (p_refs_from,
-- 'query' or 'body'; ignored when p_refs is NULL). An empty list of
-- references names no version: it deletes nothing and answers the 404 of
-- a list that resolved to nothing, "Object OID ([]) not found when
-- deleting." (never "every version", and never a 200 for nothing).
-- p_refs_from defaults to 'query', so the six-argument call of a service
-- started before this migration keeps working.
DROP FUNCTION delete_model(bytea, text, text, text, text[], text);
CREATE FUNCTION delete_model(p_key_hash bytea, p_entity text,
	p_project text, p_object_id text, p_refs text[], p_request_id text,
	p_refs_from text DEFAULT 'query',
	OUT status integer, OUT num_deleted integer, OUT message text,
	OUT key_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v_role text;
	v_entity_id bigint;
	v_entity text;
	v_project_id bigint;
	v_model_id bigint;
	v_ids bigint[];
	v_missing text[];
	v_digests text[];
	v_pass integer;
BEGIN
	num_deleted := 0;
	SELECT k.id, k.role, k.entity_id, e.name
	  INTO key_id, v_role, v_entity_id, v_entity
	  FROM api_keys k JOIN entities e ON e.id = k.entity_id
	 WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL;
	IF NOT FOUND THEN
		status := 1;
		RETURN;
	END IF;
	IF v_entity <> p_entity OR v_role NOT IN ('write', 'admin') THEN
		status := 2;
		RETURN;
	END IF;
	SELECT id INTO v_project_id FROM projects
	 WHERE entity_id = v_entity_id AND name = p_project;
	IF NOT FOUND THEN
		status := 3;
		RETURN;
	END IF;
	SELECT id INTO v_model_id FROM models
	 WHERE project_id = v_project_id AND object_id = p_object_id;

	FOR v_pass IN 1 .. 2 LOOP
		IF v_pass = 2 THEN
			PERFORM 1 FROM models WHERE id = v_model_id FOR UPDATE;
		END IF;
		IF p_refs IS NULL THEN
			v_missing := '{}';
			v_ids := ARRAY(SELECT id FROM model_versions
			                WHERE model_id = v_model_id
			                  AND deleted_at IS NULL
			                LIMIT CASE WHEN v_pass = 1 THEN 1 END);
			IF cardinality(v_ids) = 0 THEN
				status := 4;
				message := not_found_message(p_object_id, NULL, 0, NULL);
				RETURN;
			END IF;
		ELSE
			SELECT r.ids, r.missing INTO v_ids, v_missing
			  FROM resolve_refs(v_model_id, p_refs) AS r;
			-- No version found and none missing: the list was empty.
			IF cardinality(v_missing) > 0 OR cardinality(v_ids) = 0 THEN
				status := 4;
				message := not_found_message(p_object_id, p_refs,
				    cardinality(v_ids), v_missing);
				RETURN;
			END IF;
		END IF;
	END LOOP;

	WITH d AS (
		UPDATE model_versions SET deleted_at = now()
		 WHERE id = ANY (v_ids)
		RETURNING digest, version_index
	)
	SELECT array_agg(digest ORDER BY version_index), count(*)
	  INTO v_digests, num_deleted FROM d;
	INSERT INTO delete_audit (key_id, entity, project, object_id, refs,
	                          digests, num_deleted, request_id, scope)
	VALUES (key_id, p_entity, p_project, p_object_id, p_refs, v_digests,
	        num_deleted, p_request_id,
	        CASE WHEN p_refs IS NULL THEN 'all' ELSE p_refs_from END);
	status := 0;
END;
$$;
