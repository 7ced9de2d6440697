package migration

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestTxControlReason(t *testing.T) {
	tests := []struct {
		dialect, stmt string
		refused       bool
	}{
		{"postgres", "BEGIN;", true},
		{"postgres", "begin transaction isolation level serializable;", true},
		{"postgres", "START TRANSACTION;", true},
		{"postgres", "COMMIT;", true},
		{"postgres", "commit and chain;", true},
		{"postgres", "END;", true},
		{"postgres", "ROLLBACK;", true},
		{"postgres", "ABORT;", true},
		{"postgres", "PREPARE TRANSACTION 'x';", true},
		{"postgres", "/* c /* nested */ */ -- line\n COMMIT;", true},
		{"postgres", "ROLLBACK TO SAVEPOINT a;", false},
		{"postgres", "ROLLBACK TRANSACTION TO a;", false},
		{"postgres", "SAVEPOINT a;", false},
		{"postgres", "RELEASE SAVEPOINT a;", false},
		{"postgres", "PREPARE q AS SELECT 1;", false},
		{"postgres", "START_X;", false},
		{"postgres", "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN CASE WHEN true THEN 1 END; END; $$ LANGUAGE plpgsql;", false},
		{"postgres", "SELECT 'BEGIN; COMMIT;';", false},
		{"postgres", `SELECT 1 AS "end";`, false},
		{"postgres", "ENDLESS;", false},
		{"sqlite", "BEGIN IMMEDIATE;", true},
		{"sqlite", "END TRANSACTION;", true},
		{"sqlite", "RELEASE kernia_migrate_file;", true},
		{"sqlite", `ROLLBACK TO "kernia_migrate_file";`, true},
		{"sqlite", "SAVEPOINT kernia_migrate_file;", true},
		{"sqlite", "SAVEPOINT mine;", false},
		{"sqlite", "RELEASE mine;", false},
		{"sqlite", "ROLLBACK TO mine;", false},
		{"sqlite", "ABORT;", false}, // not an SQLite statement: SQLite itself refuses it
		{"sqlite", "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;", false},
	}
	for _, tt := range tests {
		t.Run(tt.dialect+" "+tt.stmt, func(t *testing.T) {
			got := txControlReason(tt.dialect, tt.stmt)
			assert.Equal(t, got != "", tt.refused, "reason %q", got)
		})
	}
}

func TestConcurrentIndex(t *testing.T) {
	tests := []struct {
		stmt, index, table string
		ok                 bool
	}{
		{"CREATE UNIQUE INDEX CONCURRENTLY u_email ON users (email);", "u_email", "users", true},
		{"-- c\ncreate index concurrently if not exists \"My Idx\" on only public.\"T\" (a);", `"My Idx"`, `public."T"`, true},
		{"CREATE INDEX CONCURRENTLY ON users (email);", "", "", false},
		{"CREATE INDEX u ON users (email);", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.stmt, func(t *testing.T) {
			index, table, ok := concurrentIndex(tt.stmt)
			assert.Equal(t, ok, tt.ok)
			assert.Equal(t, index, tt.index)
			assert.Equal(t, table, tt.table)
		})
	}
	assert.Equal(t, identName(`"My ""Idx"""`), `My "Idx"`)
	assert.Equal(t, identName("U_Email"), "u_email")
}
