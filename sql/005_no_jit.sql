-- No JIT compilation for this database's sessions. Every statement of the
-- service is a point lookup or an index-ordered scan; the only one whose
-- estimated cost passes jit_above_cost is the list of a large project, and
-- for it compiling costs more than it saves: on a 100k-version project the
-- list statement ran in ~0.3 s without JIT and ~0.9 s with it (make bench,
-- EXPLAIN ANALYZE), most of that spent compiling before the first row.
-- A setting of the database, not of the statement (PostgreSQL has none
-- per statement), so it holds through PgBouncer's pooled connections too;
-- sessions opened from now on get it. Only the database's owner (or a
-- superuser) may set it: anyone else leaves JIT as the server has it.
DO $$
BEGIN
	EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
	RAISE NOTICE 'jit left as configured: only the database owner can set it';
END;
$$;
