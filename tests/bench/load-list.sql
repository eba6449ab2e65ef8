-- make bench data for the list runs, loaded with psql -v project=NAME
-- -v n=N: N versions in project NAME of the entity "bench", spread over
-- N/1000 models (at least one) and created in turn (version g belongs to
-- model g mod M, where it has index g div M), one millisecond apart, so
-- the list interleaves the models. Every value is the text POST would store
-- (FastAPI's rendering, numbers as Python prints them: 0.1 to 0.9, never
-- 0.10, since a read splices a stored value's text as it stands)
-- for a small model with two attributes, its digest distinct (SHA-256 of
-- the value, Weave's form); all share one source text, kept once.
-- Written straight into the tables, as version_put would leave them.
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO projects (entity_id, name)
SELECT id, :'project' FROM entities WHERE name = 'bench';
INSERT INTO model_sources (project_id, digest, source)
SELECT p.id, translate(rtrim(encode(sha256(s), 'base64'), '='), '+/', 'XY'), s
  FROM projects p,
       convert_to(E'import weave\n\nclass ListModel(weave.Model):\n    temperature: float\n    step: int\n', 'UTF8') AS s
 WHERE p.name = :'project';
CREATE TEMP TABLE lm AS
SELECT greatest(:n / 1000, 1) AS m, p.id AS project_id, s.digest AS src
  FROM projects p JOIN model_sources s ON s.project_id = p.id
 WHERE p.name = :'project';
INSERT INTO models (project_id, object_id, next_version_index, created_at)
SELECT lm.project_id, 'list-model-' || k,
       (:n - 1 - k) / lm.m + 1, timestamptz '2026-01-01 00:00:00+00'
  FROM lm, generate_series(0, lm.m - 1) AS k;
INSERT INTO model_versions (model_id, project_id, version_index, digest, val,
                            source_digest, created_at)
SELECT mo.id, lm.project_id, g / lm.m,
       translate(rtrim(encode(sha256(convert_to(v.val, 'UTF8')), 'base64'),
                       '='), '+/', 'XY'),
       v.val, lm.src,
       timestamptz '2026-01-01 00:00:00+00' + g * interval '1 millisecond'
  FROM lm, generate_series(0, :n - 1) AS g
  JOIN models mo ON mo.object_id = 'list-model-' || (g % (SELECT m FROM lm))
  CROSS JOIN LATERAL (SELECT format(
       '{"_type":"Model","_class_name":"Model","_bases":["Object","BaseModel"],'
       '"name":"List Model %s","description":"a model of the list benchmark",'
       '"files":{"obj.py":"%s"},"temperature":0.%s,"step":%s}',
       g % lm.m, lm.src, g % 9 + 1, g) AS val) AS v
 WHERE mo.project_id = lm.project_id;
COMMIT;
VACUUM ANALYZE model_versions;
