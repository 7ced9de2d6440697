package diff

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/pgtest"
)

// TestEarly: a directory replayed ahead of its diff (StartEarly) gives the diff exactly the
// result of a diff that replays itself, and is used only when it is the replay of the
// directory the diff reads, on the dev database the diff was configured with. Every other
// case drops it and the diff replays as usual; none leaves anything on the dev database.
func TestEarly(t *testing.T) {
	ctx := context.Background()
	at := func(s string) func() time.Time {
		return func() time.Time { v, _ := time.Parse(VersionFormat, s); return v }
	}
	grown := func() []*entschema.Table {
		tables := online3Tables(false)
		tables[1].AddColumn(&entschema.Column{Name: "nickname", Type: field.TypeString, Nullable: true})
		return tables
	}
	// newDir returns a directory holding the first migration of online3Tables.
	newDir := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "postgres")
		dev, err := OpenDev(ctx, "postgres", pgtest.NewDatabase(t), "")
		assert.NilError(t, err)
		defer dev.Close()
		r, err := Diff(ctx, Options{Dev: dev, Dir: dir, Tables: online3Tables(false), Name: "kernia", Now: at("20260102030400")})
		assert.NilError(t, err)
		writeResult(t, dir, r)
		return dir
	}
	// diffOn runs the grown diff of dir on dev with early (nil: none).
	diffOn := func(dev *DevDB, early *Early, dir string) (*Result, error) {
		return Diff(ctx, Options{Dev: dev, Early: early, Dir: dir, Tables: grown(), Name: "kernia", Now: at("20260102030500")})
	}
	// fresh is the diff of dir on a dev database of its own, without an early replay.
	fresh := func(t *testing.T, dir string) (*Result, error) {
		dev, err := OpenDev(ctx, "postgres", pgtest.NewDatabase(t), "")
		assert.NilError(t, err)
		defer dev.Close()
		return diffOn(dev, nil, dir)
	}
	sameResult := func(t *testing.T, got, want *Result) {
		t.Helper()
		assert.Equal(t, len(got.Files), len(want.Files))
		for i := range want.Files {
			assert.Equal(t, got.Files[i].Name, want.Files[i].Name)
			assert.Equal(t, string(got.Files[i].SQL), string(want.Files[i].SQL))
		}
		assert.Equal(t, string(got.Sum), string(want.Sum))
	}
	// started starts the early replay of dir on a new dev database and takes the database.
	started := func(t *testing.T, dir string) (*Early, *DevDB) {
		t.Helper()
		devURL := pgtest.NewDatabase(t)
		e := StartEarly(ctx, devURL, dir)
		t.Cleanup(func() { assert.Check(t, e.Close()) })
		dev := e.Take(devURL, dir)
		assert.Assert(t, dev != nil)
		t.Cleanup(func() { assert.Check(t, dev.Close()) })
		return e, dev
	}
	// empty checks that the dev database holds no table.
	empty := func(t *testing.T, devURL string) {
		t.Helper()
		dev, err := OpenDev(ctx, "postgres", devURL, "")
		assert.NilError(t, err, "the early replay left the dev database unclean")
		assert.NilError(t, dev.Close())
	}

	t.Run("used when it is the replay of the directory the diff reads", func(t *testing.T) {
		dir := newDir(t)
		e, dev := started(t, dir)
		d, err := readFormatDir(dir, "")
		assert.NilError(t, err)
		assert.Assert(t, e.state(dev, dir, d) != nil, "the early replay was not usable")
		got, err := diffOn(dev, e, dir)
		assert.NilError(t, err)
		want, err := fresh(t, dir)
		assert.NilError(t, err)
		assert.Assert(t, len(want.Files) > 0)
		sameResult(t, got, want)
		assert.Check(t, e.Take(e.devList, dir) == nil, "the dev database was handed out twice")
	})

	t.Run("dropped for another dev database or directory", func(t *testing.T) {
		dir := newDir(t)
		devURL := pgtest.NewDatabase(t)
		e := StartEarly(ctx, devURL, dir)
		assert.Check(t, e.Take(pgtest.NewDatabase(t), dir) == nil)
		assert.Check(t, e.Take(devURL, filepath.Join(t.TempDir(), "postgres")) == nil)
		assert.NilError(t, e.Close())
		assert.Check(t, e.Take(devURL, dir) == nil, "a closed early replay handed out its dev database")
		empty(t, devURL)
	})

	t.Run("dropped when the directory changed after the replay", func(t *testing.T) {
		dir := newDir(t)
		e, dev := started(t, dir)
		// A file written after the replay (another generate, a hand-written file).
		assert.NilError(t, os.WriteFile(filepath.Join(dir, "20260102030450_handwritten.sql"), []byte("CREATE TABLE handwritten (id bigint PRIMARY KEY);\n"), 0o644))
		ld, err := migrate.NewLocalDir(dir)
		assert.NilError(t, err)
		sum, err := ld.Checksum()
		assert.NilError(t, err)
		assert.NilError(t, migrate.WriteSumFile(ld, sum))
		d, err := readFormatDir(dir, "")
		assert.NilError(t, err)
		assert.Check(t, e.state(dev, dir, d) == nil, "the replay of another directory was used")
		// The diff sees the new table, which the early replay never had: it would drop it.
		_, gotErr := diffOn(dev, e, dir)
		assert.ErrorContains(t, gotErr, "drops table handwritten")
		_, wantErr := fresh(t, dir)
		assert.Error(t, gotErr, wantErr.Error())
	})

	t.Run("a replay that fails leaves the diff its own error", func(t *testing.T) {
		dir := newDir(t)
		entries, err := os.ReadDir(dir)
		assert.NilError(t, err)
		for _, en := range entries {
			assert.NilError(t, os.Remove(filepath.Join(dir, en.Name())))
		}
		writeDir(t, dir, "CREATE TABLE broken (id no_such_type);\n")
		e, dev := started(t, dir)
		_, gotErr := diffOn(dev, e, dir)
		_, wantErr := fresh(t, dir)
		assert.Assert(t, wantErr != nil)
		assert.Error(t, gotErr, wantErr.Error())
	})

	t.Run("interrupted, it leaves nothing", func(t *testing.T) {
		dir := newDir(t)
		devURL := pgtest.NewDatabase(t)
		cctx, cancel := context.WithCancel(ctx)
		e := StartEarly(cctx, devURL, dir)
		cancel()
		assert.NilError(t, e.Close())
		empty(t, devURL)
	})

	t.Run("no PostgreSQL dev database, no early replay", func(t *testing.T) {
		dir := newDir(t)
		for _, list := range []string{"", "mysql://root@127.0.0.1:3306/dev", "not a url"} {
			e := StartEarly(ctx, list, dir)
			assert.Check(t, e == nil, "%q", list)
			assert.Check(t, e.Take(list, dir) == nil)
			assert.NilError(t, e.Close())
		}
	})
}
