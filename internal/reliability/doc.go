// Package reliability holds the migration reliability suite (issue 5): each test drives the real
// kernia command, built once per test run from a temporary module, against fresh PostgreSQL
// databases (internal/pgtest) and SQLite files, with concurrent runners, SIGKILL and SIGINT,
// failing and edited migration files, unreachable servers and bad URLs. Test names say which
// check they prove. The package has no code of its own.
package reliability
