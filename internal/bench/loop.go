package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/kernia/kernia/internal/buildcache"
	"github.com/kernia/kernia/internal/loader"
)

// The user's loop (issue 13): what a developer waits for after editing the auth package, end
// to end through the commands they type, the loader's relink included. The magefiles are the
// one kernia init writes, which imports only the targets: under Mage too the kernia tool
// relinks the loader, and Mage relinks nothing. A user module (two plugins, as the e2e tests
// build one) and the dogfood module (every plugin) are edited and regenerated in rotation,
// each step after its own reset, in one run; with BENCH_BETTERAUTH=1 a Better Auth project
// with the same plugins too, through Better Auth's CLI (betterauth.go).

// loopAuth is the user module's auth package; %s is where an edit adds its field.
const loopAuth = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/twofactor"
	"github.com/kernia/kernia/plugins/username"
)

// Auth is the shop's auth instance.
var Auth = kernia.New(kernia.Options{
	AppName:  "shop",
	Dialects: []string{kernia.SQLite, kernia.Postgres},
	Plugins:  []kernia.Plugin{twofactor.New(), username.New()},%s
})
`

// fieldEdit is the edit a step makes: one more optional column on users, named uniquely so
// that no build, loader or fingerprint cache has seen the result before.
func fieldEdit(name string) string {
	return fmt.Sprintf("\n\tSchema: map[string]kernia.EntitySchema{\"User\": {Fields: []kernia.Field{{Name: %q, Type: kernia.FieldString, Optional: true}}}},", name)
}

// dogfoodEdit adds the edit's field to the bench module's dogfood auth package (benchAuth).
func dogfoodEdit(name string) string {
	const anchor = "\tPlugins:  builtin.All(),"
	return strings.Replace(benchAuth, anchor, anchor+fieldEdit(name), 1)
}

// The floor of an edit: what every edit of the auth package costs before Kernia's own work
// (the composition, Ent's codegen, the diffs), measured in the same rotation. The go command's
// check of the kernia tool (go tool -n kernia: what go tool kernia does before it runs the
// launcher), and the go build of the loader program after the edit with the loader's own flags
// and environment (buildcache.Flags, loader.BuildEnv). Beside them, the same build of the
// smallest program that loads an Ent schema (floorSchema: one entity, the schema packages and
// entsql, which every Ent schema imports), in a module of its own with the user module's
// requirements: no program that runs a Go configuration of Ent schemas builds in less.

// floorSchema is the floor module's schema package; %s is the field an edit renames.
const floorSchema = `package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// User is the entity.
type User struct{ ent.Schema }

// Fields are the entity's fields.
func (User) Fields() []ent.Field { return []ent.Field{field.String(%q)} }

// Annotations name the entity's table.
func (User) Annotations() []schema.Annotation { return []schema.Annotation{entsql.Table("users")} }
`

// floorMain is the floor module's program: it reads the schema.
const floorMain = `package main

import (
	"fmt"

	"example.com/floor/schema"
)

func main() { fmt.Println(len(schema.User{}.Fields())) }
`

// floorModule writes the floor module beside the user module at user: its go.mod and go.sum
// (module example.com/floor), the schema package and the program.
func floorModule(dir, user string) error {
	gomod, err := os.ReadFile(filepath.Join(user, "go.mod"))
	if err != nil {
		return err
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return err
	}
	if err := mf.AddModuleStmt("example.com/floor"); err != nil {
		return err
	}
	if gomod, err = mf.Format(); err != nil {
		return err
	}
	gosum, err := os.ReadFile(filepath.Join(user, "go.sum"))
	if err != nil {
		return err
	}
	files := map[string][]byte{"go.mod": gomod, "go.sum": gosum, "schema/schema.go": fmt.Appendf(nil, floorSchema, "name"), "cmd/floor/main.go": []byte(floorMain)}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Better Auth's figures quoted from issue 13 (better-auth 1.7.25's `auth generate`, measured
// side by side with Kernia on this project's machine, 2026-11): without BENCH_BETTERAUTH=1 the
// bench does not run Better Auth's CLI, and its ratios to them are indicative.
var (
	quotedBetterAuthEdit = [2]time.Duration{980 * time.Millisecond, 1310 * time.Millisecond}
	quotedBetterAuthNoop = [2]time.Duration{970 * time.Millisecond, 1300 * time.Millisecond}
)

// loopStep is one command of the rotation: reset (untimed), then the timed command, which
// returns the CPU time it used.
type loopStep struct {
	reset func() error
	run   func() (time.Duration, error)
}

// timeRotation times each step n times, one of each in turn per round, after one untimed
// warm-up round, so drift in the machine's load weighs on every step alike. It returns each
// step's wall-clock times and CPU times.
func timeRotation(n int, steps []loopStep) (wall, cpu [][]time.Duration, err error) {
	wall, cpu = make([][]time.Duration, len(steps)), make([][]time.Duration, len(steps))
	for i := -1; i < n; i++ {
		for j, s := range steps {
			if s.reset != nil {
				if err := s.reset(); err != nil {
					return nil, nil, err
				}
			}
			start := time.Now()
			c, err := s.run()
			if err != nil {
				return nil, nil, err
			}
			if i >= 0 {
				wall[j] = append(wall[j], time.Since(start))
				cpu[j] = append(cpu[j], c)
			}
		}
	}
	return wall, cpu, nil
}

// runIn runs a command in dir with extra environment variables and returns the CPU time (user
// and system) it and the processes it waited for used: on a shared machine, the part of the
// wall-clock time that is the command's own work.
func runIn(dir string, extraEnv []string, name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOFLAGS=-mod=mod"}, extraEnv...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s %s in %s: %w\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// benchLoop measures the user's loop and returns its rows and the goals they are judged by.
func benchLoop(ctx context.Context, e *env) ([]measure, []goal, error) {
	// Better Auth's project first (BENCH_BETTERAUTH=1), so that a failing install fails fast.
	var ba *betterAuthProject
	if e.cfg.BetterAuth {
		var err error
		if ba, err = betterAuthLoop(e); err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(ba.dir)
	}
	// The user module, beside the bench's dogfood module (which replaces Kernia by this
	// checkout): it depends on Kernia as on a release (released.go).
	user, relEnv, err := e.userModule("")
	if err != nil {
		return nil, nil, err
	}
	userDev, err := e.newDatabase(ctx)
	if err != nil {
		return nil, nil, err
	}
	dogDev, err := e.newDatabase(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Each module keeps its own Mage binary (Mage's cache is per user otherwise, shared with
	// every other checkout of the same magefile text),
	// and the loader binaries get a cache of their own (env.loaderCache).
	cache, err := e.loaderCache()
	if err != nil {
		return nil, nil, err
	}
	userEnv := append(append([]string{"KERNIA_DEV_URL=" + userDev, "MAGEFILE_CACHE=" + filepath.Join(user, "bin", "magefile")}, cache...), relEnv...)
	dogEnv := append([]string{"KERNIA_DEV_URL=" + dogDev, "MAGEFILE_CACHE=" + filepath.Join(e.dir, "bin", "magefile")}, cache...)

	kerniaGen := func(dir string, env []string) func() (time.Duration, error) {
		return func() (time.Duration, error) { return runIn(dir, env, "go", "tool", "kernia", "generate") }
	}
	mageGen := func(dir string, env []string) func() (time.Duration, error) {
		return func() (time.Duration, error) { return runIn(dir, env, "go", "tool", "mage", "generate") }
	}
	// The base state of both modules: generated, then snapshotted for the resets.
	for _, f := range []func() (time.Duration, error){kerniaGen(user, userEnv), mageGen(user, userEnv), mageGen(e.dir, dogEnv)} {
		if _, err := f(); err != nil {
			return nil, nil, err
		}
	}
	dirs := []string{"ent", ".kernia", "auth"}
	userBase, err := snapshotDirs(user, dirs...)
	if err != nil {
		return nil, nil, err
	}
	dogBase, err := e.snapshot(dirs...)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = e.restore(dogBase, dirs...) }()
	resetUser := func() error { return restoreDirs(user, userBase, dirs...) }
	resetDog := func() error { return e.restore(dogBase, dirs...) }

	edits := 0
	editUser := func() error {
		edits++
		if err := resetUser(); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(user, "auth", "auth.go"), []byte(fmt.Sprintf(loopAuth, fieldEdit(fmt.Sprintf("bench_loop_%d", edits)))), 0o644)
	}
	editDog := func() error {
		edits++
		if err := resetDog(); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(e.dir, "auth", "auth.go"), []byte(dogfoodEdit(fmt.Sprintf("bench_loop_%d", edits))), 0o644)
	}
	// A no-op follows a generate of the same state, as when a developer runs it twice: the
	// reset puts the base back and generates it once, untimed (relinking the loader the edit
	// steps left built from an edited auth package).
	noopAfter := func(gen func() (time.Duration, error)) func() error {
		return func() error {
			if err := resetUser(); err != nil {
				return err
			}
			_, err := gen()
			return err
		}
	}
	// The floor (see floorSchema): the tool's check, the loader's build, the floor program's.
	floor := filepath.Join(e.dir, "floor")
	if err := floorModule(floor, user); err != nil {
		return nil, nil, err
	}
	loaderEnv, _ := loader.BuildEnv()
	floorBin := filepath.Join(e.dir, "bin", "floor-program")
	build := func(dir, pkg string, env []string) func() (time.Duration, error) {
		args := append(append([]string{"build"}, buildcache.Flags...), "-o", floorBin, pkg)
		return func() (time.Duration, error) {
			return runIn(dir, append(slices.Clone(env), loaderEnv...), "go", args...)
		}
	}
	editFloor := func() error {
		edits++
		return os.WriteFile(filepath.Join(floor, "schema", "schema.go"), fmt.Appendf(nil, floorSchema, fmt.Sprintf("bench_loop_%d", edits)), 0o644)
	}
	steps := []loopStep{
		{reset: editUser, run: kerniaGen(user, userEnv)},
		{reset: editUser, run: mageGen(user, userEnv)},
		{reset: editDog, run: mageGen(e.dir, dogEnv)},
		{reset: noopAfter(kerniaGen(user, userEnv)), run: kerniaGen(user, userEnv)},
		{reset: noopAfter(mageGen(user, userEnv)), run: mageGen(user, userEnv)},
		{reset: editUser, run: func() (time.Duration, error) { return runIn(user, userEnv, "go", "tool", "-n", "kernia") }},
		{reset: editUser, run: build(user, "./.kernia/loader", userEnv)},
		{reset: editFloor, run: build(floor, "./cmd/floor", relEnv)},
	}
	baStep := len(steps) // Better Auth's edit, then its no-op
	baEdit, baNoop := baseline{quoted: quotedBetterAuthEdit}, baseline{quoted: quotedBetterAuthNoop}
	if ba != nil {
		// The same edit (a field named anew) then `auth generate --yes`, which writes the SQL
		// of the change; and the no-op, on the base configuration the database was migrated to.
		var field string
		steps = append(steps,
			loopStep{
				reset: func() error { edits++; field = fmt.Sprintf("bench_loop_%d", edits); return ba.write(field) },
				run:   func() (time.Duration, error) { return ba.generate(field) },
			},
			loopStep{
				reset: func() error { return ba.write("") },
				run:   func() (time.Duration, error) { return ba.generate("") },
			})
	}
	s, cpu, err := timeRotation(e.cfg.Runs, steps)
	if err != nil {
		return nil, nil, err
	}
	if err := resetUser(); err != nil {
		return nil, nil, err
	}
	kEdit, mEdit, dEdit, kNoop, mNoop := s[0], s[1], s[2], s[3], s[4]
	check, loaderBuild, floorBuild := s[5], s[6], s[7]
	if ba != nil {
		baEdit = baseline{samples: s[baStep], versions: ba.peer.versions}
		baNoop = baseline{samples: s[baStep+1], versions: ba.peer.versions}
	}
	med := func(d []time.Duration) time.Duration { return measure{samples: d}.median() }
	goals := []goal{
		betterAuthGoal("edit + go tool kernia generate, user module", med(kEdit), baEdit, 0.5),
		betterAuthGoal("the same through go tool mage generate", med(mEdit), baEdit, 0.7),
		betterAuthGoal("the dogfood, edit + go tool mage generate", med(dEdit), baEdit, 1.0),
		betterAuthGoal("no-op go tool kernia generate", med(kNoop), baNoop, 0.15),
	}
	cpuNote := func(j int) string { return fmt.Sprintf("; CPU %s", round(med(cpu[j]))) }
	// With Better Auth measured, the Kernia rows judged against it also give the ratio of the
	// CPU times, the steadier figure on a shared machine.
	baCPU := func(j, baj int) string {
		if ba == nil {
			return cpuNote(j)
		}
		return cpuNote(j) + " (" + ratio(med(cpu[j]), med(cpu[baj])) + " of Better Auth's)"
	}
	rows := []measure{
		{name: "user module (2 plugins): edit + go tool kernia generate", samples: kEdit, note: goals[0].ratio + " of " + baEdit.label() + baCPU(0, baStep)},
		{name: "user module: edit + go tool mage generate", samples: mEdit, note: goals[1].ratio + " of " + baEdit.short() + "; " + ratio(med(mEdit), med(kEdit)) + " of go tool kernia" + baCPU(1, baStep)},
		{name: "dogfood (every plugin): edit + go tool mage generate", samples: dEdit, note: goals[2].ratio + " of " + baEdit.short() + "; " + ratio(med(dEdit), med(mEdit)) + " of the user module's" + baCPU(2, baStep)},
		{name: "user module: no-op go tool kernia generate", samples: kNoop, note: goals[3].ratio + " of " + baNoop.label() + baCPU(3, baStep+1)},
		{name: "user module: no-op go tool mage generate", samples: mNoop, note: ratio(med(mNoop), med(kNoop)) + " of go tool kernia's: Mage's own " + round(med(mNoop)-med(kNoop)).String() + " a call (with a Go build cache, Mage 1.17 runs go version, go env, go list twice for the //mage:import package and go build of the magefile on every call, unless MAGEFILE_HASHFAST is set)" + cpuNote(4)},
	}
	floorSum := med(check) + med(loaderBuild)
	rows = append(rows,
		measure{name: "floor: the go command's check of the kernia tool (go tool -n kernia)", samples: check, note: "what every go tool kernia pays before the launcher starts" + cpuNote(5)},
		measure{name: "floor: go build of the loader program after the edit", samples: loaderBuild, note: "its compile and link alone, with the loader's flags and environment" + cpuNote(6)},
		measure{name: "floor: go build of a one-entity Ent schema program after an edit", samples: floorBuild, note: "the least any program that runs Ent schemas written in Go builds in" + cpuNote(7)},
		measure{name: "floor of an edit: the check + the loader's build", samples: []time.Duration{floorSum},
			note: baEdit.ratioOf(floorSum) + " of " + baEdit.short() + ", before any of Kernia's work (composition, Ent's codegen, the diffs), which is the other " + fmt.Sprintf("%.0f %%", 100*float64(med(kEdit)-floorSum)/float64(med(kEdit))) + " of the edit"},
	)
	if ba != nil {
		rows = append(rows,
			measure{name: "Better Auth project (same plugins, SQLite): edit auth.ts + auth generate --yes", samples: s[baStep], note: ba.peer.versions + cpuNote(baStep)},
			measure{name: "Better Auth project: no-op auth generate --yes", samples: s[baStep+1], note: "\"Your schema is already up to date.\"" + cpuNote(baStep+1)},
		)
	}
	return rows, goals, nil
}

// betterAuthLoop installs Better Auth's CLI (cached) and creates its project, migrated to the
// base configuration, in a temporary directory of its own.
func betterAuthLoop(e *env) (*betterAuthProject, error) {
	peer, err := installBetterAuth()
	if err != nil {
		return nil, err
	}
	if peer.installed > 0 {
		fmt.Fprintf(e.cfg.Out, "installed Better Auth's CLI (%s) into %s in %s\n\n", peer.versions, peer.dir, round(peer.installed))
	}
	dir, err := os.MkdirTemp("", "kernia-bench-betterauth-")
	if err != nil {
		return nil, err
	}
	p, err := newBetterAuthProject(peer, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// quotedGoal judges a Kernia median against the quoted range of Better Auth's figure: met
// when it is within goal× even of the faster end, not met when it is over goal× even of the
// slower end, else undecided.
func quotedGoal(name string, kernia time.Duration, quoted [2]time.Duration, target float64) goal {
	lo, hi := float64(kernia)/float64(quoted[1]), float64(kernia)/float64(quoted[0])
	g := goal{name: name, target: fmt.Sprintf("≤ %.2f× Better Auth's", target), ratio: fmt.Sprintf("%.2f–%.2f×", lo, hi)}
	switch {
	case hi <= target:
		g.verdict = "met"
	case lo > target:
		g.verdict = "NOT met"
	default:
		g.verdict = "undecided (within the quoted range)"
	}
	g.note = "against the figures quoted from issue 13, not measured in this run"
	return g
}
