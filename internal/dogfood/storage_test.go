package dogfood_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ariga.io/atlas/sql/migrate"
	entsql "entgo.io/ent/dialect/sql"
	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/ent"
	"github.com/kernia/kernia/ent/session"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/diff"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/sqldb"
)

// sqliteMigrations is the committed dogfood SQLite directory.
var sqliteMigrations = filepath.Join("..", "..", "ent", "migrate", "migrations", "sqlite")

// olderDirectory copies the dogfood SQLite directory without its storage migration and what
// follows it, with its atlas.sum: the directory as an older Kernia left it.
func olderDirectory(t *testing.T) string {
	t.Helper()
	src, err := migrate.NewLocalDir(sqliteMigrations)
	assert.NilError(t, err)
	files, err := src.Files()
	assert.NilError(t, err)
	dir := t.TempDir()
	dst, err := migrate.NewLocalDir(dir)
	assert.NilError(t, err)
	var kept []migrate.File
	for _, f := range files {
		if strings.HasSuffix(f.Name(), "_"+diff.StorageName+".sql") {
			break
		}
		assert.Assert(t, !strings.Contains(string(f.Bytes()), diff.StorageMarker), "%s predates the storage migration but records the format", f.Name())
		assert.NilError(t, dst.WriteFile(f.Name(), f.Bytes()))
		kept = append(kept, f)
	}
	assert.Assert(t, len(kept) > 0 && len(kept) < len(files), "the dogfood directory has no storage migration after its first files")
	sum, err := migrate.NewHashFile(kept)
	assert.NilError(t, err)
	assert.NilError(t, migrate.WriteSumFile(dst, sum))
	return dir
}

// TestStorageMigrationConvertsRowsAnOlderKerniaWrote: on a SQLite database migrated and
// written by an older Kernia (its opener: modernc's "sqlite" time format, JSON as BLOBs, on a
// machine whose clock is not UTC), shared with Better Auth (ISO text), the generated client's
// expires_at > now is wrong while the formats are mixed; the committed storage migration
// rewrites Kernia's rows once, after which it is right, every value reads back as written and
// JSON is text that json_extract reads.
func TestStorageMigrationConvertsRowsAnOlderKerniaWrote(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	url := "sqlite://" + path
	_, err := migration.Apply(ctx, url, olderDirectory(t), migration.ApplyOptions{})
	assert.NilError(t, err)

	// Noon UTC; the older Kernia ran in CET.
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cet := time.FixedZone("CET", 3600)
	older, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_time_format=sqlite")
	assert.NilError(t, err)
	oc := ent.NewClient(ent.Driver(entsql.OpenDB("sqlite3", older)))
	u := oc.User.Create().SetName("Ada").SetEmail("ada@example.com").SetEmailVerified(true).
		SetCreatedAt(now.Add(-48 * time.Hour).In(cet)).SetUpdatedAt(now.Add(-time.Minute).In(cet)).SaveX(ctx)
	oc.Session.Create().SetUser(u).SetToken("kernia-expired").SetExpiresAt(now.Add(-time.Hour).In(cet)).SaveX(ctx)
	oc.Session.Create().SetUser(u).SetToken("kernia-live").SetExpiresAt(now.Add(time.Hour).In(cet)).SaveX(ctx)
	client := oc.OAuthClient.Create().SetClientID("older-client").SetRedirectUris([]string{"https://app.example.com/cb"}).
		SetMetadata(map[string]any{"tier": "gold"}).SaveX(ctx)
	assert.NilError(t, oc.Close())
	// Better Auth's rows: ISO text.
	db, _, err := sqldb.Open(ctx, url)
	assert.NilError(t, err)
	defer db.Close()
	for _, s := range []struct{ token, expires string }{
		{"peer-expired", "2026-12-01T11:00:00.000Z"},
		{"peer-live", "2026-12-01T13:00:00.000Z"},
	} {
		_, err := db.ExecContext(ctx, "INSERT INTO `sessions` (`id`, `token`, `user_id`, `expires_at`, `created_at`, `updated_at`) VALUES (?, ?, ?, ?, ?, ?)",
			s.token, s.token, u.ID, s.expires, "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00.000Z")
		assert.NilError(t, err)
	}
	c := ent.NewClient(ent.Driver(entsql.OpenDB("sqlite3", db)))
	live := func() []string {
		t.Helper()
		ss, err := c.Session.Query().Where(session.ExpiresAtGT(now)).Order(session.ByToken()).All(ctx)
		assert.NilError(t, err)
		var tokens []string
		for _, s := range ss {
			tokens = append(tokens, s.Token)
		}
		return tokens
	}
	wantLive := []string{"kernia-live", "peer-live"}
	assert.Assert(t, !equal(live(), wantLive), "mixed formats compared right before the storage migration: %v", live())

	res, err := migration.Apply(ctx, url, sqliteMigrations, migration.ApplyOptions{})
	assert.NilError(t, err)
	var applied []string
	for _, f := range res.Applied {
		applied = append(applied, f.Name)
	}
	assert.Assert(t, len(applied) >= 1 && strings.HasSuffix(applied[0], "_"+diff.StorageName+".sql"), "applied %v", applied)

	assert.DeepEqual(t, live(), wantLive)
	var kinds, bad int
	assert.NilError(t, db.QueryRowContext(ctx, "SELECT count(DISTINCT typeof(`expires_at`)), "+
		"count(*) FILTER (WHERE `expires_at` NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z') FROM `sessions`").Scan(&kinds, &bad))
	assert.Equal(t, kinds, 1)
	assert.Equal(t, bad, 0, "sessions.expires_at not in ISO-8601 UTC text")
	var createdAt, updatedAt, metaType, tier, urisType string
	assert.NilError(t, db.QueryRowContext(ctx, "SELECT CAST(`created_at` AS TEXT), CAST(`updated_at` AS TEXT) FROM `users` WHERE `id` = ?", u.ID).Scan(&createdAt, &updatedAt))
	assert.Equal(t, createdAt+" "+updatedAt, database.FormatTime(now.Add(-48*time.Hour))+" "+database.FormatTime(now.Add(-time.Minute)))
	assert.NilError(t, db.QueryRowContext(ctx, "SELECT typeof(`metadata`), json_extract(`metadata`, '$.tier'), typeof(`redirect_uris`) FROM `oauth_clients` WHERE `id` = ?", client.ID).
		Scan(&metaType, &tier, &urisType))
	assert.Equal(t, metaType+" "+tier+" "+urisType, "text gold text")

	gotUser := c.User.GetX(ctx, u.ID)
	assert.Assert(t, gotUser.CreatedAt.Equal(now.Add(-48*time.Hour)) && gotUser.UpdatedAt.Equal(now.Add(-time.Minute)), "%+v", gotUser)
	gotClient := c.OAuthClient.GetX(ctx, client.ID)
	assert.DeepEqual(t, gotClient.RedirectUris, []string{"https://app.example.com/cb"})
	assert.DeepEqual(t, gotClient.Metadata, map[string]any{"tier": "gold"})

	// Applied once: nothing is left to apply.
	again, err := migration.Apply(ctx, url, sqliteMigrations, migration.ApplyOptions{})
	assert.NilError(t, err)
	assert.Equal(t, len(again.Applied), 0)
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }
