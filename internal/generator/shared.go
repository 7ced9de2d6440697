package generator

import (
	"fmt"
	"slices"
	"strings"

	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/diff"
)

// ownership is what the diffs need to tell Kernia's objects from the application's in a shared
// migration directory: the committed composition, from the committed schema files' identity
// records (nil when they hold none).
func ownership(prev []compose.Identity) *diff.Ownership {
	own := &diff.Ownership{}
	for _, id := range prev {
		if own.Committed == nil {
			own.Committed = map[string][]string{}
		}
		for _, c := range id.Columns {
			own.Committed[id.Table] = append(own.Committed[id.Table], c.Name)
		}
		if _, ok := own.Committed[id.Table]; !ok {
			own.Committed[id.Table] = nil
		}
	}
	return own
}

// kerniaOnly returns the tables of all (the Ent graph of the whole schema package, the
// application's own entities included) that Kernia's composition has (kernia, derived from the
// plan alone): the application's entities are never planned. It refuses an application entity
// whose edge adds a column or a foreign key to one of Kernia's tables, which Kernia owns.
func kerniaOnly(all, kernia []*entschema.Table) ([]*entschema.Table, error) {
	byName := map[string]*entschema.Table{}
	for _, t := range kernia {
		byName[t.Name] = t
	}
	var out []*entschema.Table
	var errs []string
	for _, t := range all {
		k, ok := byName[t.Name]
		if !ok {
			continue
		}
		for _, c := range t.Columns {
			if !slices.ContainsFunc(k.Columns, func(kc *entschema.Column) bool { return kc.Name == c.Name }) {
				errs = append(errs, fmt.Sprintf("column %s.%s", t.Name, c.Name))
			}
		}
		for _, fk := range t.ForeignKeys {
			if !slices.ContainsFunc(k.ForeignKeys, func(kf *entschema.ForeignKey) bool { return kf.Symbol == fk.Symbol }) && fk.RefTable != nil {
				errs = append(errs, fmt.Sprintf("foreign key %s (%s → %s)", fk.Symbol, t.Name, fk.RefTable.Name))
			}
		}
		out = append(out, t)
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return nil, fmt.Errorf("generate: an entity of yours in %s adds %s to Kernia's tables (an edge whose foreign key Ent puts in Kernia's table): Kernia owns its tables and never plans the application's objects; declare the edge on your entity so that its foreign key lives in your table, e.g. edge.To(\"user\", User.Type).Unique() on your entity instead of an edge from User", SchemaDir, strings.Join(errs, ", "))
	}
	return out, nil
}
