// Package bench measures the dev loop and the pipeline: generate (warm with a change, no-op,
// against the hand-run baseline of Ent codegen plus Atlas's diff), the user's loop end to end
// (an edit of the auth package, then `go tool kernia generate` or `go tool mage generate`),
// migrate and the history curve (against goose on the same files), the index coverage of
// every lookup an auth flow makes, and sign-ins during a migration. `go tool mage bench` runs
// it and prints medians, ranges and ratios; figures are never asserted in tests.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Config configures a bench run.
type Config struct {
	// Root is the Kernia checkout the benchmark modules replace the dependency with.
	Root string
	// Runs is the number of timed repetitions of each measure (median reported).
	Runs int
	// PostgresURL is the server benchmarks create their databases on.
	PostgresURL string
	// MySQLURL is the MySQL or MariaDB server the migrate section creates its MySQL databases
	// on.
	MySQLURL string
	// Users is the number of users seeded for index coverage.
	Users int
	// LoginUsers is the number of users (and sessions) seeded for the logins case.
	LoginUsers int
	// LoginRuns is the number of runs of each migration strategy in the logins case.
	LoginRuns int
	// Only limits the run to some sections, named and separated by commas: "generate",
	// "loop", "migrate", "history", "indexes", "logins" ("" runs all).
	Only string
	// HistoryMax is the longest history of the history curve: 0 adds 10,000 applied files to
	// 1, 10, 100 and 1,000 when the 1,000 point projects it under a minute; 10000 always adds
	// it, any other value never.
	HistoryMax int
	// BetterAuth runs Better Auth's CLI in the loop section (BENCH_BETTERAUTH=1): its `auth
	// generate` after the same edit, and its no-op, in the rotation with Kernia's steps, and
	// issue 13's goals judged against those medians instead of the figures quoted from the
	// issue. The CLI and its Node 22 are installed from npm into a cache outside the checkout.
	BetterAuth bool
	// Out receives the report.
	Out io.Writer
}

// measure is one timed row of the report.
type measure struct {
	name    string
	samples []time.Duration
	note    string
}

func (m measure) median() time.Duration {
	s := slices.Clone(m.samples)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// goal is one of an issue's goals, judged by a ratio of the run.
type goal struct {
	name, target, ratio, verdict, note string
}

// judge is "met" when the ratio is at most the target, else "NOT met".
func judge(ratio, target float64) string {
	if ratio <= target {
		return "met"
	}
	return "NOT met"
}

// printGoals prints the goals with their ratios and verdicts.
func printGoals(w io.Writer, title string, goals []goal) {
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  goal\ttarget\tratio\tverdict\tnote")
	for _, g := range goals {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", g.name, g.target, g.ratio, g.verdict, g.note)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// timeN runs f n times after one untimed warm-up, calling reset (untimed) before each run.
func timeN(n int, reset func() error, f func() error) ([]time.Duration, error) {
	var out []time.Duration
	for i := -1; i < n; i++ {
		if reset != nil {
			if err := reset(); err != nil {
				return nil, err
			}
		}
		start := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		if i >= 0 {
			out = append(out, time.Since(start))
		}
	}
	return out, nil
}

// timeAlternating times a and b n times each, alternately, after one untimed warm-up of
// each, calling reset (untimed) before every run.
func timeAlternating(n int, reset, a, b func() error) (as, bs []time.Duration, err error) {
	for i := -1; i < n; i++ {
		for j, f := range []func() error{a, b} {
			if err := reset(); err != nil {
				return nil, nil, err
			}
			start := time.Now()
			if err := f(); err != nil {
				return nil, nil, err
			}
			switch {
			case i < 0:
			case j == 0:
				as = append(as, time.Since(start))
			default:
				bs = append(bs, time.Since(start))
			}
		}
	}
	return as, bs, nil
}

// sections are the parts of a run, in the order they run.
var sections = []string{"generate", "loop", "migrate", "history", "indexes", "logins"}

// parseOnly reads Config.Only: empty for every section, else section names separated by
// commas.
func parseOnly(only string) (map[string]bool, error) {
	set := map[string]bool{}
	if strings.TrimSpace(only) == "" {
		return set, nil
	}
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(sections, name) {
			return nil, fmt.Errorf("bench: BENCH_ONLY=%q: %q is not a section: use one or more of %s, separated by commas (or leave it empty for all)", only, name, strings.Join(sections, ", "))
		}
		set[name] = true
	}
	return set, nil
}

// Run runs every benchmark and prints the report.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Runs <= 0 {
		cfg.Runs = 5
	}
	if cfg.Users <= 0 {
		cfg.Users = 100_000
	}
	if cfg.LoginUsers <= 0 {
		cfg.LoginUsers = 1_000_000
	}
	if cfg.LoginRuns <= 0 {
		cfg.LoginRuns = 2
	}
	only, err := parseOnly(cfg.Only)
	if err != nil {
		return err
	}
	run := func(section string) bool { return len(only) == 0 || only[section] }
	cpu := cpuModel()
	fmt.Fprintf(cfg.Out, "kernia bench: %d CPUs (%s), %s %s/%s, medians of %d runs after a warm-up\n\n",
		runtime.NumCPU(), cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH, cfg.Runs)
	env, err := newEnv(ctx, cfg)
	if err != nil {
		return err
	}
	defer env.close()
	warning, err := durabilityWarning(ctx, env.server)
	if err != nil {
		return err
	}
	if warning != "" {
		fmt.Fprintf(cfg.Out, "%s\n\n", warning)
	}
	if run("generate") {
		gen, err := benchGenerate(ctx, env)
		if err != nil {
			return fmt.Errorf("bench generate: %w", err)
		}
		table(cfg.Out, "generate (dogfood configuration: core + every built-in plugin)", gen)
	} else if run("migrate") || run("indexes") { // they need the dogfood's migrations
		dev, err := env.newDatabase(ctx)
		if err != nil {
			return err
		}
		if err := env.run([]string{"KERNIA_DEV_URL=" + dev}, "go", "tool", "kernia", "generate"); err != nil {
			return err
		}
	}
	var goals []goal // issue 13's, printed at the end
	if run("loop") {
		loop, g, err := benchLoop(ctx, env)
		if err != nil {
			return fmt.Errorf("bench loop: %w", err)
		}
		table(cfg.Out, "the user's loop (end to end, the commands a developer types, in rotation, each after its reset; CPU: user + system time of the command and the processes it waited for)", loop)
		goals = append(goals, g...)
	}
	if run("migrate") {
		mig, err := benchMigrate(ctx, env)
		if err != nil {
			return fmt.Errorf("bench migrate: %w", err)
		}
		table(cfg.Out, "migrate (the same files)", mig)
	}
	if run("history") {
		hist, note, g, err := benchHistory(ctx, env)
		if err != nil {
			return fmt.Errorf("bench history: %w", err)
		}
		goals = append(goals, g...)
		table(cfg.Out, "history (PostgreSQL; n files applied, then a no-op, one more applied, and "+strconv.Itoa(batch)+" more, by the command alone (one program: the engine's command line over the instance), alternating with goose's CLI on the same SQL; at the last size, the kernia binary's no-op too)", hist)
		if note != "" {
			fmt.Fprintf(cfg.Out, "%s\n\n", note)
		}
	}
	if len(goals) > 0 {
		printGoals(cfg.Out, "issue 13's goals (ratios of this run's medians)", goals)
	}
	if run("indexes") {
		if err := printIndexes(ctx, env); err != nil {
			return err
		}
	}
	if run("logins") {
		if err := benchLogins(ctx, env); err != nil {
			return fmt.Errorf("bench logins: %w", err)
		}
	}
	return nil
}

func printIndexes(ctx context.Context, env *env) error {
	cfg := env.cfg
	idx, err := benchIndexes(ctx, env)
	if err != nil {
		return fmt.Errorf("bench indexes: %w", err)
	}
	fmt.Fprintf(cfg.Out, "index coverage (PostgreSQL, %d users and proportional rows; EXPLAIN of each lookup)\n", cfg.Users)
	tw := tabwriter.NewWriter(cfg.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  lookup\tplan\tindex scan")
	for _, r := range idx {
		yes := "yes"
		if !r.indexed {
			yes = "NO"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.name, r.plan, yes)
	}
	tw.Flush()
	fmt.Fprintln(cfg.Out)
	return nil
}

func table(w io.Writer, title string, rows []measure) {
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  measure\tmedian\tmin\tmax\tnote")
	for _, m := range rows {
		lo, hi := slices.Min(m.samples), slices.Max(m.samples)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", m.name, round(m.median()), round(lo), round(hi), m.note)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func ratio(a, b time.Duration) string {
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
