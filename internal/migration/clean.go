package migration

import (
	"context"
	"fmt"
	"strings"
)

// userTables lists up to limit tables of the connected schema other than the revisions table.
func userTables(ctx context.Context, q querier, dialect string, limit int) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'atlas_schema_revisions' ORDER BY name LIMIT ?`
	switch dialect {
	case "postgres":
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'atlas_schema_revisions' ORDER BY table_name LIMIT $1`
	case "mysql":
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'atlas_schema_revisions' ORDER BY table_name LIMIT ?`
	}
	rows, err := q.QueryContext(ctx, query, limit)
	if err != nil {
		return nil, fmt.Errorf("migrate: list the database's tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("migrate: list the database's tables: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: list the database's tables: %w", err)
	}
	return names, nil
}

// checkClean refuses a database that has tables but no migration history.
func checkClean(ctx context.Context, q querier, dialect, where string) error {
	const shown = 5
	tables, err := userTables(ctx, q, dialect, shown+1)
	if err != nil || len(tables) == 0 {
		return err
	}
	list := strings.Join(tables[:min(len(tables), shown)], ", ")
	if len(tables) > shown {
		list += ", …"
	}
	return fmt.Errorf("migrate: %s is not empty (tables %s) but has no migration history in %s: if another tool (Better Auth's own migration) created it, `kernia adopt` compares it with the migrations and records the baseline when it matches; if you know its schema matches the migrations up to some version, record that with --baseline VERSION (only later files are then applied); otherwise point the URL at an empty database",
		where, list, RevisionsTable)
}
