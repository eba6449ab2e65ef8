-- pgbench: the app's delete statement (lib/db-models.c SQL_DELETE), one version
-- deleted per transaction. Each client counts its own transactions in n
-- (pgbench keeps a client's variables between transactions; -D n=START
-- sets the first value), so transaction n of client c deletes v0 of model
-- n * nclients + c: a different version every time, as in the wrk hit run.
\set g :n * :nclients + :client_id
\set n :n + 1
SELECT status, num_deleted, message, key_id FROM delete_model(:kh, :entity, :project, :g, :refs, :rid);
