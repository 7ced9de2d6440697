package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/sqldb"
)

// Lookup is a query an auth flow makes, which must be an index scan as tables grow.
type Lookup struct {
	Name, SQL string
}

// Lookups lists every lookup the auth flows of the core and the built-in plugins make.
var Lookups = []Lookup{
	{"session by token (every request)", `SELECT * FROM sessions WHERE token = 'x'`},
	{"sessions by user (list, revoke)", `SELECT * FROM sessions WHERE user_id = 'x'`},
	{"user by email (sign-in, sign-up)", `SELECT * FROM users WHERE email = 'x'`},
	{"account by provider and account id (OAuth sign-in)", `SELECT * FROM accounts WHERE provider_id = 'x' AND account_id = 'y'`},
	{"accounts by user (linked accounts)", `SELECT * FROM accounts WHERE user_id = 'x'`},
	{"verification by identifier (email verification, reset)", `SELECT * FROM verifications WHERE identifier = 'x'`},
	{"two-factor by user", `SELECT * FROM two_factors WHERE user_id = 'x'`},
	{"API key by hashed key", `SELECT * FROM api_keys WHERE key = 'x'`},
	{"API keys by owner (reference id)", `SELECT * FROM api_keys WHERE reference_id = 'x'`},
	{"organization by slug", `SELECT * FROM organizations WHERE slug = 'x'`},
	{"member by organization and user", `SELECT * FROM members WHERE organization_id = 'x' AND user_id = 'y'`},
	{"members by user (my organizations)", `SELECT * FROM members WHERE user_id = 'x'`},
	{"invitations by email", `SELECT * FROM invitations WHERE email = 'x'`},
	{"invitations by organization", `SELECT * FROM invitations WHERE organization_id = 'x'`},
	{"teams by organization", `SELECT * FROM teams WHERE organization_id = 'x'`},
	{"team members by team", `SELECT * FROM team_members WHERE team_id = 'x'`},
	{"passkey by credential id (WebAuthn sign-in)", `SELECT * FROM passkeys WHERE credential_id = 'x'`},
	{"passkeys by user", `SELECT * FROM passkeys WHERE user_id = 'x'`},
	{"SSO provider by provider id", `SELECT * FROM sso_providers WHERE provider_id = 'x'`},
	{"SSO provider by domain", `SELECT * FROM sso_providers WHERE domain = 'x'`},
	{"user by username", `SELECT * FROM users WHERE username = 'x'`},
	{"user by phone number", `SELECT * FROM users WHERE phone_number = 'x'`},
	{"subscriptions by reference id", `SELECT * FROM subscriptions WHERE reference_id = 'x'`},
	{"subscription by Stripe subscription id (webhook)", `SELECT * FROM subscriptions WHERE stripe_subscription_id = 'x'`},
	{"user by Stripe customer id (webhook)", `SELECT * FROM users WHERE stripe_customer_id = 'x'`},
}

// seedRows is how many rows each table gets per user seeded.
var seedRows = map[string]float64{
	"users": 1, "sessions": 2, "accounts": 1, "verifications": 0.5, "two_factors": 0.2,
	"organizations": 0.1, "members": 1, "invitations": 0.2, "teams": 0.2, "team_members": 0.5,
	"api_keys": 0.5, "passkeys": 0.5, "sso_providers": 0.01, "subscriptions": 0.1,
}

type indexResult struct {
	name, plan string
	indexed    bool
}

func benchIndexes(ctx context.Context, e *env) ([]indexResult, error) {
	url, err := e.newDatabase(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := migration.Apply(ctx, url, filepath.Join(e.dir, "ent/migrate/migrations/postgres"), migration.ApplyOptions{Out: io.Discard}); err != nil {
		return nil, err
	}
	db, _, err := sqldb.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := seed(ctx, db, e.cfg.Users); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	var out []indexResult
	for _, l := range Lookups {
		var raw string
		if err := db.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+l.SQL).Scan(&raw); err != nil {
			return nil, fmt.Errorf("%s: %w", l.Name, err)
		}
		nodes, err := planNodes(raw)
		if err != nil {
			return nil, err
		}
		indexed := !slices.Contains(nodes, "Seq Scan")
		out = append(out, indexResult{name: l.Name, plan: strings.Join(nodes, " → "), indexed: indexed})
	}
	return out, nil
}

// planNodes returns the node types of an EXPLAIN (FORMAT JSON) plan, outermost first.
func planNodes(raw string) ([]string, error) {
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(raw), &plans); err != nil || len(plans) == 0 {
		return nil, fmt.Errorf("read plan: %v", err)
	}
	var out []string
	var walk func(n planNode)
	walk = func(n planNode) {
		out = append(out, n.NodeType)
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	return out, nil
}

type planNode struct {
	NodeType string     `json:"Node Type"`
	Plans    []planNode `json:"Plans"`
}

type column struct {
	name, dataType, refTable string
}

// seed fills every seeded table with rows of generated values: ids "<table>_<n>", foreign
// keys pointing at existing parents, md5 strings (unique per row) for text, and plausible
// values for other types. Tables are filled parents first; ANALYZE refreshes statistics.
func seed(ctx context.Context, db *sql.DB, users int) error {
	counts := map[string]int{}
	for t, per := range seedRows {
		counts[t] = max(1, int(per*float64(users)))
	}
	order, cols, err := tablesInOrder(ctx, db)
	if err != nil {
		return err
	}
	for _, t := range order {
		n, ok := counts[t]
		if !ok {
			continue
		}
		var names, values []string
		for _, c := range cols[t] {
			names = append(names, `"`+c.name+`"`)
			values = append(values, valueExpr(t, c, counts))
		}
		q := fmt.Sprintf(`INSERT INTO %q (%s) SELECT %s FROM generate_series(1, %d) AS i`, t, strings.Join(names, ", "), strings.Join(values, ", "), n)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	_, err = db.ExecContext(ctx, "ANALYZE")
	return err
}

func valueExpr(table string, c column, counts map[string]int) string {
	switch {
	case c.name == "id":
		return fmt.Sprintf("'%s_' || i", table)
	case c.refTable != "":
		return fmt.Sprintf("'%s_' || ((i %% %d) + 1)", c.refTable, max(1, counts[c.refTable]))
	}
	switch c.dataType {
	case "boolean":
		return "(i % 2 = 0)"
	case "bigint", "integer", "smallint":
		return "i"
	case "timestamp with time zone", "timestamp without time zone", "date":
		return "now() + (i || ' seconds')::interval"
	case "jsonb", "json":
		return "'{}'::jsonb"
	}
	return fmt.Sprintf("md5('%s' || i)", c.name)
}

// tablesInOrder returns the public tables, parents before children, with their columns and
// the table each foreign-key column references.
func tablesInOrder(ctx context.Context, db *sql.DB) ([]string, map[string][]column, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name, c.column_name, c.data_type, coalesce(fk.ref_table, '')
		FROM information_schema.columns c
		LEFT JOIN (
			SELECT kcu.table_name, kcu.column_name, ccu.table_name AS ref_table
			FROM information_schema.table_constraints tc
			JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
			JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
			WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'
		) fk ON fk.table_name = c.table_name AND fk.column_name = c.column_name
		WHERE c.table_schema = 'public' AND c.table_name <> 'atlas_schema_revisions'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols := map[string][]column{}
	for rows.Next() {
		var t string
		var c column
		if err := rows.Scan(&t, &c.name, &c.dataType, &c.refTable); err != nil {
			return nil, nil, err
		}
		cols[t] = append(cols[t], c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var order []string
	done := map[string]bool{}
	var visit func(t string)
	visit = func(t string) {
		if done[t] {
			return
		}
		done[t] = true
		for _, c := range cols[t] {
			if c.refTable != "" && c.refTable != t {
				visit(c.refTable)
			}
		}
		order = append(order, t)
	}
	for _, t := range slices.Sorted(maps.Keys(cols)) {
		visit(t)
	}
	return order, cols, nil
}
