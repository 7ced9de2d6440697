package resolve

import (
	"errors"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/authx"
)

// Carried is what an instance decoded from a loader program's configuration carries
// (internal/spec): what Auth.Err and Resolve gave in the program, where the plugins' code ran.
type Carried struct {
	// Err is the message of the instance's Auth.Err, "" for none.
	Err string
	// Plan is the plan Resolve composed, when it succeeded.
	Plan *Plan
	// PlanErr is the message of Resolve's error, when it failed.
	PlanErr string
	// PlanPanic is the message of the panic Resolve raised (a bug in a plugin), with the stack
	// of the program where it was raised.
	PlanPanic string
}

// AuthErr implements authx.Carried.
func (c *Carried) AuthErr() error {
	if c.Err == "" {
		return nil
	}
	return errors.New(c.Err)
}

// get returns a copy of the carried plan, or its error; a carried panic is raised again.
func (c *Carried) get() (*Plan, error) {
	switch {
	case c.PlanPanic != "":
		panic(Panic(c.PlanPanic))
	case c.PlanErr != "":
		return nil, errors.New(c.PlanErr)
	case c.Plan == nil:
		return nil, errors.New("compose: the loader program's configuration holds no plan")
	}
	return c.Plan.clone(), nil
}

// Panic is a panic raised again in the kernia tool, as the loader program raised and recorded
// it: its message and the program's stack.
type Panic string

// String returns the panic's message.
func (p Panic) String() string { return string(p) }

// carried returns what auth carries, if it was decoded from a loader program's configuration.
func carried(auth *kernia.Auth) (*Carried, bool) {
	c, ok := authx.Get(auth).(*Carried)
	return c, ok && c != nil
}

// clone returns a copy of p that shares nothing mutable with it.
func (p *Plan) clone() *Plan {
	out := &Plan{raw: p.raw}
	for _, e := range p.Entities {
		c := *e
		c.Mixins = make([]Mixin, len(e.Mixins))
		for i, m := range e.Mixins {
			m.Columns = cloneMap(m.Columns)
			m.IndexNames = cloneMap(m.IndexNames)
			m.UniqueIndexes = cloneMap(m.UniqueIndexes)
			m.Fields = cloneSlice(m.Fields)
			c.Mixins[i] = m
		}
		c.Columns = cloneSlice(e.Columns)
		c.bases = cloneMap(e.bases)
		out.Entities = append(out.Entities, &c)
	}
	return out
}

func cloneMap[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return nil
	}
	out := make(M, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cloneSlice[S ~[]E, E any](s S) S {
	if s == nil {
		return nil
	}
	return append(S{}, s...)
}

// Raw returns each entity as Resolve marshalled it (load.MarshalSchema's JSON), in the order
// of Entities. The caller must not modify it.
func (p *Plan) Raw() [][]byte { return p.raw }

// NewPlan returns the plan of entities whose marshalled schemas are raw (one per entity, in
// order): a plan decoded from a loader program's configuration.
func NewPlan(entities []*Entity, raw [][]byte) *Plan {
	return &Plan{Entities: entities, raw: raw}
}

// BaseNames returns, per field, its base column names under kernia.SnakeCase and under
// kernia.BetterAuthNames (what Renames needs to tell a naming switch from a rename).
func (e *Entity) BaseNames() map[string][2]string {
	out := map[string][2]string{}
	for f, b := range e.bases {
		out[f] = [2]string{b.snake, b.camel}
	}
	return out
}

// SetBaseNames sets what BaseNames returns (an entity decoded from a configuration).
func (e *Entity) SetBaseNames(m map[string][2]string) {
	e.bases = map[string]baseNames{}
	for f, b := range m {
		e.bases[f] = baseNames{snake: b[0], camel: b[1]}
	}
}
