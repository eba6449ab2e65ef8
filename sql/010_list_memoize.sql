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
-- did.
--
-- The status and the key's id only on the first row: the app reads them
-- there and nowhere else, and two more columns per line were two more
-- send calls per row (about a tenth of PostgreSQL's time per line). The
-- first row is the one at the offset: the offset's key (k, found as in
-- 009, by an index-only scan) is a lateral row here, not a row
-- sub-select, so the stream can both start at it and tell it by its id
-- (unique). With no version to give (a refusal, an empty project, an
-- offset past the end, limit 0) the one row is the status row, as in 009.
-- The versions are a lateral subquery over k, so their index scan starts
-- at k's key (an index condition, never a filter). Their order is that
-- subquery's ORDER BY, kept as in 009 by nested loops alone (the only
-- join a lateral reference allows; k is at most one row): an ORDER BY
-- out here would not be seen as met already and would add a Sort of the
-- whole list.
--
-- Everything else (the authorization, limit and offset read through
-- sub-selects for one generic plan per connection) is 009's.
CREATE OR REPLACE FUNCTION model_list(p_key_hash bytea, p_entity text,
	p_project text, p_limit bigint, p_offset bigint)
RETURNS TABLE (status integer, key_id bigint, digest text,
	version_index bigint, created_at timestamptz, deleted_at timestamptz,
	val text, source_digest text, source bytea, object_id text)
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN l.first IS NOT FALSE THEN s.status END,
	       CASE WHEN l.first IS NOT FALSE THEN s.key_id END,
	       l.digest, l.version_index, l.created_at,
	       NULL::timestamptz, l.val, l.source_digest, l.source, l.object_id
	  FROM authorize_project(p_key_hash, p_entity, p_project, false) AS s
	  LEFT JOIN LATERAL (
		SELECT x.object_id, v.digest, v.version_index, v.created_at,
		       v.val, v.source_digest, x.source, v.id = k.id AS first
		  FROM (SELECT w.project_id, w.created_at, w.version_index, w.id
			  FROM model_versions w
			 WHERE w.project_id = s.project_id AND w.deleted_at IS NULL
			 ORDER BY w.created_at, w.version_index, w.id
			OFFSET (SELECT p_offset) LIMIT 1) AS k
		  CROSS JOIN LATERAL (
			SELECT v.id, v.model_id, v.project_id, v.digest,
			       v.version_index, v.created_at, v.val,
			       v.source_digest
			  FROM model_versions v
			 WHERE v.project_id = s.project_id
			   AND v.deleted_at IS NULL
			   AND (v.project_id, v.created_at, v.version_index,
			        v.id) >= (k.project_id, k.created_at,
			        k.version_index, k.id)
			 ORDER BY v.created_at, v.version_index, v.id
			 LIMIT (SELECT p_limit)) AS v
		  CROSS JOIN LATERAL (
			SELECT (SELECT m.object_id FROM models m
			         WHERE m.id = v.model_id) AS object_id,
			       (SELECT src.source FROM model_sources src
			         WHERE src.project_id = v.project_id
			           AND src.digest = v.source_digest) AS source
			OFFSET 0) AS x) AS l ON true
$$;
