// Package migration applies Kernia's versioned SQL migrations (Atlas directory format: one
// <version>_<name>.sql file per change plus atlas.sum) and reports their status.
//
// Apply verifies atlas.sum before it connects, takes a database-wide lock, keeps the history in
// the atlas_schema_revisions table with the Atlas CLI's columns and values (so a team can switch
// to `atlas migrate apply` on the same database; on PostgreSQL a history the Atlas CLI keeps in
// its default schema, atlas_schema_revisions.atlas_schema_revisions, is used when the connected
// schema has none), refuses a history that no longer matches the directory (a revision the Atlas
// CLI finished after a failed attempt is judged as Atlas judges it: see finishedElsewhere), and
// runs each pending file in a transaction where the dialect allows. On PostgreSQL and MySQL a
// run whose history already holds every file, complete, ends after one read of it, as status
// reads, without the lock: there is nothing for the lock to protect (a file another run is
// applying is not done in that history, so the run then takes the lock and waits).
//
// A directory of another format (golang-migrate, goose, Flyway: internal/migformat, told from
// its files) is verified by its atlas.sum over every *.sql file, then read as its up
// migrations in Atlas's form: the history rules, hashes and transaction modes are the same.
//
// PostgreSQL: an advisory lock (key PostgresLockKey, the key the Atlas CLI uses) held by a
// transaction that stays open for the run on a connection no file runs on. Each file runs on a
// new connection of its own, in its own transaction, with its session reset before it commits;
// files starting with the Atlas directive `-- atlas:txmode none` run statement by statement,
// their progress recorded after each statement. A file that controls transactions itself
// outside txmode none is refused before anything runs, and so is a URL reaching the server
// through a pooler in transaction pooling mode.
//
// SQLite: the whole run is one BEGIN IMMEDIATE transaction on one dedicated connection with
// foreign keys off (Atlas's table rebuilds need them off, and SQLite ignores the pragma inside a
// transaction); each file runs inside a savepoint that is released only when PRAGMA
// foreign_key_check reports no violation. A failing file is rolled back to its savepoint and the
// earlier files of the run are committed. The txmode directive has no effect on SQLite.
package migration
