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
