-- The whole Models resource (the Models resource (README, lib/openapi.json)): soft delete, source
-- texts, create, read, list, restore and purge.
--
-- Existing rows are carried over as they are: their digests are identities
-- and are never recomputed; their values become text (jsonb's rendering,
-- which is valid JSON the read route parses and renders again).

ALTER TABLE model_versions
	ADD COLUMN deleted_at timestamptz,
	ADD COLUMN project_id bigint REFERENCES projects (id),
	ADD COLUMN source_digest text;

UPDATE model_versions v
   SET project_id = m.project_id,
       source_digest = CASE
           WHEN jsonb_typeof(v.val -> 'files' -> 'obj.py') = 'string'
           THEN v.val -> 'files' ->> 'obj.py' END
  FROM models m
 WHERE m.id = v.model_id;

ALTER TABLE model_versions
	ALTER COLUMN project_id SET NOT NULL,
	-- text, not jsonb: jsonb reorders keys and rewrites numbers, and a read
	-- gives attributes back in the order they were sent.
	ALTER COLUMN val TYPE text USING val::text,
	DROP CONSTRAINT model_versions_model_id_digest_key;

-- Identical live content is one version: a single indexed lookup. Deleted
-- versions may share a digest with each other and with a live one.
CREATE UNIQUE INDEX model_versions_live_digest
	ON model_versions (model_id, digest) WHERE deleted_at IS NULL;
CREATE INDEX model_versions_digest
	ON model_versions (model_id, digest, version_index);
-- The list's order, so it streams from the index without a sort.
CREATE INDEX model_versions_list
	ON model_versions (project_id, created_at, version_index, id)
	WHERE deleted_at IS NULL;
CREATE INDEX model_versions_deleted
	ON model_versions (deleted_at) WHERE deleted_at IS NOT NULL;

-- Source texts, once per project and digest. bytea: source_code may hold
-- U+0000, which text cannot.
CREATE TABLE model_sources (
	project_id	bigint NOT NULL REFERENCES projects (id),
	digest		text NOT NULL,
	source		bytea NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (project_id, digest)
);

-- What operators did through models-admin (restore, purge).
CREATE TABLE admin_audit (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	action		text NOT NULL,
	actor		text NOT NULL DEFAULT session_user,
	entity		text,
	project		text,
	object_id	text,
	digests		text[],
	count		bigint NOT NULL,
	detail		text
);

-- Live versions only, from here on.
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
			 WHERE model_id = p_model_id AND deleted_at IS NULL
			 ORDER BY version_index DESC LIMIT 1;
		ELSIF r ~ '^v[0-9]+$' THEN
			digits := ltrim(substr(r, 2), '0');
			-- More than 18 digits cannot be a bigint index.
			IF length(digits) <= 18 THEN
				SELECT id INTO v_id FROM model_versions
				 WHERE model_id = p_model_id AND deleted_at IS NULL
				   AND version_index = coalesce(nullif(digits, ''), '0')::bigint;
			END IF;
		ELSE
			SELECT id INTO v_id FROM model_versions
			 WHERE model_id = p_model_id AND deleted_at IS NULL
			   AND digest = r;
		END IF;
		IF v_id IS NULL THEN
			missing := missing || r;
		ELSIF NOT v_id = ANY (ids) THEN
			ids := ids || v_id;
		END IF;
	END LOOP;
END;
$$;

-- The delete of 002, made soft: versions get deleted_at instead of going.
-- Everything else (statuses, the read-only miss, the lock) is unchanged.
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
			IF cardinality(v_missing) > 0 THEN
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
	                          digests, num_deleted, request_id)
	VALUES (key_id, p_entity, p_project, p_object_id, p_refs, v_digests,
	        num_deleted, p_request_id);
	status := 0;
END;
$$;

-- Writes a version of a model in an existing project (the model row is
-- made on first use): under the model's row lock, which creates and deletes
-- of one model share, the live version with this digest is the answer if
-- there is one; otherwise a new live version takes the next index, which
-- is never reused. Returns the version's index.
CREATE OR REPLACE FUNCTION version_put(p_project_id bigint,
	p_object_id text, p_digest text, p_val text, p_source_digest text,
	p_source bytea)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_model_id bigint;
	v_index bigint;
BEGIN
	INSERT INTO models (project_id, object_id)
	    VALUES (p_project_id, p_object_id) ON CONFLICT DO NOTHING;
	SELECT id INTO v_model_id FROM models
	 WHERE project_id = p_project_id AND object_id = p_object_id
	   FOR UPDATE;
	SELECT version_index INTO v_index FROM model_versions
	 WHERE model_id = v_model_id AND digest = p_digest
	   AND deleted_at IS NULL;
	IF FOUND THEN
		RETURN v_index;
	END IF;
	IF p_source IS NOT NULL THEN
		INSERT INTO model_sources (project_id, digest, source)
		VALUES (p_project_id, p_source_digest, p_source)
		ON CONFLICT DO NOTHING;
	END IF;
	UPDATE models SET next_version_index = next_version_index + 1
	 WHERE id = v_model_id
	RETURNING next_version_index - 1 INTO v_index;
	INSERT INTO model_versions (model_id, project_id, version_index, digest,
	                            val, source_digest)
	VALUES (v_model_id, p_project_id, v_index, p_digest, p_val,
	        p_source_digest);
	RETURN v_index;
END;
$$;

-- The files["obj.py"] of a value, or NULL: what a read needs to find the
-- source text. The value is JSON text made by the app or models-admin.
CREATE OR REPLACE FUNCTION val_source_digest(p_val text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN json_typeof(p_val::json -> 'files' -> 'obj.py') = 'string'
	            THEN p_val::json -> 'files' ->> 'obj.py' END
$$;

-- POST .../models: status 0 written or found (version_index set), 1 no live
-- key, 2 forbidden. The project is made on first use. Identical content
-- that is already live is found read-only first: no lock, no transaction
-- id, no WAL flush; only a real write takes the model's lock.
CREATE OR REPLACE FUNCTION model_create(p_key_hash bytea, p_entity text,
	p_project text, p_object_id text, p_digest text, p_val text,
	p_source_digest text, p_source bytea,
	OUT status integer, OUT key_id bigint, OUT version_index bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v_role text;
	v_entity_id bigint;
	v_entity text;
	v_project_id bigint;
BEGIN
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
	status := 0;
	SELECT p.id, v.version_index INTO v_project_id, version_index
	  FROM projects p
	  LEFT JOIN models m ON m.project_id = p.id AND m.object_id = p_object_id
	  LEFT JOIN model_versions v ON v.model_id = m.id
	       AND v.digest = p_digest AND v.deleted_at IS NULL
	 WHERE p.entity_id = v_entity_id AND p.name = p_project;
	IF version_index IS NOT NULL THEN
		RETURN;
	END IF;
	IF v_project_id IS NULL THEN
		INSERT INTO projects (entity_id, name)
		VALUES (v_entity_id, p_project) ON CONFLICT DO NOTHING;
		SELECT id INTO v_project_id FROM projects
		 WHERE entity_id = v_entity_id AND name = p_project;
	END IF;
	version_index := version_put(v_project_id, p_object_id, p_digest, p_val,
	    p_source_digest, p_source);
END;
$$;

-- models-admin's writes: entity and project are made as needed.
CREATE OR REPLACE FUNCTION admin_project(p_entity text, p_project text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	v_entity_id bigint;
	v_project_id bigint;
BEGIN
	INSERT INTO entities (name) VALUES (p_entity) ON CONFLICT DO NOTHING;
	SELECT id INTO v_entity_id FROM entities WHERE name = p_entity;
	INSERT INTO projects (entity_id, name) VALUES (v_entity_id, p_project)
	    ON CONFLICT DO NOTHING;
	SELECT id INTO v_project_id FROM projects
	 WHERE entity_id = v_entity_id AND name = p_project;
	RETURN v_project_id;
END;
$$;

-- model add keeps its name; the value is text now (002's jsonb form goes).
DROP FUNCTION model_add(text, text, text, text, jsonb);
CREATE OR REPLACE FUNCTION model_add(p_entity text, p_project text,
	p_object_id text, p_digest text, p_val text,
	OUT digest text, OUT version_index bigint)
LANGUAGE plpgsql AS $$
BEGIN
	version_index := version_put(admin_project(p_entity, p_project),
	    p_object_id, p_digest, p_val, val_source_digest(p_val), NULL);
	digest := p_digest;
END;
$$;

-- model create: what POST does, without a key.
CREATE OR REPLACE FUNCTION model_create_admin(p_entity text, p_project text,
	p_object_id text, p_digest text, p_val text, p_source_digest text,
	p_source bytea)
RETURNS bigint LANGUAGE sql AS $$
	SELECT version_put(admin_project(p_entity, p_project), p_object_id,
	    p_digest, p_val, p_source_digest, p_source)
$$;

-- The version a reference names, deleted ones included: 'latest' is the
-- live version with the highest index, or else the deleted one with the
-- highest; 'vN' is index N (more than 18 digits name none); a digest is its
-- live version, or else its deleted one with the highest index. NULL when
-- nothing matches.
CREATE OR REPLACE FUNCTION version_find(p_model_id bigint, p_ref text)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_digits text;
	v_id bigint;
BEGIN
	IF p_ref = 'latest' THEN
		SELECT id INTO v_id FROM model_versions v
		 WHERE v.model_id = p_model_id
		 ORDER BY v.deleted_at IS NULL DESC, v.version_index DESC LIMIT 1;
	ELSIF p_ref ~ '^v[0-9]+$' THEN
		v_digits := ltrim(substr(p_ref, 2), '0');
		IF length(v_digits) <= 18 THEN
			SELECT id INTO v_id FROM model_versions v
			 WHERE v.model_id = p_model_id AND v.version_index =
			       coalesce(nullif(v_digits, ''), '0')::bigint;
		END IF;
	ELSE
		SELECT id INTO v_id FROM model_versions v
		 WHERE v.model_id = p_model_id AND v.digest = p_ref
		 ORDER BY v.deleted_at IS NULL DESC, v.version_index DESC LIMIT 1;
	END IF;
	RETURN v_id;
END;
$$;

-- GET .../versions/{ref}: status 0 found (deleted_at set when the version
-- was deleted), 1 no live key, 2 forbidden, 3 project not found, 4 nothing
-- matches. A live match wins; otherwise the deleted match with the highest
-- index answers (for 'latest' too, as Weave's ClickHouse back end does).
CREATE OR REPLACE FUNCTION model_read(p_key_hash bytea, p_entity text,
	p_project text, p_object_id text, p_ref text,
	OUT status integer, OUT key_id bigint, OUT digest text,
	OUT version_index bigint, OUT created_at timestamptz,
	OUT deleted_at timestamptz, OUT val text, OUT source_digest text,
	OUT source bytea)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_entity_id bigint;
	v_entity text;
	v_project_id bigint;
	v_model_id bigint;
	v_id bigint;
BEGIN
	SELECT k.id, k.entity_id, e.name INTO key_id, v_entity_id, v_entity
	  FROM api_keys k JOIN entities e ON e.id = k.entity_id
	 WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL;
	IF NOT FOUND THEN
		status := 1;
		RETURN;
	END IF;
	IF v_entity <> p_entity THEN
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
	v_id := version_find(v_model_id, p_ref);
	IF v_id IS NULL THEN
		status := 4;
		RETURN;
	END IF;
	SELECT v.digest, v.version_index, v.created_at, v.deleted_at, v.val,
	       v.source_digest, s.source
	  INTO digest, version_index, created_at, deleted_at, val,
	       source_digest, source
	  FROM model_versions v
	  LEFT JOIN model_sources s ON s.project_id = v.project_id
	       AND s.digest = v.source_digest
	 WHERE v.id = v_id;
	status := 0;
END;
$$;

-- models-admin model restore: status 0 restored, 1 already live (nothing
-- written), 2 its digest is live under another index, 3 nothing matches.
-- p_ref is a digest or vN (never 'latest'). For a digest, the deleted
-- version with the highest index comes back. It keeps its index and
-- created_at, so it takes its old place in lists.
CREATE OR REPLACE FUNCTION model_restore(p_entity text, p_project text,
	p_object_id text, p_ref text,
	OUT status integer, OUT digest text, OUT version_index bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v_model_id bigint;
	v_id bigint;
	v_deleted timestamptz;
BEGIN
	SELECT m.id INTO v_model_id
	  FROM entities e JOIN projects p ON p.entity_id = e.id
	  JOIN models m ON m.project_id = p.id
	 WHERE e.name = p_entity AND p.name = p_project
	   AND m.object_id = p_object_id
	   FOR UPDATE OF m;
	v_id := version_find(v_model_id, p_ref);
	IF v_id IS NULL THEN
		status := 3;
		RETURN;
	END IF;
	SELECT v.digest, v.version_index, v.deleted_at
	  INTO digest, version_index, v_deleted
	  FROM model_versions v WHERE v.id = v_id;
	IF v_deleted IS NULL THEN
		status := 1;
		RETURN;
	END IF;
	PERFORM 1 FROM model_versions v
	 WHERE v.model_id = v_model_id AND v.digest = model_restore.digest
	   AND v.deleted_at IS NULL;
	IF FOUND THEN
		status := 2;
		RETURN;
	END IF;
	UPDATE model_versions SET deleted_at = NULL WHERE id = v_id;
	-- The model's lock keeps deletes and creates out, not purge: one that
	-- committed while this waited for the row removed it.
	IF NOT FOUND THEN
		status := 3;
		RETURN;
	END IF;
	INSERT INTO admin_audit (action, entity, project, object_id, digests,
	                         count, detail)
	VALUES ('restore', p_entity, p_project, p_object_id,
	        ARRAY[model_restore.digest], 1,
	        format('%s v%s', p_ref, version_index));
	status := 0;
END;
$$;

-- models-admin purge: removes for good the versions deleted before
-- p_before, then the source texts no version uses any more. The table lock
-- waits for creates in flight and holds new ones back until commit, so a
-- create never points at a source text this purge is removing.
CREATE OR REPLACE FUNCTION model_purge(p_before timestamptz,
	OUT versions bigint, OUT sources bigint)
LANGUAGE plpgsql AS $$
BEGIN
	LOCK TABLE model_sources IN EXCLUSIVE MODE;
	WITH d AS (
		DELETE FROM model_versions WHERE deleted_at < p_before
		RETURNING 1
	)
	SELECT count(*) INTO versions FROM d;
	WITH d AS (
		DELETE FROM model_sources s
		 WHERE NOT EXISTS (SELECT 1 FROM model_versions v
		                    WHERE v.project_id = s.project_id
		                      AND v.source_digest = s.digest)
		RETURNING 1
	)
	SELECT count(*) INTO sources FROM d;
	INSERT INTO admin_audit (action, count, detail)
	VALUES ('purge', versions, format('deleted before %s; %s sources',
	        p_before, sources));
END;
$$;
