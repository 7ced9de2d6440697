package generator_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/pgtest"
)

// TestStepPerDialectDiff: Options.Step hears each dialect's diff start and end (the hook of
// generate's progress lines), and a run whose inputs are unchanged diffs nothing.
func TestStepPerDialectDiff(t *testing.T) {
	newModule(t)
	o := kernia.Options{DevURL: pgtest.NewDatabase(t), Dialects: []string{kernia.SQLite, kernia.Postgres}}
	var mu sync.Mutex
	var events []string
	step := func(what string) func() {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, "start "+what)
		return func() {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, "end "+what)
		}
	}
	_, err := generator.Run(context.Background(), kernia.New(o), generator.Options{Now: clock, Step: step})
	assert.NilError(t, err)
	slices.Sort(events)
	assert.DeepEqual(t, events, []string{"end the postgres diff", "end the sqlite diff", "start the postgres diff", "start the sqlite diff"})

	events = nil
	res, err := generator.Run(context.Background(), kernia.New(o), generator.Options{Now: clock, Step: step})
	assert.NilError(t, err)
	assert.Assert(t, res.Cached)
	assert.Check(t, len(events) == 0, "%v", events)
}
