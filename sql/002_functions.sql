-- The delete and the version insert, each one statement from the client.
--
-- Superseded: 004_models_resource.sql replaces resolve_refs and
-- delete_model (soft delete: live versions only, deleted_at instead of
-- DELETE) and drops this model_add for one taking text. These bodies stay
-- only because a fresh database still applies every migration in order;
-- the live definitions are 004's.

-- Resolves references to live versions of one model: 'latest' is the
-- highest version_index, 'vN' is index N (leading zeros allowed), anything
-- else an exact digest. ids holds each version once; missing holds the
-- references that resolved to nothing, in request order.
CREATE OR REPLACE FUNCTION resolve_refs(p_model_id bigint, p_refs text[],
	OUT ids bigint[], OUT missing text[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
	r text;
	digits text;
	v_id bigint;
BEGIN
	ids := '{}';
	missing := '{}';
	FOREACH r IN ARRAY p_refs LOOP
		v_id := NULL;
		IF p_model_id IS NULL THEN
			NULL;
		ELSIF r = 'latest' THEN
			SELECT id INTO v_id FROM model_versions
			 WHERE model_id = p_model_id
			 ORDER BY version_index DESC LIMIT 1;
		ELSIF r ~ '^v[0-9]+$' THEN
			digits := ltrim(substr(r, 2), '0');
			-- More than 18 digits cannot be a bigint index.
			IF length(digits) <= 18 THEN
				SELECT id INTO v_id FROM model_versions
				 WHERE model_id = p_model_id
				   AND version_index = coalesce(nullif(digits, ''), '0')::bigint;
			END IF;
		ELSE
			SELECT id INTO v_id FROM model_versions
			 WHERE model_id = p_model_id AND digest = r;
		END IF;
		IF v_id IS NULL THEN
			missing := missing || r;
		ELSIF NOT v_id = ANY (ids) THEN
			ids := ids || v_id;
		END IF;
	END LOOP;
END;
$$;

-- not_found_message(object_id, refs, found, missing), the 404 reason as
-- Weave words it, is defined in 003_plpgsql_message.sql; delete_model
-- below calls it only at run time, so it need not exist yet.

-- The whole delete request in one statement. status: 0 deleted, 1 no live
-- key, 2 forbidden, 3 project not found, 4 not found (message set).
--
-- A miss stays read-only: references are resolved first without locks, so
-- no transaction id (and no WAL flush at commit) is spent on a 404. Only
-- when every reference resolved is the model row locked, which serialises
-- the deletes of one model: each version is then counted by exactly one
-- request, and with one row lock per transaction there is no deadlock.
-- After the lock the references are resolved again, since a delete that
-- committed meanwhile may have taken some of them.
CREATE OR REPLACE FUNCTION delete_model(p_key_hash bytea, p_entity text,
	p_project text, p_object_id text, p_refs text[], p_request_id text,
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
			                LIMIT CASE WHEN v_pass = 1 THEN 1 END);
			IF cardinality(v_ids) = 0 THEN
				status := 4;
				message := not_found_message(p_object_id, NULL, 0, NULL);
				RETURN;
			END IF;
		ELSE
			SELECT r.ids, r.missing INTO v_ids, v_missing
			  FROM resolve_refs(v_model_id, p_refs) AS r;
			IF cardinality(v_missing) > 0 THEN
				status := 4;
				message := not_found_message(p_object_id, p_refs,
				    cardinality(v_ids), v_missing);
				RETURN;
			END IF;
		END IF;
	END LOOP;

	WITH d AS (
		DELETE FROM model_versions WHERE id = ANY (v_ids)
		RETURNING digest, version_index
	)
	SELECT array_agg(digest ORDER BY version_index), count(*)
	  INTO v_digests, num_deleted FROM d;
	INSERT INTO delete_audit (key_id, entity, project, object_id, refs,
	                          digests, num_deleted, request_id)
	VALUES (key_id, p_entity, p_project, p_object_id, p_refs, v_digests,
	        num_deleted, p_request_id);
	status := 0;
END;
$$;

-- Adds a version of a model (creating entity, project and model as needed)
-- or returns the live version that already has this digest.
CREATE OR REPLACE FUNCTION model_add(p_entity text, p_project text,
	p_object_id text, p_digest text, p_val jsonb,
	OUT digest text, OUT version_index bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v_entity_id bigint;
	v_project_id bigint;
	v_model_id bigint;
BEGIN
	INSERT INTO entities (name) VALUES (p_entity) ON CONFLICT DO NOTHING;
	SELECT id INTO v_entity_id FROM entities WHERE name = p_entity;
	INSERT INTO projects (entity_id, name) VALUES (v_entity_id, p_project)
	    ON CONFLICT DO NOTHING;
	SELECT id INTO v_project_id FROM projects
	 WHERE entity_id = v_entity_id AND name = p_project;
	INSERT INTO models (project_id, object_id)
	    VALUES (v_project_id, p_object_id) ON CONFLICT DO NOTHING;
	-- The same lock the delete takes: adds and deletes of a model queue.
	SELECT id INTO v_model_id FROM models
	 WHERE project_id = v_project_id AND object_id = p_object_id FOR UPDATE;

	SELECT v.digest, v.version_index INTO digest, version_index
	  FROM model_versions v
	 WHERE v.model_id = v_model_id AND v.digest = p_digest;
	IF FOUND THEN
		RETURN;
	END IF;
	UPDATE models SET next_version_index = next_version_index + 1
	 WHERE id = v_model_id
	RETURNING next_version_index - 1 INTO version_index;
	INSERT INTO model_versions (model_id, version_index, digest, val)
	VALUES (v_model_id, version_index, p_digest, p_val);
	digest := p_digest;
END;
$$;
