package reliability_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"gotest.tools/v3/assert"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/kernia/kernia/internal/mysqltest"
	"github.com/kernia/kernia/internal/pgtest"
)

// secret is the KERNIA_SECRET of every command the suite runs; no output may contain it.
const secret = "9f1c2a7e5b3d4c6a8e0f1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e"

// neverPrinted holds strings no command output may contain: the secret and the passwords the
// suite puts in URLs. Every run checks it.
var neverPrinted = []string{secret, "Left9x", "Right7y", "s3cretPW", "WrongPW8"}

// cmdBound bounds every command the suite runs; the machine is shared, so it is generous.
const cmdBound = 3 * time.Minute

// result is a finished kernia process.
type result struct {
	code           int
	stdout, stderr string
	signaled       bool
	elapsed        time.Duration
}

func (r result) combined() string { return r.stdout + r.stderr }

// proc is a running kernia process.
type proc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr syncBuffer
	begun  time.Time
	done   chan struct{}
	res    result
}

// env is the environment of every kernia process: no KERNIA_* variable of the developer's, the
// suite's secret, and a default database URL the suite never expects to be used.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KERNIA_") {
			out = append(out, kv)
		}
	}
	return append(append(out, "KERNIA_SECRET="+secret, "KERNIA_SECRETS="+secret), extra...)
}

// start starts the kernia command with args in a new process group.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	return startIn(t, "", nil, args...)
}

func startIn(t *testing.T, dir string, extraEnv []string, args ...string) *proc {
	t.Helper()
	return startWith(t, dir, extraEnv, nil, args...)
}

// startAs starts kernia as the user uid (the test must run as root).
func startAs(t *testing.T, uid uint32, args ...string) *proc {
	t.Helper()
	return startWith(t, "/", nil, &syscall.Credential{Uid: uid, Gid: uid}, args...)
}

func startWith(t *testing.T, dir string, extraEnv []string, cred *syscall.Credential, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(kerniaBin, args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = env(extraEnv...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	p.run(t)
	return p
}

// run starts p.cmd in a new process group and collects its end.
func (p *proc) run(t *testing.T) {
	t.Helper()
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if p.cmd.SysProcAttr == nil {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	p.cmd.SysProcAttr.Setpgid = true
	p.begun = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", strings.Join(p.cmd.Args, " "), err)
	}
	go func() {
		err := p.cmd.Wait()
		p.res = result{stdout: p.stdout.String(), stderr: p.stderr.String(), elapsed: time.Since(p.begun)}
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			p.res.code = exit.ExitCode()
			if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.res.signaled = true
			}
		case err != nil:
			p.res.code = -1
			p.res.stderr += "\n(wait: " + err.Error() + ")"
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
}

// wait waits for the process (killing it after cmdBound) and checks it printed no secret.
func (p *proc) wait(t *testing.T) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(cmdBound - time.Since(p.begun)):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		t.Fatalf("kernia %s did not end within %s\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), cmdBound, p.res.stderr)
	}
	checkNoSecrets(t, p.res)
	return p.res
}

// syncBuffer is a buffer the test may read while the process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stderrSoFar returns what the process has written to stderr so far.
func (p *proc) stderrSoFar() string { return p.stderr.String() }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process.
func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

func checkNoSecrets(t *testing.T, r result) {
	t.Helper()
	for _, s := range neverPrinted {
		if strings.Contains(r.combined(), s) {
			t.Errorf("output contains the secret or a password (%q):\n%s", s, r.combined())
		}
	}
}

// kernia runs the command to completion.
func kernia(t *testing.T, args ...string) result {
	t.Helper()
	return start(t, args...).wait(t)
}

// kerniaIn runs the command in dir with extra environment variables.
func kerniaIn(t *testing.T, dir string, extraEnv []string, args ...string) result {
	t.Helper()
	return startIn(t, dir, extraEnv, args...).wait(t)
}

// expect fails the test unless r exited with code and its stderr holds every want.
func expect(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
		}
	}
}

// target is a fresh database the suite migrates: its URL for kernia and the test's own
// connection for inspecting it.
type target struct {
	dialect string
	url     string
	path    string // SQLite file
	db      *sql.DB
}

// dialects runs f once per dialect as subtests, each on a fresh database: PostgreSQL and
// SQLite, and the extra dialects ("mysql": a MariaDB or MySQL database, internal/mysqltest) of
// the checks that hold there too.
func dialects(t *testing.T, f func(t *testing.T, tg *target), extra ...string) {
	t.Helper()
	for _, d := range append([]string{"postgres", "sqlite"}, extra...) {
		t.Run(d, func(t *testing.T) {
			f(t, newTarget(t, d))
		})
	}
}

func newTarget(t *testing.T, dialect string) *target {
	t.Helper()
	tg := &target{dialect: dialect}
	var err error
	switch dialect {
	case "postgres":
		tg.url = pgtest.NewDatabase(t)
		tg.db, err = sql.Open("pgx", tg.url)
	case "mysql":
		tg.url = mysqltest.NewDatabase(t)
		tg.db = mysqltest.Open(t, tg.url) // closed when the test ends
		return tg
	default:
		tg.path = filepath.Join(t.TempDir(), "app.db")
		tg.url = "sqlite://" + tg.path
		// The suite's own connection: busy timeout only, so it never changes the file's settings.
		tg.db, err = sql.Open("sqlite", "file:"+tg.path+"?_pragma=busy_timeout(10000)")
	}
	assert.NilError(t, err)
	t.Cleanup(func() { tg.db.Close() })
	return tg
}

// pick returns the statement for the target's dialect; mysql, when given, is MySQL's (else
// PostgreSQL's serves).
func (tg *target) pick(postgres, sqlite string, mysql ...string) string {
	switch {
	case tg.dialect == "mysql" && len(mysql) > 0:
		return mysql[0]
	case tg.dialect == "sqlite":
		return sqlite
	}
	return postgres
}

// sleep returns a statement that runs for about d seconds on the target: pg_sleep on
// PostgreSQL, SLEEP on MySQL, a recursive CTE on SQLite (calibrated by calibrateSQLite).
func (tg *target) sleep(t *testing.T, seconds float64) string {
	switch tg.dialect {
	case "postgres":
		return "SELECT pg_sleep(" + ftoa(seconds) + ");"
	case "mysql":
		return "SELECT SLEEP(" + ftoa(seconds) + ");"
	}
	n := int64(seconds * float64(sqliteRowsPerSecond(t)))
	return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " + itoa(n) + ") SELECT count(*) FROM c;"
}

// tables lists the target's tables, sorted.
func (tg *target) tables(t *testing.T) []string {
	t.Helper()
	q := tg.pick(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
		`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
		`SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()`)
	return tg.strings(t, q)
}

// schema returns a description of the target's schema: every table's columns (PostgreSQL,
// MySQL) or every object's SQL (SQLite).
func (tg *target) schema(t *testing.T) []string {
	t.Helper()
	q := tg.pick(`SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
		`SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master`,
		`SELECT concat(table_name, '.', column_name, ' ', column_type, ' ', is_nullable) FROM information_schema.columns WHERE table_schema = DATABASE()`)
	return tg.strings(t, q)
}

// revision is a row of atlas_schema_revisions.
type revision struct {
	Version, Description string
	Type, Applied, Total int
	Error, ErrorStmt     string
}

// revisions returns the target's revisions, nil when the table does not exist.
func (tg *target) revisions(t *testing.T) []revision {
	t.Helper()
	if !slices.Contains(tg.tables(t), "atlas_schema_revisions") {
		return nil
	}
	rows, err := tg.db.Query(`SELECT version, description, type, applied, total, coalesce(error, ''), coalesce(error_stmt, '') FROM atlas_schema_revisions ORDER BY version`)
	assert.NilError(t, err)
	defer rows.Close()
	var out []revision
	for rows.Next() {
		var r revision
		assert.NilError(t, rows.Scan(&r.Version, &r.Description, &r.Type, &r.Applied, &r.Total, &r.Error, &r.ErrorStmt))
		out = append(out, r)
	}
	assert.NilError(t, rows.Err())
	return out
}

// applied returns the versions recorded as completely applied.
func (tg *target) applied(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range tg.revisions(t) {
		if r.Applied == r.Total && r.Error == "" {
			out = append(out, r.Version)
		}
	}
	return out
}

func (tg *target) strings(t *testing.T, query string, args ...any) []string {
	t.Helper()
	rows, err := tg.db.Query(query, args...)
	assert.NilError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		assert.NilError(t, rows.Scan(&s))
		out = append(out, s)
	}
	assert.NilError(t, rows.Err())
	slices.Sort(out)
	return out
}

func (tg *target) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	assert.NilError(t, tg.db.QueryRow(query).Scan(&n))
	return n
}

// intact checks a SQLite file with PRAGMA integrity_check and foreign_key_check.
func (tg *target) intact(t *testing.T) {
	t.Helper()
	if tg.dialect != "sqlite" {
		return
	}
	assert.DeepEqual(t, tg.strings(t, "PRAGMA integrity_check"), []string{"ok"})
	rows, err := tg.db.Query("PRAGMA foreign_key_check")
	assert.NilError(t, err)
	defer rows.Close()
	assert.Check(t, !rows.Next(), "PRAGMA foreign_key_check reports violations")
}

// advisoryLockHeld reports whether a session holds Kernia's (and Atlas's) migration lock on the
// target's database (advisory locks are per database).
func (tg *target) advisoryLockHeld(t *testing.T) bool {
	t.Helper()
	return tg.count(t, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = 2686470616 AND objsubid = 1 AND granted `+
		`AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`) > 0
}

// migrations writes the migration files (name → content) into a new directory and hashes it
// with `kernia hash`.
func migrations(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "migrations")
	assert.NilError(t, os.MkdirAll(dir, 0o755))
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	rehash(t, dir)
	return dir
}

func rehash(t *testing.T, dir string) {
	t.Helper()
	expect(t, kernia(t, "hash", "--dir", dir), 0)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	assert.NilError(t, os.WriteFile(path, []byte(content), 0o644))
}

// eventually polls cond every 50 ms until it holds, failing the test after bound.
func eventually(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// running reports whether a statement containing text runs on the target's server.
func (tg *target) running(t *testing.T, text string) bool {
	t.Helper()
	return tg.count(t, tg.pick(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%`+text+`%' AND pid <> pg_backend_pid()`, "",
		`SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE '%`+text+`%' AND id <> CONNECTION_ID()`)) > 0
}

// namedLockFree reports whether no session holds the MySQL named lock of a migration run on
// the target's database (kernia_migrate:<database>), nor the one of its statements.
func (tg *target) namedLockFree(t *testing.T) bool {
	t.Helper()
	return tg.count(t, `SELECT IS_FREE_LOCK(concat('kernia_migrate:', DATABASE())) AND IS_FREE_LOCK(concat('kernia_migrate_stmt:', DATABASE()))`) == 1
}

// sqliteLocked reports whether another connection holds the SQLite file's write lock.
func (tg *target) sqliteLocked(t *testing.T) bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+tg.path+"?_pragma=busy_timeout(0)")
	assert.NilError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "BUSY")
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return false
	}
	return true
}

// openPG opens a PostgreSQL connection pool the test closes at its end.
func openPG(t *testing.T, u string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", u)
	assert.NilError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
