package resolve

import (
	"fmt"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"

	"github.com/kernia/kernia/internal/entjson"
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
// definitions the rendered files refer to. It marshals with internal/entjson, which gives the
// bytes of Ent's load.MarshalSchema without linking Ent's loader into the loader program.
func (p *Plan) marshal() error {
	p.raw = make([][]byte, len(p.Entities))
	for i, e := range p.Entities {
		b, err := entjson.Marshal(e.composed())
		if err != nil {
			return fmt.Errorf("compose: marshal %s: %w", e.Name, err)
		}
		p.raw[i] = b
	}
	return nil
}

// composed returns the entity as the schema type its rendered file declares.
func (e *Entity) composed() ent.Interface {
	c := composed{table: e.Table}
	for _, m := range e.Mixins {
		c.mixins = append(c.mixins, m.effective())
	}
	return c
}
