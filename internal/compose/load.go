package compose

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

// Schemas returns the plan as Ent's loader would load the rendered schema package, without
// building and running a loader program: each entity is marshalled in-process from the same
// core and plugin definitions the rendered files refer to. The first call after Build returns
// the schemas Build's name checks marshalled; every later call marshals fresh ones, so no two
// callers share them.
func (p *Plan) Schemas() ([]*load.Schema, error) {
	if s := p.marshalled; s != nil {
		p.marshalled = nil
		return s, nil
	}
	out := make([]*load.Schema, 0, len(p.Entities))
	for _, e := range p.Entities {
		c := composed{table: e.Table}
		for _, m := range e.Mixins {
			c.mixins = append(c.mixins, m.effective())
		}
		b, err := load.MarshalSchema(c)
		if err != nil {
			return nil, fmt.Errorf("compose: marshal %s: %w", e.Name, err)
		}
		s, err := load.UnmarshalSchema(b)
		if err != nil {
			return nil, fmt.Errorf("compose: unmarshal %s: %w", e.Name, err)
		}
		s.Name = e.Name
		out = append(out, s)
	}
	return out, nil
}
