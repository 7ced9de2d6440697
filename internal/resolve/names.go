package resolve

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxIdentifier is PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1). PostgreSQL cuts
// longer names silently, so a name over it would not be the name the migration asked for.
const MaxIdentifier = 63

// RevisionsTable is the migration history table Kernia (and Atlas) keep in the database.
const RevisionsTable = "atlas_schema_revisions"

// pgSystemColumns are the column names PostgreSQL reserves for system columns.
var pgSystemColumns = []string{"cmax", "cmin", "ctid", "oid", "tableoid", "xmax", "xmin"}

// reservedTable says why a dialect or Kernia reserves a table name, or "".
func reservedTable(name string) string {
	switch l := strings.ToLower(name); {
	case strings.HasPrefix(l, "sqlite_"):
		return "SQLite reserves names starting with sqlite_ for its own tables"
	case l == RevisionsTable:
		return "it is the table where migrate records the applied migrations"
	}
	return ""
}

// checkNames refuses table and column names the databases would reject, reserve or alter:
// reserved table and column names, names over MaxIdentifier bytes. compose.Build then checks
// the names Ent derives for indexes, unique constraints and foreign keys.
func (p *Plan) checkNames() error {
	var errs []error
	for _, e := range p.Entities {
		if why := reservedTable(e.Table); why != "" {
			errs = append(errs, fmt.Errorf("compose: entity %s: table name %q is reserved: %s; rename the table (Options.Schema[%q].Table)", e.Name, e.Table, why, e.Name))
		}
		if len(e.Table) > MaxIdentifier {
			errs = append(errs, fmt.Errorf("compose: entity %s: table name %q is %d bytes, over PostgreSQL's %d-byte limit; rename the table (Options.Schema[%q].Table)", e.Name, e.Table, len(e.Table), MaxIdentifier, e.Name))
		}
		for _, c := range e.Columns {
			if slices.Contains(pgSystemColumns, strings.ToLower(c.Name)) {
				errs = append(errs, fmt.Errorf("compose: column %s.%s (from %s): PostgreSQL reserves %q for a system column; rename it (Options.Schema[%q].Columns)", e.Table, c.Name, c.Contributor, c.Name, e.Name))
			}
			if len(c.Name) > MaxIdentifier {
				errs = append(errs, fmt.Errorf("compose: column %s.%s (from %s) is %d bytes, over PostgreSQL's %d-byte limit; rename it (Options.Schema[%q].Columns)", e.Table, c.Name, c.Contributor, len(c.Name), MaxIdentifier, e.Name))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}
