// Command peerent is the Go side of the Better Auth peer test under kernia.BetterAuthNames:
// the test copies it into a module generated with that naming (Kernia's Ent client with
// Better Auth's table and column names) and runs it against the database Better Auth wrote to.
//
//	peerent read <url> <input.json>   reads Better Auth's rows through the generated client
//	peerent write <url> <email>       writes a user, a live session and an OAuth client
//
// It prints one JSON object on stdout.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"example.com/peer/ent"
	"example.com/peer/ent/session"
	"github.com/kernia/kernia/sqldb"
)

type readInput struct {
	UserID        string    `json:"userId"`
	SessionToken  string    `json:"sessionToken"`
	ExpiredToken  string    `json:"expiredToken"`
	OAuthClientID string    `json:"oauthClientId"`
	Now           time.Time `json:"now"`
}

func main() {
	if len(os.Args) != 4 {
		fail(fmt.Errorf("usage: peerent read|write <url> <arg>"))
	}
	ctx := context.Background()
	db, dialect, err := sqldb.Open(ctx, os.Args[2])
	if err != nil {
		fail(err)
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect, db)))
	defer client.Close()
	out := map[string]any{}
	switch os.Args[1] {
	case "read":
		b, err := os.ReadFile(os.Args[3])
		if err != nil {
			fail(err)
		}
		var in readInput
		if err := json.Unmarshal(b, &in); err != nil {
			fail(err)
		}
		u, err := client.User.Get(ctx, in.UserID)
		if err != nil {
			fail(fmt.Errorf("read Better Auth's user %s: %w", in.UserID, err))
		}
		out["user"] = map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "emailVerified": u.EmailVerified, "createdAt": u.CreatedAt.UTC()}
		s, err := client.Session.Query().Where(session.Token(in.SessionToken)).Only(ctx)
		if err != nil {
			fail(fmt.Errorf("find Better Auth's session by token: %w", err))
		}
		out["session"] = map[string]any{"id": s.ID, "token": s.Token, "userId": s.UserID, "expiresAt": s.ExpiresAt.UTC()}
		live, err := client.Session.Query().Where(session.Token(in.SessionToken), session.ExpiresAtGT(in.Now)).Count(ctx)
		if err != nil {
			fail(err)
		}
		expired, err := client.Session.Query().Where(session.Token(in.ExpiredToken), session.ExpiresAtGT(in.Now)).Count(ctx)
		if err != nil {
			fail(err)
		}
		out["live"], out["expiredLive"] = live, expired
		c, err := client.OAuthClient.Get(ctx, in.OAuthClientID)
		if err != nil {
			fail(fmt.Errorf("read Better Auth's oauthClient row: %w", err))
		}
		out["oauthClient"] = map[string]any{"id": c.ID, "clientId": c.ClientID, "redirectUris": c.RedirectUris, "scopes": c.Scopes, "metadata": c.Metadata, "disabled": c.Disabled}
	case "write":
		now := time.Now().UTC()
		midnight := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
		ahead := min(time.Hour, midnight.Sub(now)/2)
		u := client.User.Create().SetName("Ent Writer").SetEmail(os.Args[3]).SetEmailVerified(true).SaveX(ctx)
		s := client.Session.Create().SetUser(u).SetToken("ent-token-" + u.ID).SetExpiresAt(now.Add(ahead)).SaveX(ctx)
		c := client.OAuthClient.Create().SetClientID("ent-client-" + u.ID).
			SetRedirectUris([]string{"https://app.example.com/callback"}).
			SetMetadata(map[string]any{"tier": "gold", "seats": 3}).SaveX(ctx)
		out["user"] = map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "emailVerified": u.EmailVerified, "createdAt": u.CreatedAt.UTC()}
		out["session"] = map[string]any{"id": s.ID, "token": s.Token, "userId": s.UserID, "expiresAt": s.ExpiresAt.UTC()}
		out["oauthClient"] = map[string]any{"id": c.ID, "clientId": c.ClientID, "redirectUris": c.RedirectUris, "metadata": c.Metadata}
		out["now"] = now
	default:
		fail(fmt.Errorf("unknown mode %q", os.Args[1]))
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "peerent:", err)
	os.Exit(1)
}
