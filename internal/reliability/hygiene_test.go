package reliability_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// Check 21: the database password and the secret never appear in stdout or stderr of any
// command in any mode: success, --json, --dry-run, help and usage errors, database and
// directory errors, a recorded failure shown by status, a lock timeout, and a panic in a plugin
// whose message holds both. Every command the suite runs is checked the same way (proc.wait);
// this test runs each mode once with the password in $KERNIA_DATABASE_URL.
func TestHygiene21_PasswordAndSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	u := passwordRole(t, rolePassword)
	u.User = url.UserPassword("kernia_password_test", rolePassword)
	u.RawQuery = "sslmode=disable"
	dbURL := u.String()
	assert.Check(t, strings.Contains(dbURL, "Left9x"), dbURL)
	closed := "postgres://kernia_password_test:" + url.QueryEscape(rolePassword) + "@" + closedPort(t) + "/app?sslmode=disable"
	dir := migrations(t, map[string]string{"20260101000001_a.sql": goodFile})
	bad := migrations(t, map[string]string{"20260101000001_a.sql": goodFile, "20260101000002_b.sql": badFile})
	edited := migrations(t, map[string]string{"20260101000001_a.sql": goodFile})
	appendTo(t, filepath.Join(edited, "20260101000001_a.sql"), "-- edited\n")
	empty := t.TempDir()
	envURL := []string{"KERNIA_DATABASE_URL=" + dbURL}

	runs := []struct {
		name    string
		dir     string
		env     []string
		args    []string
		code    int
		want    string
		prepare func(t *testing.T) func()
	}{
		{name: "migrate --dry-run", args: []string{"migrate", "--dir", dir, "--dry-run"}, want: "dry run on postgres://kernia_password_test@"},
		{name: "migrate --dry-run --json", args: []string{"migrate", "--dir", dir, "--dry-run", "--json"}},
		{name: "migrate", args: []string{"migrate", "--dir", dir}, want: "applied 20260101000001_a.sql"},
		{name: "migrate, nothing to do", args: []string{"migrate", "--dir", dir}, want: "nothing to apply: postgres://kernia_password_test@"},
		{name: "migrate --json", args: []string{"migrate", "--dir", dir, "--json"}},
		{name: "migrate --url", args: []string{"migrate", "--dir", dir, "--url", dbURL}},
		{name: "status", args: []string{"status", "--dir", dir}},
		{name: "status --json", args: []string{"status", "--dir", dir, "--json"}},
		{name: "hash", args: []string{"hash", "--dir", dir}},
		{name: "help", args: []string{"help"}},
		{name: "migrate --help", args: []string{"migrate", "--help"}},
		{name: "unknown flag", args: []string{"migrate", "--frob"}, code: 2},
		{name: "failing file", args: []string{"migrate", "--dir", bad, "--url", dbURL}, code: 1, want: "missing_table"},
		{name: "status with the last failure", args: []string{"status", "--dir", bad}, want: ""},
		{name: "status --json with the last failure", args: []string{"status", "--dir", bad, "--json"}},
		{name: "edited file", args: []string{"migrate", "--dir", edited}, code: 1, want: "checksum mismatch"},
		{name: "unreachable server", args: []string{"migrate", "--dir", dir, "--url", closed}, code: 1, want: "connection refused"},
		{name: "unreachable server, status --json", args: []string{"status", "--dir", dir, "--url", closed, "--json"}, code: 1, want: "connection refused"},
		{name: "lock timeout", args: []string{"migrate", "--dir", dir, "--lock-timeout", "1s"}, code: 1, want: "advisory lock", prepare: func(t *testing.T) func() {
			tg := &target{dialect: "postgres", db: openPG(t, dbURL)}
			conn, err := tg.db.Conn(t.Context())
			assert.NilError(t, err)
			_, err = conn.ExecContext(t.Context(), "SELECT pg_advisory_lock(2686470616)")
			assert.NilError(t, err)
			return func() { conn.Close() }
		}},
		{name: "generate outside a module", dir: empty, args: []string{"generate", "--dry-run"}, code: 1},
		{name: "panic in a plugin", dir: empty, env: []string{"RELIABILITY_EXPLODING_PLUGIN=1"}, args: []string{"generate", "--dry-run"}, code: 1, want: "internal error"},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			if r.prepare != nil {
				defer r.prepare(t)()
			}
			res := kerniaIn(t, r.dir, append(append([]string{}, envURL...), r.env...), r.args...)
			expect(t, res, r.code)
			if r.want != "" {
				assert.Check(t, strings.Contains(res.combined(), r.want), "output does not contain %q:\n%s", r.want, res.combined())
			}
			assert.Check(t, !strings.Contains(res.combined(), secret[:16]), "output contains the start of the secret")
		})
	}
	// The panic's message held the URL and the secret: both are redacted, by form and by value.
	res := kerniaIn(t, empty, append(envURL, "RELIABILITY_EXPLODING_PLUGIN=1"), "generate", "--dry-run")
	assert.Check(t, strings.Contains(res.stderr, "exploding plugin: url postgres://kernia_password_test:[redacted]@"), res.stderr)
	assert.Check(t, strings.Contains(res.stderr, "secret [redacted]"), res.stderr)
}
