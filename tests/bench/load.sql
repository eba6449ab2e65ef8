-- make bench data, loaded with psql -v n=N (versions per hit project).
-- The entity "bench" exists already (models-admin key create made it).
--   hitw/0 .. hitw/N-1   one version each (v0): wrk's hit run deletes them
--   hitp/0 .. hitp/N-1   the same for pgbench's hit run
--   miss/m               three versions; the miss runs ask for v999999
-- Written straight into the tables, as model_add would leave them:
-- next_version_index is one past the highest index, digests are Weave's
-- form (SHA-256, URL-safe base64 with - as X and _ as Y, no padding).
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO projects (entity_id, name)
SELECT e.id, p.name FROM entities e,
       (VALUES ('hitw'), ('hitp'), ('miss')) AS p (name)
 WHERE e.name = 'bench';
INSERT INTO models (project_id, object_id, next_version_index)
SELECT p.id, g::text, 1
  FROM projects p, generate_series(0, :n - 1) AS g
 WHERE p.name IN ('hitw', 'hitp');
INSERT INTO models (project_id, object_id, next_version_index)
SELECT id, 'm', 3 FROM projects WHERE name = 'miss';
INSERT INTO model_versions (model_id, project_id, version_index, digest, val)
SELECT m.id, m.project_id, i,
       translate(rtrim(encode(sha256(convert_to(m.id || '/' || i, 'UTF8')),
                              'base64'), '='), '+/', 'XY'),
       jsonb_build_object('i', i)::text
  FROM models m JOIN projects p ON p.id = m.project_id,
       generate_series(0, m.next_version_index - 1) AS i
 WHERE p.name IN ('hitw', 'hitp', 'miss');
COMMIT;
VACUUM ANALYZE;
CHECKPOINT;
