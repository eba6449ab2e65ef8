-- The list's two lookups per version (the model's object_id, the source
-- text) moved into one lateral subquery PostgreSQL can Memoize. As scalar
-- sub-selects in the select list they ran an index scan each for every
-- row: on a 1M-version project two index descents per line, more than
-- half of PostgreSQL's time. The same two sub-selects, unchanged, now form
-- a one-row subquery joined laterally to each version; a Memoize node
-- caches its row by what it reads of the version (model_id, project_id,
-- source_digest). A project has far fewer models and source texts than
-- versions, so nearly every line is one hash probe; the cache is bounded
-- by hash_mem (it evicts, it never grows past it), so memory stays flat.
-- One subquery, not two joins: one probe per line instead of two.
--
-- The rows are the same by construction: the subquery is the old select
-- list's two expressions and always gives exactly one row, and a cached
-- row is what the subquery gives for the same inputs within the
-- statement. OFFSET 0 keeps the subquery from being flattened into the
-- select list again: it stays the inner side of a nested loop over the
-- ordered index scan (Memoized or not), so the rows keep the index's
-- order and no Sort appears; without a Memoize the plan does what 009's
-- did. Everything else (the authorization, the offset skipped in the
-- index, limit and offset read through sub-selects for one generic plan
-- per connection) is 009's.
CREATE OR REPLACE FUNCTION model_list(p_key_hash bytea, p_entity text,
	p_project text, p_limit bigint, p_offset bigint)
RETURNS TABLE (status integer, key_id bigint, digest text,
	version_index bigint, created_at timestamptz, deleted_at timestamptz,
	val text, source_digest text, source bytea, object_id text)
LANGUAGE sql STABLE AS $$
	SELECT s.status, s.key_id, l.digest, l.version_index, l.created_at,
	       NULL::timestamptz, l.val, l.source_digest, l.source, l.object_id
	  FROM authorize_project(p_key_hash, p_entity, p_project, false) AS s
	  LEFT JOIN LATERAL (
		SELECT x.object_id, v.digest, v.version_index, v.created_at,
		       v.val, v.source_digest, x.source
		  FROM model_versions v
		  CROSS JOIN LATERAL (
			SELECT (SELECT m.object_id FROM models m
			         WHERE m.id = v.model_id) AS object_id,
			       (SELECT src.source FROM model_sources src
			         WHERE src.project_id = v.project_id
			           AND src.digest = v.source_digest) AS source
			OFFSET 0) AS x
		 WHERE v.project_id = s.project_id AND v.deleted_at IS NULL
		   AND (v.project_id, v.created_at, v.version_index, v.id) >= (
			SELECT w.project_id, w.created_at, w.version_index, w.id
			  FROM model_versions w
			 WHERE w.project_id = s.project_id AND w.deleted_at IS NULL
			 ORDER BY w.created_at, w.version_index, w.id
			OFFSET (SELECT p_offset) LIMIT 1)
		 ORDER BY v.created_at, v.version_index, v.id
		 LIMIT (SELECT p_limit)) AS l ON true
$$;
