package reliability_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gotest.tools/v3/assert"
)

// listener is a TCP listener on 127.0.0.1 that accepts connections, counts them and never
// answers; the connections close when the test ends.
type listener struct {
	addr     string
	accepted atomic.Int64
}

func listen(t *testing.T) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	l := &listener{addr: ln.Addr().String()}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l
}

// Check 13: no atlas.sum, an edited file, an added or removed file without `kernia hash`, a
// tampered or malformed atlas.sum: each is refused before any connection. The database URL
// points at a listener that counts connections: it must see none, and the error must be the
// checksum one; a SQLite URL's file must not be created.
func TestIntegrity13_DirectoryRefusedBeforeAnyConnection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   []string
	}{
		{"no atlas.sum", func(t *testing.T, dir string) {
			assert.NilError(t, os.Remove(filepath.Join(dir, "atlas.sum")))
		}, []string{"checksum file not found", "has migration files but no atlas.sum", "kernia hash"}},
		{"edited file", func(t *testing.T, dir string) {
			appendTo(t, filepath.Join(dir, "20260101000002_b.sql"), "DROP TABLE a;\n")
		}, []string{"checksum mismatch", "20260101000002_b.sql was edited after", "atlas.sum"}},
		{"added file", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "20260101000003_c.sql"), "CREATE TABLE c (id integer);\n")
		}, []string{"checksum mismatch", "20260101000003_c.sql is not listed in", "kernia hash"}},
		{"removed file", func(t *testing.T, dir string) {
			assert.NilError(t, os.Remove(filepath.Join(dir, "20260101000002_b.sql")))
		}, []string{"checksum mismatch", "20260101000002_b.sql is listed in", "the file is missing"}},
		{"tampered atlas.sum", func(t *testing.T, dir string) {
			sum := filepath.Join(dir, "atlas.sum")
			b, err := os.ReadFile(sum)
			assert.NilError(t, err)
			lines := strings.Split(string(b), "\n")
			i := strings.Index(lines[2], "h1:") + 3
			lines[2] = lines[2][:i] + "AAAA" + lines[2][i+4:]
			writeFile(t, sum, strings.Join(lines, "\n"))
		}, []string{"checksum mismatch", "atlas.sum"}},
		{"malformed atlas.sum", func(t *testing.T, dir string) {
			appendTo(t, filepath.Join(dir, "atlas.sum"), "this is not a checksum line\n")
		}, []string{"atlas.sum is malformed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile, "20260101000002_b.sql": fixedFile})
			tc.change(t, dir)
			l := listen(t)
			r := kernia(t, "migrate", "--url", "postgres://alice:s3cretPW@"+l.addr+"/app?sslmode=disable", "--dir", dir)
			expect(t, r, 1, tc.want...)
			assert.Equal(t, l.accepted.Load(), int64(0), "migrate connected before verifying atlas.sum")
			assert.Check(t, !strings.Contains(r.stderr, l.addr), "the error is about the database, not the directory: %s", r.stderr)

			db := filepath.Join(t.TempDir(), "app.db")
			r = kernia(t, "migrate", "--url", "sqlite://"+db, "--dir", dir)
			expect(t, r, 1, tc.want...)
			_, err := os.Stat(db)
			assert.Check(t, os.IsNotExist(err), "migrate created the SQLite file before verifying atlas.sum")
		})
	}
}

// Check 14: a file edited after it was applied is refused, naming the file, even when atlas.sum
// was rehashed (the per-file hash stored in atlas_schema_revisions is compared, as Flyway's
// validate-on-migrate does); nothing pending is applied meanwhile.
func TestIntegrity14_FileEditedAfterApplyRefusedEvenWhenRehashed(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, tg *target) {
		dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile, "20260101000002_b.sql": fixedFile})
		expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0)
		appendTo(t, filepath.Join(dir, "20260101000001_a.sql"), "CREATE INDEX a_note ON a (note);\n")
		writeFile(t, filepath.Join(dir, "20260101000003_c.sql"), "CREATE TABLE c (id integer PRIMARY KEY);\n")
		rehash(t, dir)
		schema := tg.schema(t)
		r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
		expect(t, r, 1, "applied file "+filepath.Join(dir, "20260101000001_a.sql")+" was edited after it was applied",
			"even if atlas.sum was rehashed", "put the change in a new migration")
		assert.DeepEqual(t, tg.schema(t), schema)
		assert.DeepEqual(t, tg.applied(t), []string{"20260101000001", "20260101000002"})
		s := status(t, tg, dir)
		assert.Check(t, len(s.Problems) == 1 && strings.Contains(s.Problems[0], "was edited after it was applied"), "%v", s.Problems)
	})
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	assert.NilError(t, err)
	_, err = f.WriteString(text)
	assert.NilError(t, err)
	assert.NilError(t, f.Close())
}

// Issue 15: on MySQL, tables holding rows gain the plugin columns and keep every row. The
// files are the core and all-plugins MySQL migrations Kernia generates (internal/plugintest's
// golden files, which TestPipeline/mysql proves are what generate writes), applied by the
// kernia command: the core, then rows in every core table, then every built-in plugin at once.
func TestIntegrity15_MySQLRowsKeptWhenPluginColumnsAreAdded(t *testing.T) {
	t.Parallel()
	golden := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "plugintest", "testdata", "migrations", "mysql", name))
		assert.NilError(t, err)
		return string(b)
	}
	tg := newTarget(t, "mysql")
	dir := migrations(t, map[string]string{"20260101000001_core.sql": golden("core.sql.golden")})
	expect(t, kernia(t, "migrate", "--url", tg.url, "--dir", dir), 0, "applied 20260101000001_core.sql")
	for _, q := range []string{
		"INSERT INTO users (id, name, email, email_verified, image, created_at, updated_at) VALUES " +
			"('u1', 'Ada', 'ada@example.com', 1, NULL, '2026-01-01 10:00:00.123', '2026-01-02 10:00:00.456'), " +
			"('u2', 'Grace', 'grace@example.com', 0, 'https://example.com/g.png', '2026-01-03 10:00:00.789', '2026-01-03 10:00:00.789'), " +
			"('u3', 'Zoë ☃', 'zoe@example.com', 0, NULL, '2026-01-04 00:00:00.001', '2026-01-04 00:00:00.001')",
		"INSERT INTO sessions (id, expires_at, token, user_id, ip_address, user_agent) VALUES ('s1', '2026-02-01 00:00:00', 'Tok', 'u1', '127.0.0.1', 'curl'), ('s2', '2026-02-01 00:00:00', 'tok', 'u2', NULL, NULL)",
		"INSERT INTO accounts (id, account_id, provider_id, user_id, password) VALUES ('a1', '42', 'credential', 'u1', 'hash')",
		"INSERT INTO verifications (id, identifier, value, expires_at) VALUES ('v1', 'ada@example.com', 'code', '2026-02-01 00:00:00')",
	} {
		_, err := tg.db.Exec(q)
		assert.NilError(t, err, q)
	}
	// Every row of the core tables, with every column the core gave them.
	cols := map[string][]string{}
	for _, table := range []string{"accounts", "sessions", "users", "verifications"} {
		cols[table] = tg.strings(t, "SELECT concat('COALESCE(`', column_name, '`, ''<null>'')') FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?", table)
	}
	snapshot := func() map[string][]string {
		out := map[string][]string{}
		for table, c := range cols {
			out[table] = tg.strings(t, "SELECT concat_ws('|', "+strings.Join(c, ", ")+") FROM `"+table+"`")
		}
		return out
	}
	before := snapshot()
	assert.Equal(t, len(before["users"]), 3)

	writeFile(t, filepath.Join(dir, "20260101000002_all.sql"), golden("all.sql.golden"))
	rehash(t, dir)
	r := kernia(t, "migrate", "--url", tg.url, "--dir", dir)
	expect(t, r, 0, "applied 20260101000002_all.sql")
	assert.DeepEqual(t, snapshot(), before)
	// The plugin columns exist on the rows, with their defaults.
	assert.Equal(t, tg.count(t, "SELECT count(*) FROM users WHERE two_factor_enabled = 0 AND banned = 0 AND username IS NULL"), 3)
	assert.Equal(t, tg.count(t, "SELECT count(*) FROM sessions WHERE active_organization_id IS NULL"), 2)
}
