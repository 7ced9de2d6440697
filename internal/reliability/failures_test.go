package reliability_test

import (
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/moduletest"
)

const (
	goodFile = "CREATE TABLE a (id integer PRIMARY KEY, note text NOT NULL);\n"
	// badFile has a valid statement, then an invalid one.
	badFile   = "CREATE TABLE b (id integer PRIMARY KEY);\nINSERT INTO missing_table (id) VALUES (1);\n"
	fixedFile = "CREATE TABLE b (id integer PRIMARY KEY);\nINSERT INTO b (id) VALUES (1);\n"
)

// statusJSON is what the suite reads of `kernia status --json`.
type statusJSON struct {
	Current string `json:"current_version"`
	Applied []struct {
		Version, Name, Type string
	} `json:"applied"`
	Pending []struct {
		Version, Name string
	} `json:"pending"`
	LastFailure *struct {
		Version, Name, Error, Statement string
	} `json:"last_failure"`
	Problems []string `json:"problems"`
}

func status(t *testing.T, tg *target, dir string) statusJSON {
	t.Helper()
	r := kernia(t, "status", "--url", tg.url, "--dir", dir, "--json")
	var s statusJSON
	assert.NilError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
	// status exits 1 exactly when it lists a problem (README, Commands).
	want := 0
	if len(s.Problems) > 0 {
		want = 1
	}
	expect(t, r, want)
	return s
}

// Checks 5 and 6: a failing file (a valid statement, then an invalid one) exits non-zero naming
// the file and the failing statement, leaves nothing of itself, keeps the earlier file applied,
// and status shows it pending with the last failure. Rerunning it unfixed fails the same way and
// changes nothing; fixed, rehashed with `kernia hash`, it applies with no force step.
func TestFailures5and6_FailingFileLeavesNothingThenFixHashMigrate(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile, "20260101000002_b.sql": badFile})
		r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
		expect(t, r, 1, "20260101000002_b.sql failed at statement 2 of 2", "INSERT INTO missing_table (id) VALUES (1)",
			"missing_table", "nothing of it is applied", "fix the file, run `kernia hash`, and run migrate again")
		assert.Check(t, strings.Contains(r.stderr, "applied 20260101000001_a.sql"), r.stderr)
		assert.Check(t, !contains(tg.tables(t), "b"), "the failing file's first statement remains")
		assert.DeepEqual(t, tg.applied(t), []string{"20260101000001"})
		s := status(t, tg, dir)
		assert.Equal(t, s.Current, "20260101000001")
		assert.Equal(t, len(s.Pending), 1)
		assert.Equal(t, s.Pending[0].Name, "20260101000002_b.sql")
		assert.Assert(t, s.LastFailure != nil, "status shows no last failure")
		assert.Equal(t, s.LastFailure.Name, "20260101000002_b.sql")
		assert.Check(t, strings.Contains(s.LastFailure.Statement, "missing_table"), s.LastFailure.Statement)
		assert.Check(t, strings.Contains(s.LastFailure.Error, "missing_table"), s.LastFailure.Error)
		human := kernia(t, "status", "--url", tg.url, "--dir", dir)
		expect(t, human, 0)
		assert.Check(t, strings.Contains(human.stdout, "pending   20260101000002_b.sql"), human.stdout)
		assert.Check(t, strings.Contains(human.stdout, "last failure: 20260101000002"), human.stdout)

		// Unfixed: the same failure, nothing changes.
		schema := tg.schema(t)
		again := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
		expect(t, again, 1, "20260101000002_b.sql failed at statement 2 of 2", "INSERT INTO missing_table (id) VALUES (1)")
		assert.DeepEqual(t, tg.schema(t), schema)
		assert.DeepEqual(t, tg.applied(t), []string{"20260101000001"})

		// Fixed and rehashed: it applies; no force, no manual clean-up.
		writeFile(t, filepath.Join(dir, "20260101000002_b.sql"), fixedFile)
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 1, "atlas.sum") // not yet rehashed
		rehash(t, dir)
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0, "applied 20260101000002_b.sql")
		assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002"})
		assert.Equal(t, tg.count(t, "SELECT count(*) FROM b"), 1)
		s = status(t, tg, dir)
		assert.Check(t, s.LastFailure == nil, "a last failure is still shown after the fix: %+v", s.LastFailure)
		assert.Equal(t, len(s.Pending), 0)
		tg.intact(t)
	})
}

// Check 8: SIGINT during apply rolls the current file back, releases the lock and exits with
// the documented status 130 (SIGTERM: 143). MySQL cannot roll the file back: there the signal
// stops the running statement on the server (KILL QUERY), the statements before it stay
// applied and recorded, and the message says so.
func TestFailures8_SIGINTRollsBackReleasesTheLockExit130(t *testing.T) {
	t.Parallel()
	for _, sig := range []struct {
		name string
		sig  syscall.Signal
		code int
	}{{"SIGINT", syscall.SIGINT, 130}, {"SIGTERM", syscall.SIGTERM, 143}} {
		t.Run(sig.name, func(t *testing.T) {
			dialects(t, func(t *testing.T, tg *target) {
				// On MySQL the long statement is DDL, to show that the one stopped is not applied.
				long := tg.pick(tg.sleep(t, 60), tg.sleep(t, 60), "CREATE TABLE slow_ddl AS SELECT SLEEP(60) AS s;")
				dir := migrations(t, map[string]string{
					"20260101000001_a.sql":    goodFile,
					"20260101000002_slow.sql": "CREATE TABLE slow (id integer PRIMARY KEY);\nINSERT INTO a (id, note) VALUES (1, 'slow');\n" + long,
				})
				p := start(t, "migrate", "--url", tg.url, "--dir", dir)
				if tg.dialect == "sqlite" {
					eventually(t, time.Minute, "the runner applied its first file", func() bool {
						return strings.Contains(p.stderrSoFar(), "applied 20260101000001_a.sql")
					})
				} else {
					eventually(t, time.Minute, "the runner runs its slow file", func() bool { return tg.running(t, tg.pick("pg_sleep", "", "SLEEP(60)")) })
				}
				p.signal(t, sig.sig)
				r := p.wait(t)
				interrupted := "interrupted while applying 20260101000002_slow.sql: received " + sig.name + ": "
				assert.Check(t, r.elapsed < 2*time.Minute, "took %s", r.elapsed)
				if tg.dialect == "mysql" {
					expect(t, r, sig.code, interrupted+"MySQL commits each statement, so the file's first 2 of 3 statements stay applied and the next run resumes after them; "+
						"statement 3 (CREATE TABLE slow_ddl AS SELECT SLEEP(60) AS s;) was running: the server stopped it (KILL QUERY), so it is not applied, and the next run runs it again")
					assert.Check(t, !tg.running(t, "SLEEP(60)"), "the statement still runs on the server")
					assert.Check(t, tg.namedLockFree(t), "the lock is still held: %s", r.stderr)
					assert.Check(t, contains(tg.tables(t), "slow"))
					assert.Check(t, !contains(tg.tables(t), "slow_ddl"), "the stopped CREATE TABLE … AS SELECT left its table")
					assert.Equal(t, tg.count(t, "SELECT applied FROM atlas_schema_revisions WHERE version = '20260101000002'"), 2)
					assert.Equal(t, tg.count(t, "SELECT count(*) FROM a"), 1)
				} else {
					expect(t, r, sig.code, interrupted+"the file was rolled back")
					assert.Check(t, !contains(tg.tables(t), "slow"), "the interrupted file's table remains")
					assert.Equal(t, tg.count(t, "SELECT count(*) FROM a"), 0)
				}
				switch tg.dialect {
				case "postgres":
					assert.Check(t, !tg.advisoryLockHeld(t), "the lock is still held: %s", r.stderr)
				case "sqlite":
					assert.Check(t, !tg.sqliteLocked(t), "the lock is still held")
				}
				// The earlier file of the run is committed, on every dialect.
				assert.DeepEqual(t, tg.applied(t), []string{"20260101000001"})
				tg.intact(t)
				s := status(t, tg, dir)
				assert.Equal(t, len(s.Pending), 1)
			}, "mysql")
		})
	}
}

// Check 9: migrate --dry-run prints the pending SQL and changes nothing: schema and revisions
// are identical before and after, in human and JSON modes.
func TestFailures9_DryRunPrintsPendingSQLAndChangesNothing(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile})
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0)
		writeFile(t, filepath.Join(dir, "20260101000002_b.sql"), fixedFile)
		rehash(t, dir)
		schema, revs := tg.schema(t), tg.revisions(t)
		var fileBefore []byte
		if tg.dialect == "sqlite" {
			var err error
			fileBefore, err = os.ReadFile(tg.path)
			assert.NilError(t, err)
		}
		r := kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--dry-run")
		expect(t, r, 0, "dry run", "-- 20260101000002_b.sql (2 statements)", "CREATE TABLE b (id integer PRIMARY KEY);", "INSERT INTO b (id) VALUES (1);")
		assert.Check(t, !strings.Contains(r.stderr, "20260101000001_a.sql"), r.stderr)
		j := kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--dry-run", "--json")
		expect(t, j, 0)
		var res struct {
			DryRun  bool `json:"dry_run"`
			Pending []struct{ Name string }
		}
		assert.NilError(t, json.Unmarshal([]byte(j.stdout), &res), j.stdout)
		assert.Check(t, res.DryRun)
		assert.Equal(t, len(res.Pending), 1)
		assert.DeepEqual(t, tg.schema(t), schema)
		assert.DeepEqual(t, tg.revisions(t), revs)
		if tg.dialect == "sqlite" {
			after, err := os.ReadFile(tg.path)
			assert.NilError(t, err)
			assert.Check(t, string(after) == string(fileBefore), "the SQLite file changed")
		}
	})
}

// Check 10: a database holding unrelated tables and no history is refused with a message
// offering --baseline VERSION; the baseline records that version and applies only later files.
func TestFailures10_UnrelatedTablesRefusedThenBaseline(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		_, err := tg.db.Exec("CREATE TABLE a (id integer PRIMARY KEY, note text NOT NULL)")
		assert.NilError(t, err)
		dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile, "20260101000002_b.sql": fixedFile})
		r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
		expect(t, r, 1, "is not empty (tables a)", "--baseline VERSION")
		assert.DeepEqual(t, tg.tables(t), []string{"a"})
		r = kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--baseline", "20260101000001")
		expect(t, r, 0, "baseline: recorded version 20260101000001", "applied 20260101000002_b.sql")
		assert.Check(t, !strings.Contains(r.stderr, "applied 20260101000001"), r.stderr)
		revs := tg.revisions(t)
		assert.Equal(t, len(revs), 2)
		assert.Equal(t, revs[0].Version, "20260101000001")
		assert.Equal(t, revs[0].Type, 1) // Atlas's RevisionTypeBaseline
		assert.Equal(t, revs[1].Version, "20260101000002")
		s := status(t, tg, dir)
		assert.Equal(t, s.Current, "20260101000002")
		assert.Equal(t, s.Applied[0].Type, "baseline")
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0, "nothing to apply")
	})
}

// Check 11: a file older than the last applied one (a merged branch) is refused by default,
// naming it; --allow-out-of-order applies it.
func TestFailures11_OutOfOrderFileRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile, "20260101000003_c.sql": "CREATE TABLE c (id integer PRIMARY KEY);\n"})
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0)
		writeFile(t, filepath.Join(dir, "20260101000002_b.sql"), fixedFile)
		rehash(t, dir)
		schema := tg.schema(t)
		r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
		expect(t, r, 1, "file 20260101000002_b.sql is older than version 20260101000003", "out-of-order")
		assert.DeepEqual(t, tg.schema(t), schema)
		r = kernia(t, "migrate", "--url", tg.url, "--dir", dir, "--allow-out-of-order")
		expect(t, r, 0, "applied 20260101000002_b.sql")
		assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002", "20260101000003"})
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0, "nothing to apply")
	})
}

// Check 12: a file recorded as applied but missing from the directory is an explicit error
// naming the version, from migrate and from status.
func TestFailures12_RecordedFileMissingFromDirectory(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile, "20260101000002_b.sql": fixedFile})
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0)
		assert.NilError(t, os.Remove(filepath.Join(dir, "20260101000002_b.sql")))
		rehash(t, dir)
		want := "version 20260101000002 (b) is recorded as applied in atlas_schema_revisions, but no file of that version is in " + dir
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 1, want)
		s := status(t, tg, dir)
		assert.Check(t, len(s.Problems) == 1 && strings.Contains(s.Problems[0], want), "%v", s.Problems)
	})
}

// Check 8 through `go tool kernia`, the way users run it: Ctrl-C in a terminal signals the
// whole process group (go, the kernia tool, the loader program it runs), and go forwards the
// signal again. The run still rolls back, releases the lock and exits 130.
func TestFailures8_CtrlCThroughGoToolKernia(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a module with go tool kernia")
	}
	dir := moduletest.New(t, "example.com/ctrlc", map[string]string{"auth/auth.go": "package auth\n\nimport \"github.com/kernia/kernia\"\n\nvar Auth = kernia.New(kernia.Options{})\n"})
	tg := newTarget(t, "sqlite")
	mdir := migrations(t, map[string]string{
		"20260101000001_a.sql":    goodFile,
		"20260101000002_slow.sql": "CREATE TABLE slow (id integer PRIMARY KEY);\n" + tg.sleep(t, 120),
	})
	p := &proc{cmd: exec.Command("go", "tool", "kernia", "migrate", "--url", tg.url, "--dir", mdir), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = env("GOFLAGS=-mod=mod")
	p.run(t)
	eventually(t, 3*time.Minute, "the runner applied its first file", func() bool {
		return strings.Contains(p.stderrSoFar(), "applied 20260101000001_a.sql")
	})
	assert.NilError(t, syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)) // the whole group, as a terminal does
	r := p.wait(t)
	expect(t, r, 130, "interrupted while applying 20260101000002_slow.sql: received SIGINT: the file was rolled back")
	assert.Check(t, !tg.sqliteLocked(t), "the lock is still held")
	assert.Check(t, !contains(tg.tables(t), "slow"))
	assert.DeepEqual(t, tg.applied(t), []string{"20260101000001"})
	tg.intact(t)
}

// Checks 5 and 6 on MySQL, which cannot roll a file back (each DDL statement commits): a file
// failing at statement 3 of 5 keeps statements 1 and 2, records them as Atlas does (applied 2
// of 5, two partial hashes, the error), and status shows the failure; rerun unfixed, it fails
// at statement 3 again (statements 1 and 2 are not run again: they would fail, their tables
// exist); fixed and rehashed, the run starts at statement 3 and executes 3 to 5 only.
func TestFailures5and6_MySQLFailingFileResumesAtTheFailedStatement(t *testing.T) {
	t.Parallel()
	tg := newTarget(t, "mysql")
	stmts := []string{
		"CREATE TABLE s1 (id integer PRIMARY KEY);",
		"CREATE TABLE s2 (id integer PRIMARY KEY);",
		"INSERT INTO missing_table (id) VALUES (1);",
		"CREATE TABLE s4 (id integer PRIMARY KEY);",
		"CREATE TABLE s5 (id integer PRIMARY KEY);",
	}
	const name = "20260101000002_five.sql"
	dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile, name: strings.Join(stmts, "\n") + "\n"})
	progress := func() (applied, total int, partial, failure string) {
		var p, f sql.NullString
		assert.NilError(t, tg.db.QueryRow("SELECT applied, total, partial_hashes, error FROM atlas_schema_revisions WHERE version = '20260101000002'").Scan(&applied, &total, &p, &f))
		return applied, total, p.String, f.String
	}
	for _, run := range []string{"first", "unfixed"} {
		r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
		expect(t, r, 1, name+" failed at statement 3 of 5 (INSERT INTO missing_table (id) VALUES (1);)", "missing_table",
			"MySQL commits each statement, so the file's first 2 of 5 statements stay applied and the next run resumes after them",
			"fix the file, run `kernia hash`, and run migrate again")
		assert.Check(t, !strings.Contains(strings.ToLower(r.stderr), "already exists"), "%s run: %s", run, r.stderr)
		applied, total, partial, failure := progress()
		assert.Check(t, applied == 2 && total == 5, "%s run: applied %d of %d", run, applied, total)
		assert.Check(t, strings.Count(partial, `"h1:`) == 2, "%s run: partial hashes %s", run, partial)
		assert.Check(t, strings.Contains(failure, "missing_table"), failure)
		assert.DeepEqual(t, tg.tables(t), []string{"a", "atlas_schema_revisions", "s1", "s2"})
	}
	s := status(t, tg, dir)
	assert.Assert(t, s.LastFailure != nil, "status shows no last failure")
	assert.Equal(t, s.LastFailure.Name, name)
	assert.Check(t, strings.Contains(s.LastFailure.Statement, "missing_table"), s.LastFailure.Statement)
	assert.Equal(t, len(s.Pending), 1)

	stmts[2] = "INSERT INTO s2 (id) VALUES (1);"
	writeFile(t, filepath.Join(dir, name), strings.Join(stmts, "\n")+"\n")
	rehash(t, dir)
	r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
	expect(t, r, 0, "applied "+name+": 3 statements")
	applied, total, partial, failure := progress()
	assert.Check(t, applied == 5 && total == 5 && partial == "" && failure == "", "applied %d of %d, partial %q, error %q", applied, total, partial, failure)
	assert.Equal(t, tg.count(t, "SELECT count(*) FROM s2"), 1)
	assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002"})
	s = status(t, tg, dir)
	assert.Check(t, s.LastFailure == nil, "a last failure is still shown after the fix: %+v", s.LastFailure)
}
