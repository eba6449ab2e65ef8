-- Entities, keys, projects, models and their versions, and the audit log.

CREATE TABLE entities (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- Keys are stored only as SHA-256 of the key text.
CREATE TABLE api_keys (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	entity_id	bigint NOT NULL REFERENCES entities (id),
	role		text NOT NULL CHECK (role IN ('read', 'write', 'admin')),
	key_hash	bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
	created_at	timestamptz NOT NULL DEFAULT now(),
	revoked_at	timestamptz
);

CREATE TABLE projects (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	entity_id	bigint NOT NULL REFERENCES entities (id),
	name		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (entity_id, name)
);

-- next_version_index is the next index to give: indices are never reused,
-- even after every version has been deleted.
CREATE TABLE models (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	project_id		bigint NOT NULL REFERENCES projects (id),
	object_id		text NOT NULL,
	next_version_index	bigint NOT NULL DEFAULT 0,
	created_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (project_id, object_id)
);

-- Live versions only: a delete removes the row.
CREATE TABLE model_versions (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	model_id	bigint NOT NULL REFERENCES models (id),
	version_index	bigint NOT NULL,
	digest		text NOT NULL,
	val		jsonb NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (model_id, version_index),
	UNIQUE (model_id, digest)
);

-- One row per successful delete, written in the delete's transaction.
CREATE TABLE delete_audit (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	deleted_at	timestamptz NOT NULL DEFAULT now(),
	key_id		bigint NOT NULL REFERENCES api_keys (id),
	entity		text NOT NULL,
	project		text NOT NULL,
	object_id	text NOT NULL,
	refs		text[],		-- the digests as sent; NULL: all versions
	digests		text[] NOT NULL,	-- the versions deleted
	num_deleted	integer NOT NULL,
	request_id	text NOT NULL
);
