-- The list's two lookups per version (the model's object_id, the source
-- text) as lateral joins instead of scalar sub-selects. A scalar sub-select
-- runs its index scan again for every row: on a 1M-version project that
-- was two index descents per line, more than half of PostgreSQL's time.
-- A lateral join on the same condition can be cached by a Memoize node,
-- keyed by the row's model_id (and by project and source digest): a
-- project has far fewer models and source texts than versions, so nearly
-- every row is a hash probe, and the cache is bounded by hash_mem (it
-- evicts, it never grows past it), so memory stays flat.
--
-- The rows are the same: both keys are unique (models' primary key,
-- model_sources' primary key), so each join gives at most one row, and
-- LEFT JOIN gives NULL where the sub-select gave NULL. OFFSET 0 keeps
-- each lookup a subquery the planner may not flatten: it can only be the
-- inner side of a nested loop over the ordered index scan (Memoized or
-- not), never a hash join, so the rows keep the index's order and no Sort
-- appears; without a Memoize the plan is the old one. Everything else
-- (the authorization, the offset skipped in the index, limit and offset
-- read through sub-selects for one generic plan per connection) is 009's.
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
		SELECT m.object_id, v.digest, v.version_index, v.created_at,
		       v.val, v.source_digest, src.source
		  FROM model_versions v
		  LEFT JOIN LATERAL (
			SELECT m.object_id FROM models m
			 WHERE m.id = v.model_id OFFSET 0) AS m ON true
		  LEFT JOIN LATERAL (
			SELECT src.source FROM model_sources src
			 WHERE src.project_id = v.project_id
			   AND src.digest = v.source_digest OFFSET 0) AS src ON true
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
