-- pgbench: the app's create (lib/db-models.c SQL_CREATE), every transaction a new
-- model, so each one writes (model, version; the source text is the same
-- every time, kept once), as in the wrk create run whose names vary.
-- Transaction n of client c creates model PREFIX-g, g = n * nclients + c
-- (-D n=START above the last round's).
\set g :n * :nclients + :client_id
\set n :n + 1
SELECT status, key_id, version_index FROM model_create(:kh, :entity, :project, :prefix || CAST(:g AS text), :digest, :val, :sdigest, :source);
