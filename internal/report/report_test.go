package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/twofactor"
)

func TestScrubAndSensitive(t *testing.T) {
	secret := strings.Repeat("5ec7e7", 11)
	t.Setenv("KERNIA_SECRET", secret)
	t.Setenv("KERNIA_SECRETS", "")
	auth := kernia.New(kernia.Options{
		DatabaseURL: "postgres://alice:p%40ss-word@db:5432/x?sslmode=disable",
		DevURL:      "host=db user=bob password='dev pass' dbname=dev",
	})
	sens := Sensitive(auth)
	for _, want := range []string{secret, "p@ss-word", "p%40ss-word", "dev pass"} {
		assert.Check(t, is.Contains(sens, want))
	}
	out := Scrub("a "+secret+" b p@ss-word c p%40ss-word d dev pass", sens)
	assert.Equal(t, out, "a [redacted] b [redacted] c [redacted] d [redacted]")
}

func TestBuildWithDatabaseDown(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("KERNIA_SECRET", "")
	t.Setenv("KERNIA_SECRETS", "")
	t.Setenv("KERNIA_URL", "https://user:urlpass@shop.example.com")
	auth := kernia.New(kernia.Options{
		AppName:     "shop",
		DatabaseURL: "postgres://alice:s3cret-pw@127.0.0.1:1/shop?sslmode=disable&password=s3cret-pw",
		Plugins:     []kernia.Plugin{twofactor.New()},
	})
	rep := Build(context.Background(), auth, Options{ConnectTimeout: 2 * time.Second})
	var text, js bytes.Buffer
	assert.NilError(t, rep.WriteText(&text, Sensitive(auth)))
	assert.NilError(t, rep.WriteJSON(&js, Sensitive(auth)))
	for _, out := range []string{text.String(), js.String()} {
		assert.Check(t, !strings.Contains(out, "s3cret-pw"), out)
		assert.Check(t, !strings.Contains(out, "urlpass"), out)
	}
	// Everything else is still reported.
	assert.Check(t, is.Contains(text.String(), "UNREACHABLE"))
	assert.Check(t, is.Regexp(`two_factor_enabled\s+two-factor`, text.String()))
	assert.Check(t, is.Contains(text.String(), "secret      MISSING"))
	assert.Equal(t, rep.App.BaseURL, "https://user@shop.example.com")
	assert.Check(t, rep.Adapter.Reachable != nil && !*rep.Adapter.Reachable)
	assert.Check(t, is.Contains(strings.Join(rep.Warnings, "\n"), "database unreachable"))
	problems := strings.Join(rep.Problems, "\n")
	assert.Check(t, is.Contains(problems, "neither KERNIA_SECRETS nor KERNIA_SECRET is set"))
	assert.Check(t, is.Contains(problems, "schema drift"))
	assert.Check(t, is.Contains(problems, "ent/migrate/migrations/postgres does not exist"))

	var back Report
	assert.NilError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, back.Plugins[0].ID, "two-factor")
}

func TestContributorsShowRenames(t *testing.T) {
	t.Chdir(t.TempDir())
	auth := kernia.New(kernia.Options{
		DatabaseURL: "sqlite://app.db",
		Plugins:     []kernia.Plugin{twofactor.New()},
		Schema: map[string]kernia.EntitySchema{
			"User": {Table: "app_users", Columns: map[string]string{"email": "email_address"}},
		},
	})
	rep := Build(context.Background(), auth, Options{})
	var users *Table
	for i := range rep.Contributors {
		if rep.Contributors[i].Entity == "User" {
			users = &rep.Contributors[i]
		}
	}
	assert.Assert(t, users != nil)
	assert.Equal(t, users.Table, "app_users")
	assert.Check(t, is.Contains(users.Columns, Column{Name: "email_address", Field: "email", Contributor: "core"}))
	assert.Check(t, is.Contains(users.Columns, Column{Name: "two_factor_enabled", Contributor: "two-factor"}))
	var text bytes.Buffer
	assert.NilError(t, rep.WriteText(&text, nil))
	assert.Check(t, is.Regexp(`email_address \(field email\)\s+core`, text.String()))
	assert.Check(t, is.Contains(strings.Join(rep.Warnings, "\n"), "app.db does not exist yet"))
	assert.Check(t, rep.Adapter.Reachable == nil)
}

// TestDevURLs: info shows each URL of the dev database list without its password, and a list
// the rule refuses is a problem (naming the rule, never the password).
func TestDevURLs(t *testing.T) {
	tests := []struct {
		name, list, text string
		urls             []string
		problem          string
	}{
		{name: "none", text: "dev URLs    none", urls: []string{}},
		{name: "one", list: "postgres://dev:devpw-1@127.0.0.1:5432/dev?sslmode=disable",
			text: "dev URLs    postgres://dev@127.0.0.1:5432/dev?sslmode=disable (KERNIA_DEV_URL from the environment)",
			urls: []string{"postgres://dev@127.0.0.1:5432/dev?sslmode=disable"}},
		{name: "one per dialect", list: "postgres://dev:devpw-1@127.0.0.1:5432/dev?sslmode=disable\n mysql://root:devpw-2@127.0.0.1:3306/",
			text: "dev URLs    postgres://dev@127.0.0.1:5432/dev?sslmode=disable mysql://root@127.0.0.1:3306/ (KERNIA_DEV_URL from the environment)",
			urls: []string{"postgres://dev@127.0.0.1:5432/dev?sslmode=disable", "mysql://root@127.0.0.1:3306/"}},
		{name: "two of one dialect", list: "mysql://root:devpw-1@127.0.0.1:3306/ mysql://root:devpw-2@127.0.0.1:3307/",
			text: "dev URLs    INVALID (KERNIA_DEV_URL from the environment)", urls: []string{},
			problem: "dev database: dev database URL 2 of 2 is a second mysql URL (mysql://root@127.0.0.1:3307/, after mysql://root@127.0.0.1:3306/): keep one (KERNIA_DEV_URL (Options.DevURL) holds one dev database URL per server dialect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			t.Setenv(kernia.EnvDevURL, tc.list)
			auth := kernia.New(kernia.Options{DatabaseURL: "sqlite://app.db", Dialects: []string{kernia.SQLite}})
			rep := Build(context.Background(), auth, Options{})
			var text, js bytes.Buffer
			assert.NilError(t, rep.WriteText(&text, Sensitive(auth)))
			assert.NilError(t, rep.WriteJSON(&js, Sensitive(auth)))
			assert.Check(t, is.Contains(text.String(), tc.text))
			var back struct {
				Adapter struct {
					DevURLs []string `json:"dev_urls"`
				} `json:"adapter"`
			}
			assert.NilError(t, json.Unmarshal(js.Bytes(), &back))
			assert.Check(t, is.DeepEqual(back.Adapter.DevURLs, tc.urls))
			problems := strings.Join(rep.Problems, "\n")
			if tc.problem != "" {
				assert.Check(t, is.Contains(problems, tc.problem))
			} else {
				assert.Check(t, !strings.Contains(problems, "dev database"), problems)
			}
			for _, out := range []string{text.String(), js.String(), problems} {
				assert.Check(t, !strings.Contains(out, "devpw"), out)
			}
		})
	}
}
