package reliability_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"ariga.io/atlas/sql/migrate"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/dotenv"
)

// inputModule creates a directory holding a go.mod (module example.com/inputs) inside a
// parent directory of its own, and returns both: tests snapshot the parent to prove that
// nothing was written anywhere near the module either.
func inputModule(t *testing.T) (parent, dir string) {
	t.Helper()
	parent = t.TempDir()
	dir = filepath.Join(parent, "app")
	assert.NilError(t, os.Mkdir(dir, 0o755))
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/inputs\n\ngo 1.26\n")
	return parent, dir
}

// tree lists every entry under dir (path → content, "<dir>" or "-> target"), without
// following symbolic links or reading anything but regular files.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case d.IsDir():
			out[rel] = "<dir>"
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		default:
			out[rel] = "<" + d.Type().String() + ">"
		}
		return nil
	})
	assert.NilError(t, err)
	return out
}

// TestInputs2_NameIsOneSafeSegment: generate --name values that would leave the migration
// directory, make a subdirectory or break the naming rule are usage errors (exit 2) naming the
// rule, and nothing is written anywhere.
func TestInputs2_NameIsOneSafeSegment(t *testing.T) {
	parent, dir := inputModule(t)
	for _, name := range []string{"../../x", "a/b", "A", "x.sql", strings.Repeat("n", 200), "a b", "a\nb", "..", `a\b`, "é"} {
		t.Run(strconv.Quote(name), func(t *testing.T) {
			before := tree(t, parent)
			for _, args := range [][]string{{"generate", "--name", name}, {"generate", "--dry-run", "--name", name}} {
				r := kerniaIn(t, dir, nil, args...)
				expect(t, r, 2, "--name", "[a-z0-9_]+", "1 to 64 bytes")
				assert.Check(t, !strings.Contains(r.stderr, "\nb"), "the raw value reached the message:\n%s", r.stderr)
			}
			assert.DeepEqual(t, tree(t, parent), before)
		})
	}
}

// TestInputs3_InitRefusesInjectedLinesAndURLsMigrateRejects: a database URL (flag or
// environment) or base URL carrying a newline that tries to add a KERNIA_SECRET line is
// refused with exit 2 and nothing written; every URL migrate rejects, init rejects too.
func TestInputs3_InitRefusesInjectedLinesAndURLsMigrateRejects(t *testing.T) {
	const chosen = "KERNIA_SECRET=00000000000000000000000000000000000000000000000000000000000000aa"
	injections := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{name: "newline in --database-url", args: []string{"--database-url", "sqlite://kernia.db\n" + chosen}, want: "--database-url holds the control character '\\n'"},
		{name: "CR in --database-url", args: []string{"--database-url", "sqlite://kernia.db\r" + chosen}, want: "--database-url holds the control character '\\r'"},
		{name: "DEL in --database-url", args: []string{"--database-url", "sqlite://kernia.db\x7f"}, want: "control character"},
		{name: "escape in --database-url", args: []string{"--database-url", "sqlite://kernia.db\x1b[2K"}, want: "control character"},
		{name: "line separator in --database-url", args: []string{"--database-url", "sqlite://kernia.db\u2028" + chosen}, want: "control character"},
		{name: "newline in a postgres password", args: []string{"--database-url", "postgres://u:pw\n" + chosen + "@127.0.0.1:5432/db"}, want: "control character"},
		{name: "newline in $KERNIA_DATABASE_URL", env: []string{"KERNIA_DATABASE_URL=sqlite://kernia.db\n" + chosen}, want: "$KERNIA_DATABASE_URL holds the control character"},
		{name: "newline in $KERNIA_URL", env: []string{"KERNIA_URL=http://localhost:3000\n" + chosen}, want: "$KERNIA_URL holds the control character"},
		{name: "newline in --plugins", args: []string{"--plugins", "two-factor\n" + chosen}, want: "--plugins holds the control character"},
		{name: "newline in --dir", args: []string{"--dir", ".\n" + chosen}, want: "--dir holds the control character"},
	}
	for _, tc := range injections {
		t.Run(tc.name, func(t *testing.T) {
			parent, dir := inputModule(t)
			before := tree(t, parent)
			r := kerniaIn(t, dir, tc.env, append([]string{"init"}, tc.args...)...)
			expect(t, r, 2, tc.want)
			assert.Check(t, !strings.Contains(r.combined(), chosen), "the injected line was echoed:\n%s", r.combined())
			assert.DeepEqual(t, tree(t, parent), before)
		})
	}

	// Every URL here is one migrate refuses before connecting; init must refuse it too.
	mdir := migrations(t, map[string]string{"20260101000000_t.sql": "CREATE TABLE t (id int);\n"})
	for _, u := range []string{
		"oracle://root:pw@127.0.0.1/db",
		"mysql://root:pw@127.0.0.1/db?multiStatements=true",
		"root:pw@127.0.0.1/db",
		"ftp://x",
		"postgres://al@ice:p@ss@127.0.0.1/db",
		"postgres://u:p@127.0.0.1:notaport/db",
		"postgres://u:p@[::1/db",
		"postgres://u:p%zz@127.0.0.1/db",
		"postgres://u:p@127.0.0.1/db?sslmode=bogus",
		"sqlite://",
	} {
		t.Run("migrate rejects "+u, func(t *testing.T) {
			m := kernia(t, "migrate", "--dir", mdir, "--url", u)
			assert.Assert(t, m.code != 0, "migrate accepted %s:\n%s", u, m.stderr)
			parent, dir := inputModule(t)
			before := tree(t, parent)
			r := kerniaIn(t, dir, nil, "init", "--database-url", u)
			expect(t, r, 2, "init: --database-url")
			assert.DeepEqual(t, tree(t, parent), before)
		})
	}
}

// TestInputs3_InitValuesReadBackExactly: valid values holding characters a .env reader treats
// specially (blanks, #, quotes) are written quoted, and read back exactly.
func TestInputs3_InitValuesReadBackExactly(t *testing.T) {
	_, dir := inputModule(t)
	dbURL := "sqlite://my kernia #1's.db"
	baseURL := "http://localhost:3000/app #x"
	extra := []string{"KERNIA_URL=" + baseURL, "GOPROXY=off", "GOFLAGS=-mod=mod"}
	r := kerniaIn(t, dir, extra, "init", "--print", "--database-url", dbURL)
	expect(t, r, 0)
	assert.Check(t, is.Contains(r.stdout, `KERNIA_DATABASE_URL="sqlite://my kernia #1's.db"`))
	// Written for real (adding the Mage tool may fail offline: the files are written first).
	r = kerniaIn(t, dir, extra, "init", "--database-url", dbURL)
	assert.Check(t, r.code == 0 || strings.Contains(r.stderr, "The files are written"), r.stderr)
	for name, want := range map[string]map[string]string{
		".env":         {"KERNIA_DATABASE_URL": dbURL, "KERNIA_URL": baseURL},
		".env.example": {"KERNIA_DATABASE_URL": dbURL, "KERNIA_URL": baseURL, "KERNIA_SECRET": ""},
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		assert.NilError(t, err)
		vars, err := dotenv.Parse(bytes.NewReader(b))
		assert.NilError(t, err, name)
		got := map[string]string{}
		for _, v := range vars {
			got[v.Key] = v.Value
		}
		for k, v := range want {
			assert.Check(t, is.Equal(got[k], v), "%s: %s", name, k)
		}
	}
}

// TestInputs5_DotenvOnlyARegularFileInsideTheModule: a .env that is a FIFO (which must not
// hang the command), a directory, a link to /etc/passwd or /dev/zero, or a 2 MiB file is
// refused with an error naming the file and the rule, and nothing of it is printed.
func TestInputs5_DotenvOnlyARegularFileInsideTheModule(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, p string)
		want string
	}{
		{name: "fifo", want: "is a named pipe (FIFO)", make: func(t *testing.T, p string) { assert.NilError(t, syscall.Mkfifo(p, 0o600)) }},
		{name: "directory", want: "is a directory", make: func(t *testing.T, p string) { assert.NilError(t, os.Mkdir(p, 0o755)) }},
		{name: "symlink to /etc/passwd", want: "outside the module directory", make: func(t *testing.T, p string) { assert.NilError(t, os.Symlink("/etc/passwd", p)) }},
		{name: "symlink to /dev/zero", want: "outside the module directory", make: func(t *testing.T, p string) { assert.NilError(t, os.Symlink("/dev/zero", p)) }},
		{name: "2 MiB file", want: "larger than 1048576 bytes", make: func(t *testing.T, p string) {
			assert.NilError(t, os.WriteFile(p, bytes.Repeat([]byte("KERNIA_X=1\n"), 2<<20/11+1), 0o600))
		}},
	}
	passwd, _ := os.ReadFile("/etc/passwd")
	firstLine, _, _ := strings.Cut(string(passwd), "\n")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, dir := inputModule(t)
			p := filepath.Join(dir, ".env")
			tc.make(t, p)
			for _, args := range [][]string{{"secret"}, {"status", "--dir", filepath.Join(dir, "none")}, {"info"}} {
				r := kerniaIn(t, dir, nil, args...)
				expect(t, r, 1, p, tc.want)
				if firstLine != "" {
					assert.Check(t, !strings.Contains(r.combined(), firstLine), "printed /etc/passwd")
				}
			}
		})
	}
}

// TestInputs6_MigrationSymlinkOutsideRefused: a .sql entry of the migration directory that
// is a symbolic link to a file outside it (listed in a matching atlas.sum, so only the link
// check stands in the way) is refused by hash, migrate, status and generate; its statements
// never run and its text is never printed.
func TestInputs6_MigrationSymlinkOutsideRefused(t *testing.T) {
	const marker = "outside_marker_7f3a"
	outside := filepath.Join(t.TempDir(), "evil.sql")
	writeFile(t, outside, "-- "+marker+"\nCREATE TABLE "+marker+" (id int);\n")
	// prepare makes dir a migration directory holding a good file and the link, with an
	// atlas.sum that matches (computed by Atlas, which follows the link).
	prepare := func(t *testing.T, dir string) {
		t.Helper()
		assert.NilError(t, os.MkdirAll(dir, 0o755))
		writeFile(t, filepath.Join(dir, "20260101000000_init.sql"), "CREATE TABLE good (id int);\n")
		assert.NilError(t, os.Symlink(outside, filepath.Join(dir, "20260102000000_evil.sql")))
		ld, err := migrate.NewLocalDir(dir)
		assert.NilError(t, err)
		sum, err := ld.Checksum()
		assert.NilError(t, err)
		assert.NilError(t, migrate.WriteSumFile(ld, sum))
	}
	const want = "symbolic link to a file outside the migration directory"
	check := func(t *testing.T, r result) {
		t.Helper()
		expect(t, r, 1, "20260102000000_evil.sql", want)
		assert.Check(t, !strings.Contains(r.combined(), marker), "printed the linked file:\n%s", r.combined())
	}
	dbFile := func(t *testing.T) (string, func() []string) {
		p := filepath.Join(t.TempDir(), "app.db")
		return "sqlite://" + p, func() []string {
			if _, err := os.Stat(p); err != nil {
				return nil
			}
			db, err := sql.Open("sqlite", "file:"+p)
			assert.NilError(t, err)
			defer db.Close()
			rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
			assert.NilError(t, err)
			defer rows.Close()
			var names []string
			for rows.Next() {
				var n string
				assert.NilError(t, rows.Scan(&n))
				names = append(names, n)
			}
			return names
		}
	}
	t.Run("hash", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "m")
		prepare(t, dir)
		sum, err := os.ReadFile(filepath.Join(dir, "atlas.sum"))
		assert.NilError(t, err)
		check(t, kernia(t, "hash", "--dir", dir))
		after, err := os.ReadFile(filepath.Join(dir, "atlas.sum"))
		assert.NilError(t, err)
		assert.Check(t, bytes.Equal(sum, after), "hash rewrote atlas.sum")
	})
	for _, cmd := range [][]string{{"migrate"}, {"migrate", "--dry-run"}, {"status"}, {"status", "--json"}} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			prepare(t, dir)
			u, tables := dbFile(t)
			check(t, kernia(t, append(cmd, "--dir", dir, "--url", u)...))
			assert.Check(t, !slices.Contains(tables(), marker), "the linked file ran")
			assert.Check(t, !slices.Contains(tables(), "good"), "migrate ran files of a refused directory")
		})
	}
	t.Run("generate", func(t *testing.T) {
		parent, dir := inputModule(t)
		prepare(t, filepath.Join(dir, "ent/migrate/migrations/sqlite"))
		before := tree(t, parent)
		for _, args := range [][]string{{"generate"}, {"generate", "--dry-run"}, {"generate", "--check"}} {
			check(t, kerniaIn(t, dir, nil, args...))
		}
		assert.DeepEqual(t, outsideState(tree(t, parent)), outsideState(before))
	})
}

// outsideState drops the state generate keeps under .kernia/ (its lock, its fingerprint)
// from a tree: the checks are about the schema, the client and the migrations.
func outsideState(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.HasPrefix(k, filepath.Join("app", ".kernia")) {
			out[k] = v
		}
	}
	return out
}
