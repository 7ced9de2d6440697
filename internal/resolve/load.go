package resolve

import (
	"fmt"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/entc/load"
	"entgo.io/ent/schema"
)

// composed is the in-process twin of a rendered schema file: the same mixins in the same
// order and the same annotations, so Ent marshals it exactly as its loader would marshal the
// file's type.
type composed struct {
	ent.Schema
	mixins []ent.Mixin
	table  string
}

func (c composed) Mixin() []ent.Mixin { return c.mixins }

func (c composed) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table(c.table)}
}

// marshal marshals every entity as Ent's loader would marshal the rendered schema file's type,
// without building and running a loader program: in-process, from the same core and plugin
// definitions the rendered files refer to.
func (p *Plan) marshal() error {
	p.raw = make([][]byte, len(p.Entities))
	for i, e := range p.Entities {
		c := composed{table: e.Table}
		for _, m := range e.Mixins {
			c.mixins = append(c.mixins, m.effective())
		}
		b, err := load.MarshalSchema(c)
		if err != nil {
			return fmt.Errorf("compose: marshal %s: %w", e.Name, err)
		}
		p.raw[i] = b
	}
	return nil
}

// Schemas returns the plan as Ent's loader would load the rendered schema package: each
// entity as Resolve marshalled it, unmarshalled afresh on every call, so no two callers share
// them (Ent's differ annotates the tables of the schemas it is given).
func (p *Plan) Schemas() ([]*load.Schema, error) {
	if len(p.raw) != len(p.Entities) {
		return nil, fmt.Errorf("compose: the plan holds %d marshalled entities for %d entities", len(p.raw), len(p.Entities))
	}
	out := make([]*load.Schema, 0, len(p.Entities))
	for i, e := range p.Entities {
		s, err := load.UnmarshalSchema(p.raw[i])
		if err != nil {
			return nil, fmt.Errorf("compose: unmarshal %s: %w", e.Name, err)
		}
		s.Name = e.Name
		out = append(out, s)
	}
	return out, nil
}
