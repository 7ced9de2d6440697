package betterauthtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/ent"
	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/dogfood"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/internal/moduletest"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/plugins/oauthprovider"
)

// authStub keeps the generated module's requirements (Kernia, its plugins, Ent) before ent/
// exists; the test hands the instance to the generator itself.
const authStub = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/builtin"
)

// Auth is the dogfood configuration under Better Auth's names.
var Auth = kernia.New(kernia.Options{Naming: kernia.BetterAuthNames, Plugins: builtin.All(), DatabaseRateLimit: true})
`

// peerentOutput is what testdata/peerent prints.
type peerentOutput struct {
	User struct {
		ID            string    `json:"id"`
		Email         string    `json:"email"`
		Name          string    `json:"name"`
		EmailVerified bool      `json:"emailVerified"`
		CreatedAt     time.Time `json:"createdAt"`
	} `json:"user"`
	Session struct {
		ID        string    `json:"id"`
		Token     string    `json:"token"`
		UserID    string    `json:"userId"`
		ExpiresAt time.Time `json:"expiresAt"`
	} `json:"session"`
	Live        int `json:"live"`
	ExpiredLive int `json:"expiredLive"`
	OAuthClient struct {
		ID           string         `json:"id"`
		ClientID     string         `json:"clientId"`
		RedirectUris []string       `json:"redirectUris"`
		Scopes       []string       `json:"scopes"`
		Metadata     map[string]any `json:"metadata"`
		Disabled     bool           `json:"disabled"`
	} `json:"oauthClient"`
	Now time.Time `json:"now"`
}

// TestBetterAuthPeerBetterAuthNames is TestBetterAuthPeer for kernia.BetterAuthNames: the
// dogfood configuration generated with Better Auth's names into a module of its own (its Ent
// client and migrations), migrated onto PostgreSQL and SQLite, and Better Auth 1.7.25 run on it
// with no modelName or fields mapping at all: its planner finds nothing to create, add or index
// and no problem, its schema check passes, a user signs up and in, the generated client reads
// that user and session (and an oauthClient row) back, and Better Auth reads rows it wrote.
// The client is generated with Better Auth's names too, from core and oauth-provider (see
// below), and built with -trimpath so the build cache serves later runs.
func TestBetterAuthPeerBetterAuthNames(t *testing.T) {
	in := install(t)
	ctx := context.Background()
	opts := dogfood.Auth().Options()
	opts.Naming = kernia.BetterAuthNames
	// Better Auth runs against the PostgreSQL and SQLite migrations: the dogfood's MySQL ones
	// are not generated here.
	opts.Dialects = []string{kernia.SQLite, kernia.Postgres}
	opts.DevURL = pgtest.NewDatabase(t)
	auth := kernia.New(opts)
	var plugins []string
	for _, p := range auth.Plugins() {
		plugins = append(plugins, p.ID())
	}
	plan, err := compose.Build(auth)
	if err != nil {
		t.Fatal(err)
	}
	entities := map[string]entityTable{}
	tables := plan.Contributors()
	for _, id := range plan.Identities() {
		var cols []string
		for _, c := range tables[id.Table] {
			cols = append(cols, c.Name)
		}
		entities[id.Entity] = entityTable{Table: id.Table, Columns: cols}
	}

	src, err := os.ReadFile(filepath.Join(testdataDir, "peerent", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	clock := generator.Options{Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}
	// The migrations: the dogfood configuration (every plugin) under Better Auth's names.
	dir := moduletest.New(t, "example.com/peer", map[string]string{"auth/auth.go": authStub})
	clientDir := moduletest.New(t, "example.com/peer", map[string]string{"auth/auth.go": authStub})
	t.Chdir(dir)
	start := time.Now()
	if _, err := generator.Run(ctx, auth, clock); err != nil {
		t.Fatalf("kernia generate with kernia.BetterAuthNames: %v", err)
	}
	t.Logf("kernia generate (every plugin, Better Auth names): %s", time.Since(start).Round(time.Millisecond))
	migrations := dir
	// The client: a Go service that reads Better Auth's sessions needs only the tables it
	// queries, and a client of core and oauth-provider compiles in a third of the time of the
	// full one. Its tables and columns are the full configuration's (the names depend on the
	// naming mode, not on the other plugins), and the other plugins' columns of user and
	// session are nullable or have defaults, as Better Auth requires of them too.
	dir = clientDir
	t.Chdir(dir)
	if _, err := generator.Run(ctx, kernia.New(kernia.Options{Naming: kernia.BetterAuthNames, Dialects: []string{kernia.SQLite}, Plugins: []kernia.Plugin{oauthprovider.New()}}), clock); err != nil {
		t.Fatalf("kernia generate of the client: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "cmd", "peerent"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cmd", "peerent", "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	// -trimpath: the build cache keys the packages by content, not by this temporary
	// directory, so a later run reuses the compiled client.
	start = time.Now()
	bin := filepath.Join(t.TempDir(), "peerent")
	moduletest.Run(t, dir, "go", "build", "-trimpath", "-o", bin, "./cmd/peerent")
	t.Logf("go build of the generated client: %s", time.Since(start).Round(time.Millisecond))
	peerent := func(t *testing.T, args ...string) peerentOutput {
		t.Helper()
		cmd := exec.Command(bin, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("peerent %s: %v\n%s", args[0], err, stderr.String())
		}
		var out peerentOutput
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("peerent output: %v\n%s", err, b)
		}
		return out
	}

	for _, tc := range []struct {
		dialect  string
		database func(t *testing.T) (string, peerInput)
	}{
		{"postgres", func(t *testing.T) (string, peerInput) {
			u := pgtest.NewDatabase(t)
			return u, peerInput{Dialect: "postgres", URL: u}
		}},
		{"sqlite", func(t *testing.T) (string, peerInput) {
			f := filepath.Join(t.TempDir(), "kernia.db")
			return "sqlite://" + f, peerInput{Dialect: "sqlite", File: f}
		}},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			url, input := tc.database(t)
			res, err := migration.Apply(ctx, url, filepath.Join(migrations, "ent", "migrate", "migrations", tc.dialect), migration.ApplyOptions{})
			if err != nil {
				t.Fatalf("kernia migrate: %v", err)
			}
			t.Logf("kernia migrate (Better Auth names): %d files applied, version %s", len(res.Applied), res.To)
			input.Naming = "better-auth"
			input.Plugins, input.RateLimit, input.Entities, input.Packages = plugins, opts.DatabaseRateLimit, entities, packages
			input.Email = "names-" + tc.dialect + "@example.com"
			out := peer(t, in, input)
			label := tc.dialect + ", Better Auth names"
			logPeer(t, label, out)
			if out.Naming != "better-auth" || out.CoreOptions != 0 || len(out.Patched) > 0 {
				t.Errorf("[%s] the peer mapped names (naming %q, %d core models mapped, patched %q): it must run with Better Auth's defaults", label, out.Naming, out.CoreOptions, out.Patched)
			}
			// Every index Better Auth's planner looks up by name has that name: none to add.
			checkPeerNames(t, tc.dialect, out, map[string]string{
				"account.issuer": allowedExtra["accounts.issuer"],
			}, func(string, []string, bool) (string, bool) { return "", false })
			if out.User == nil || out.Session == nil || out.OAuthClient == nil || out.Expired == nil {
				t.Fatalf("[%s] the peer wrote no user, session or oauthClient row", label)
			}

			// Better Auth's rows through the generated client (Better Auth's table and column names).
			readIn := filepath.Join(t.TempDir(), "read.json")
			b, _ := json.Marshal(map[string]any{"userId": out.User.ID, "sessionToken": out.Session.Token, "expiredToken": out.Expired.Token, "oauthClientId": out.OAuthClient.ID, "now": out.Now})
			if err := os.WriteFile(readIn, b, 0o600); err != nil {
				t.Fatal(err)
			}
			got := peerent(t, "read", url, readIn)
			if got.User.Email != out.User.Email || got.User.Name != out.User.Name || got.User.EmailVerified != out.User.EmailVerified || !got.User.CreatedAt.Equal(parseJS(t, out.User.CreatedAt)) {
				t.Errorf("[%s] user through Ent %+v; Better Auth wrote %+v", label, got.User, *out.User)
			} else {
				t.Logf("[%s] Ent reads Better Auth's user: email %s, created_at %s", label, got.User.Email, got.User.CreatedAt.Format(time.RFC3339Nano))
			}
			if got.Session.ID != out.Session.ID || got.Session.UserID != out.User.ID || !got.Session.ExpiresAt.Equal(parseJS(t, out.Session.ExpiresAt)) || got.Live != 1 {
				t.Errorf("[%s] session through Ent %+v (live by token and expiresAt > now: %d); Better Auth wrote %+v", label, got.Session, got.Live, *out.Session)
			} else {
				t.Logf("[%s] Ent reads Better Auth's session: user %s, expires_at %s, live", label, got.Session.UserID, got.Session.ExpiresAt.Format(time.RFC3339Nano))
			}
			observed(t, tc.dialect+"/expired-session-is-live", got.ExpiredLive != 0,
				fmt.Sprintf("[%s] Ent's expires_at > %s counts Better Auth's session that expired at %s as live", label, out.Now, out.Expired.ExpiresAt),
				fmt.Sprintf("[%s] Ent's expires_at > now sees Better Auth's session that expired at %s as expired", label, out.Expired.ExpiresAt))
			gm, _ := json.Marshal(got.OAuthClient.Metadata)
			wm, _ := json.Marshal(out.OAuthClient.Metadata)
			if c := got.OAuthClient; c.ClientID != out.OAuthClient.ClientID || !slices.Equal(c.RedirectUris, out.OAuthClient.RedirectUris) || !slices.Equal(c.Scopes, out.OAuthClient.Scopes) || string(gm) != string(wm) || c.Disabled != out.OAuthClient.Disabled {
				t.Errorf("[%s] oauthClient through Ent %+v; Better Auth wrote %+v", label, c, *out.OAuthClient)
			} else {
				t.Logf("[%s] Ent reads Better Auth's oauthClient row: redirectUris %q, metadata %s", label, c.RedirectUris, gm)
			}

			// Rows the generated client wrote, through Better Auth.
			w := peerent(t, "write", url, "ent-"+input.Email)
			rows := entRows{
				user:    &ent.User{ID: w.User.ID, Email: w.User.Email, Name: w.User.Name, EmailVerified: w.User.EmailVerified, CreatedAt: w.User.CreatedAt},
				session: &ent.Session{ID: w.Session.ID, Token: w.Session.Token, UserID: w.Session.UserID, ExpiresAt: w.Session.ExpiresAt},
				client:  &ent.OAuthClient{ID: w.OAuthClient.ID, ClientID: w.OAuthClient.ClientID, RedirectUris: w.OAuthClient.RedirectUris, Metadata: w.OAuthClient.Metadata},
				now:     w.Now,
			}
			input.Read = &peerRead{SessionToken: rows.session.Token, OAuthClientID: rows.client.ID, Now: rows.now.Format(time.RFC3339Nano)}
			checkPeerRead(t, tc.dialect, label, peer(t, in, input), rows)
		})
	}
}
