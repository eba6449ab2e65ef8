#ifndef MIGRATIONS_H
#define MIGRATIONS_H

/* The files of sql/, in order, built into the binary (build/migrations.c). */
struct migration {
	const char	*name;	/* file name, e.g. "001_schema.sql" */
	const char	*sql;
};

extern const struct migration migrations[];
extern const unsigned int migration_count;

#endif
