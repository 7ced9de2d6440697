package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"github.com/jackc/pgx/v5"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/generator"
	"github.com/kernia/kernia/internal/migration"
	"github.com/kernia/kernia/plugins/builtin"
)

// The logins case: a fixed-rate load of the queries a sign-in makes, on PostgreSQL seeded with
// Config.LoginUsers users and as many sessions, while the migration that enables the username
// and admin plugins runs, once as Kernia generates and applies it and once the naive way (the
// plan Atlas writes for the same change, in one transaction). Each run starts from a clone of
// one seeded template database, so every run sees identical data.
const (
	loginRate    = 200 // logins scheduled per second
	loginWorkers = 16  // goroutines, each with its own connection
	// loginWarmup is excluded from every figure: fresh connections, cold caches.
	loginWarmup = 2 * time.Second
	// loginQuiet is the load measured before the migration starts.
	loginQuiet = 10 * time.Second
	// loginTail keeps the load running after the migration ended, so that requests it
	// stalled complete and count.
	loginTail = time.Second
	// loginMaxMigration bounds the load: it stops this long after the migration started even
	// if the migration has not ended (the report says so).
	loginMaxMigration = 3 * time.Minute
	// loginRequestTimeout fails a login that takes longer: an application's request timeout.
	loginRequestTimeout = 30 * time.Second
	// loginMigrationTimeout bounds one migration.
	loginMigrationTimeout = 10 * time.Minute
)

// loginPlugins are the plugins whose enabling the logins case migrates.
var loginPlugins = []string{"username", "admin"}

// schedule is an open-loop schedule: request i is due at start + i/rate whatever happened to
// the requests before it, so a stall shows up as the latency of every request due during it.
type schedule struct {
	start time.Time
	rate  int // requests per second
}

// at returns when request i is due.
func (s schedule) at(i int) time.Time {
	return s.start.Add(time.Duration(int64(i) * int64(time.Second) / int64(s.rate)))
}

// sample is one request: its index, when it was due, when a worker took it, when it ended,
// and its error.
type sample struct {
	i                int
	due, start, done time.Time
	err              error
}

// latency is measured from the request's scheduled start, not from when a worker took it.
func (s sample) latency() time.Duration { return s.done.Sub(s.due) }

// stats summarises the requests of one phase.
type stats struct {
	requests, errors int
	p50, p99, max    time.Duration
	firstErr         error
}

// summarise returns the nearest-rank p50 and p99 and the maximum of the latencies of the
// samples (failed ones included: a failure is as slow as it took to fail), and counts errors.
func summarise(samples []sample) stats {
	st := stats{requests: len(samples)}
	lat := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		lat = append(lat, s.latency())
		if s.err != nil {
			st.errors++
			if st.firstErr == nil {
				st.firstErr = s.err
			}
		}
	}
	slices.Sort(lat)
	st.p50, st.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(lat) > 0 {
		st.max = lat[len(lat)-1]
	}
	return st
}

// percentile is the nearest-rank percentile of sorted durations (0 for none).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// phases splits samples into the quiet ones (due after the warm-up, ended before the
// migration started) and those of the migration (due after the warm-up and alive at some
// moment of [migStart, migEnd]). Requests due after the migration ended are in neither.
func phases(samples []sample, warmEnd, migStart, migEnd time.Time) (quiet, during []sample) {
	for _, s := range samples {
		switch {
		case s.due.Before(warmEnd):
		case s.done.Before(migStart):
			quiet = append(quiet, s)
		case s.due.Before(migEnd):
			during = append(during, s)
		}
	}
	return quiet, during
}

// runOpenLoop runs do for requests 0, 1, … as the schedule makes them due, on workers
// goroutines, until stop is closed or n requests were scheduled, and returns one sample per
// scheduled request. The scheduler never waits for a worker: due requests queue, and their
// latency counts the wait.
func runOpenLoop(ctx context.Context, sch schedule, n, workers int, stop <-chan struct{}, do func(ctx context.Context, worker, i int) error) []sample {
	samples := make([]sample, n)
	jobs := make(chan int, n)
	scheduled := 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				start := time.Now()
				err := do(ctx, w, i)
				samples[i] = sample{i: i, due: sch.at(i), start: start, done: time.Now(), err: err}
			}
		}()
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
schedule:
	for ; scheduled < n; scheduled++ {
		timer.Reset(time.Until(sch.at(scheduled)))
		select {
		case <-timer.C:
			jobs <- scheduled
		case <-stop:
			break schedule
		case <-ctx.Done():
			break schedule
		}
	}
	close(jobs)
	wg.Wait()
	return samples[:scheduled]
}

// loginStrategy is one way of applying the migration.
type loginStrategy struct {
	name    string
	migrate func(ctx context.Context, url string) (migrationLog, error)
}

// migrationLog is what a migration said while it ran: its lines as they arrived, and, when
// they tell it, the window in which it applied files (zero otherwise).
type migrationLog struct {
	lines                []timedLine
	applyStart, applyEnd time.Time
}

// timedLine is a line of a migration's output and when the bench read it.
type timedLine struct {
	at   time.Time
	text string
}

// loginRun is one measured run of a strategy.
type loginRun struct {
	migStart, migEnd time.Time
	quiet, during    []sample
	// steps are each request's query times (user by email, insert session, update user).
	steps []loginSteps
	// apply are the samples alive while files were applied (the log's window), when it is known.
	apply    []sample
	log      migrationLog
	duration time.Duration
	overran  bool // the load stopped before the migration ended
}

// runKerniaMigrate runs `kernia migrate --url url --dir dir` as its own process, in the
// module, and returns its output lines, each timestamped as it arrived, with the window in
// which it applied files: from the first file's start (its "applied <file>: … in <d>" line
// less d) to the last file's line.
func runKerniaMigrate(ctx context.Context, bin, moduleDir string, env []string, url, dir string) (migrationLog, error) {
	cmd := exec.CommandContext(ctx, bin, "migrate", "--url", url, "--dir", dir)
	cmd.Dir = moduleDir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod"), env...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return migrationLog{}, err
	}
	if err := cmd.Start(); err != nil {
		return migrationLog{}, err
	}
	var log migrationLog
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.lines = append(log.lines, timedLine{at: time.Now(), text: sc.Text()})
	}
	if err := cmd.Wait(); err != nil {
		var out strings.Builder
		for _, l := range log.lines {
			out.WriteString(l.text + "\n")
		}
		return log, fmt.Errorf("kernia migrate: %w\n%s", err, out.String())
	}
	for _, l := range log.lines {
		d, ok := appliedIn(l.text)
		if !ok {
			continue
		}
		if log.applyStart.IsZero() {
			log.applyStart = l.at.Add(-d)
		}
		log.applyEnd = l.at
	}
	return log, nil
}

// appliedIn is the duration of an "applied <file>: <n> statements in <d>" line of migrate.
func appliedIn(line string) (time.Duration, bool) {
	if !strings.HasPrefix(line, "applied ") {
		return 0, false
	}
	i := strings.LastIndex(line, " in ")
	if i < 0 {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(line[i+len(" in "):]))
	return d, err == nil
}

func benchLogins(ctx context.Context, e *env) error {
	w := e.cfg.Out
	users := e.cfg.LoginUsers
	runs := e.cfg.LoginRuns
	afterDir, naive, kerniaFiles, err := loginMigrations(ctx, e)
	if err != nil {
		return err
	}

	template, templateURL, err := e.namedDatabase(ctx, "")
	if err != nil {
		return err
	}
	if _, err := migration.Apply(ctx, templateURL, filepath.Join(e.dir, "bin", "logins", "before"), migration.ApplyOptions{Out: io.Discard}); err != nil {
		return err
	}
	seeded, err := seedLogins(ctx, templateURL, users)
	if err != nil {
		return fmt.Errorf("seed %d users and sessions: %w", users, err)
	}

	var naiveStmts []string
	for _, c := range naive.Changes {
		naiveStmts = append(naiveStmts, c.Cmd)
	}
	// The real kernia binary, as its own process; its loader program is built (and cached) by
	// a dry run on the template first, so each timed run finds it built, as a second `kernia
	// migrate` in a module does.
	bin, err := e.kerniaBinary()
	if err != nil {
		return err
	}
	if err := e.exec(bin, "migrate", "--dry-run", "--url", templateURL, "--dir", afterDir); err != nil {
		return fmt.Errorf("warm up the kernia binary's loader: %w", err)
	}
	strategies := []loginStrategy{
		{name: "kernia migrate", migrate: func(ctx context.Context, url string) (migrationLog, error) {
			return runKerniaMigrate(ctx, bin, e.dir, e.kerniaEnv, url, afterDir)
		}},
		{name: "naive (Atlas's plan, one transaction)", migrate: func(ctx context.Context, url string) (migrationLog, error) {
			return migrationLog{}, applyInOneTransaction(ctx, url, naiveStmts)
		}},
	}
	fmt.Fprintf(w, "logins during a migration (PostgreSQL, %d users and %d sessions; %d logins/s on %d connections, open loop)\n", users, users, loginRate, loginWorkers)
	fmt.Fprintf(w, "  seed: %s: rows %s (INSERT … SELECT generate_series, before any index), indexes and keys %s, ANALYZE %s; each run clones it (CREATE DATABASE … TEMPLATE)\n",
		round(seeded.total()), round(seeded.insert), round(seeded.rebuild), round(seeded.analyze))
	for _, name := range kerniaFiles {
		b, err := os.ReadFile(filepath.Join(afterDir, name))
		if err != nil {
			return err
		}
		f := migrate.NewLocalFile(name, b)
		stmts, err := f.Stmts()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		mode := "one transaction"
		if slices.Contains(f.Directive("txmode"), "none") {
			mode = "txmode none"
		}
		fmt.Fprintf(w, "  kernia %s (%s):\n", name, mode)
		printStmts(w, stmts)
	}
	fmt.Fprintf(w, "  naive (Atlas's plan for the same change, one transaction):\n")
	printStmts(w, naiveStmts)

	// BENCH_TRACE prints each run's slow sign-ins (traceRun) and has the server log every
	// statement of the clone, to line them up with the migration's statements.
	trace := os.Getenv("BENCH_TRACE") != ""
	results := make([][]loginRun, len(strategies))
	var clones []time.Duration
	for r := range runs {
		for k := range strategies {
			// ABBA: the strategy that goes first alternates between rounds.
			j := k
			if r%2 == 1 {
				j = len(strategies) - 1 - k
			}
			cloneStart := time.Now()
			name, url, err := e.namedDatabase(ctx, template)
			if err != nil {
				return err
			}
			clones = append(clones, time.Since(cloneStart))
			if trace {
				if _, err := e.server.ExecContext(ctx, "ALTER DATABASE "+name+" SET log_min_duration_statement = 0"); err != nil {
					return err
				}
			}
			run, err := loginRound(ctx, url, users, strategies[j])
			if trace {
				traceRun(w, strategies[j].name, run)
			}
			if _, derr := e.server.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err == nil {
				err = derr
			}
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", strategies[j].name, r+1, err)
			}
			results[j] = append(results[j], run)
		}
	}
	fmt.Fprintf(w, "  clone: median %s\n\n", round(measure{samples: clones}.median()))

	var durations []measure
	var quiet, during, applying []stats
	for j, s := range strategies {
		var q, d, a []sample
		var ds, as []time.Duration
		overran := 0
		for _, run := range results[j] {
			q, d, a = append(q, run.quiet...), append(d, run.during...), append(a, run.apply...)
			ds = append(ds, run.duration)
			if !run.log.applyStart.IsZero() {
				as = append(as, run.log.applyEnd.Sub(run.log.applyStart))
			}
			if run.overran {
				overran++
			}
		}
		quiet, during, applying = append(quiet, summarise(q)), append(during, summarise(d)), append(applying, summarise(a))
		note := fmt.Sprintf("%d run(s)", len(ds))
		if overran > 0 {
			note += fmt.Sprintf("; the load stopped %s after the start in %d of them", loginMaxMigration, overran)
		}
		if len(as) > 0 {
			note += "; the process's whole life, start-up (go env, the loader's build check) included"
		} else {
			note += "; in the bench's process, one transaction"
		}
		durations = append(durations, measure{name: s.name + ": migration", samples: ds, note: note})
		if len(as) > 0 {
			durations = append(durations, measure{name: s.name + ": applying files", samples: as, note: "from its log: the first file's start to the last file's end"})
		}
	}
	for j, s := range strategies {
		fmt.Fprintf(w, "%s: login latency from its scheduled start, every run pooled\n", s.name)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  phase\tlogins\tp50\tp99\tmax\terrors")
		type phase struct {
			name string
			st   stats
		}
		ps := []phase{{"quiet (no migration)", quiet[j]}, {"during the migration", during[j]}}
		if applying[j].requests > 0 {
			ps = append(ps, phase{"  of which while it applied files", applying[j]})
		}
		for _, p := range ps {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%d\n", p.name, p.st.requests, round(p.st.p50), round(p.st.p99), round(p.st.max), p.st.errors)
		}
		tw.Flush()
		verdict := "met"
		if during[j].p99 > 2*quiet[j].p99 || during[j].errors > 0 {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "  p99 during / quiet: %s, %d failed (goal ≤ 2.00×, 0 failed: %s)\n", ratio(during[j].p99, quiet[j].p99), during[j].errors, verdict)
		if during[j].firstErr != nil {
			fmt.Fprintf(w, "  first error: %v\n", during[j].firstErr)
		}
		q, d := stepP99s(results[j], func(r loginRun) []sample { return r.quiet }), stepP99s(results[j], func(r loginRun) []sample { return r.during })
		fmt.Fprintf(w, "  where the time goes, p99 quiet → during: queued for a worker %s → %s; user by email %s → %s; insert session (commit) %s → %s; update user (commit) %s → %s\n",
			round(q[0]), round(d[0]), round(q[1]), round(d[1]), round(q[2]), round(d[2]), round(q[3]), round(d[3]))
		fmt.Fprintln(w)
	}
	table(w, "migration duration (under the load)", durations)
	return nil
}

// printStmts prints statements one a line, indented, the long ones cut.
func printStmts(w io.Writer, stmts []string) {
	for _, st := range stmts {
		st = strings.TrimSuffix(strings.Join(strings.Fields(st), " "), ";")
		if r := []rune(st); len(r) > 120 {
			st = string(r[:119]) + "…"
		}
		fmt.Fprintf(w, "    %s\n", st)
	}
}

// loginRound runs the load on a fresh database: warm-up, quiet phase, then the migration, and
// the load until the migration ended plus a tail (at most loginMaxMigration after it started).
func loginRound(ctx context.Context, url string, users int, s loginStrategy) (loginRun, error) {
	conns := make([]*pgx.Conn, loginWorkers)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close(context.WithoutCancel(ctx))
			}
		}
	}()
	for i := range conns {
		var err error
		if conns[i], err = pgx.Connect(ctx, url); err != nil {
			return loginRun{}, err
		}
	}
	n := int((loginWarmup + loginQuiet + loginMaxMigration + loginTail).Seconds() * loginRate)
	sch := schedule{start: time.Now().Add(50 * time.Millisecond), rate: loginRate}
	stop := make(chan struct{})
	var samples []sample
	steps := make([]loginSteps, n)
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		samples = runOpenLoop(ctx, sch, n, loginWorkers, stop, func(ctx context.Context, w, i int) error {
			ctx, cancel := context.WithTimeout(ctx, loginRequestTimeout)
			defer cancel()
			return login(ctx, conns[w], users, i, &steps[i])
		})
	}()

	warmEnd := sch.start.Add(loginWarmup)
	migStart := warmEnd.Add(loginQuiet)
	select {
	case <-time.After(time.Until(migStart)):
	case <-loadDone:
		return loginRun{}, errors.New("the load stopped before the migration started")
	}
	mctx, cancel := context.WithTimeout(ctx, loginMigrationTimeout)
	migStart = time.Now()
	log, err := s.migrate(mctx, url)
	migEnd := time.Now()
	cancel()
	if err != nil {
		close(stop)
		<-loadDone
		return loginRun{}, fmt.Errorf("migration: %w", err)
	}
	select {
	case <-time.After(loginTail):
	case <-loadDone:
	}
	close(stop)
	<-loadDone
	quiet, during := phases(samples, warmEnd, migStart, migEnd)
	var apply []sample
	if !log.applyStart.IsZero() {
		_, apply = phases(samples, warmEnd, log.applyStart, log.applyEnd)
	}
	overran := len(samples) == n && sch.at(n-1).Before(migEnd)
	return loginRun{migStart: migStart, migEnd: migEnd, quiet: quiet, during: during, apply: apply, steps: steps, log: log, duration: migEnd.Sub(migStart), overran: overran}, nil
}

// login makes the queries a sign-in makes: the user by email, a new session, the user's
// updated_at. Columns are named (an application selects the columns it knows, and a cached
// statement's result must not change when the migration adds columns).
func login(ctx context.Context, c *pgx.Conn, users, i int, steps *loginSteps) error {
	// A fixed pseudo-random user: consecutive logins touch different pages.
	k := int((uint64(i)*2654435761)%uint64(users)) + 1
	var id, name, email string
	var verified bool
	t := time.Now()
	lap := func(j int) {
		now := time.Now()
		steps[j], t = now.Sub(t), now
	}
	if err := c.QueryRow(ctx, `SELECT id, name, email, email_verified FROM users WHERE email = $1`,
		fmt.Sprintf("user%d@example.com", k)).Scan(&id, &name, &email, &verified); err != nil {
		return fmt.Errorf("user by email: %w", err)
	}
	lap(0)
	if _, err := c.Exec(ctx, `INSERT INTO sessions (id, token, user_id, expires_at, created_at, updated_at, ip_address, user_agent)
		VALUES ($1, $2, $3, now() + interval '7 days', now(), now(), '127.0.0.1', 'kernia-bench')`,
		fmt.Sprintf("login_%d", i), fmt.Sprintf("login_token_%d", i), id); err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	lap(1)
	if _, err := c.Exec(ctx, `UPDATE users SET updated_at = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	lap(2)
	return nil
}

// stepP99s returns the p99 of the queueing delay and of each query's round trip over the
// samples of a phase of every run, successful ones only.
func stepP99s(runs []loginRun, phase func(loginRun) []sample) [4]time.Duration {
	var parts [4][]time.Duration
	for _, r := range runs {
		for _, s := range phase(r) {
			if s.err != nil {
				continue
			}
			parts[0] = append(parts[0], s.start.Sub(s.due))
			for k, d := range r.steps[s.i] {
				parts[k+1] = append(parts[k+1], d)
			}
		}
	}
	var out [4]time.Duration
	for k := range parts {
		slices.Sort(parts[k])
		out[k] = percentile(parts[k], 0.99)
	}
	return out
}

// loginSteps are the round-trip times of a sign-in's three queries: the read (user by email)
// and the two writes, each committed on its own (so each waits for its commit's WAL flush).
type loginSteps [3]time.Duration

// loginMigrations generates, in the bench module, the dogfood configuration without the
// username and admin plugins ("before"), then with them ("after"), for PostgreSQL, and keeps
// both migration directories under bin/logins. It returns the "after" directory, the plan
// Atlas writes for the same change (the before schema diffed against the after schema,
// inspected from two databases migrated with Kernia's files) and the names of Kernia's new
// files. The module's ent/ and .kernia/ are restored afterwards.
func loginMigrations(ctx context.Context, e *env) (afterDir string, naive *migrate.Plan, kerniaFiles []string, err error) {
	dirs := []string{"ent", ".kernia"}
	saved, err := e.snapshot(dirs...)
	if err != nil {
		return "", nil, nil, err
	}
	defer func() {
		if rerr := e.restore(saved, dirs...); err == nil {
			err = rerr
		}
	}()
	for _, d := range dirs {
		if err := os.RemoveAll(filepath.Join(e.dir, d)); err != nil {
			return "", nil, nil, err
		}
	}
	dev, err := e.newDatabase(ctx)
	if err != nil {
		return "", nil, nil, err
	}
	var before []kernia.Plugin
	for _, p := range builtin.All() {
		if !slices.Contains(loginPlugins, p.ID()) {
			before = append(before, p)
		}
	}
	migrations := filepath.Join(e.dir, "ent/migrate/migrations/postgres")
	out := map[string]string{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, step := range []struct {
		name    string
		plugins []kernia.Plugin
	}{{"before", before}, {"after", builtin.All()}} {
		o := kernia.Options{Dialects: []string{kernia.Postgres}, DevURL: dev, Plugins: step.plugins}
		now := t0.Add(time.Duration(i) * time.Hour)
		if _, err := generator.Run(ctx, kernia.New(o), generator.Options{Now: func() time.Time { return now }}); err != nil {
			return "", nil, nil, fmt.Errorf("generate %s: %w", step.name, err)
		}
		out[step.name] = filepath.Join(e.dir, "bin", "logins", step.name)
		if err := copyDir(migrations, out[step.name]); err != nil {
			return "", nil, nil, err
		}
	}
	beforeNames, err := sqlNames(out["before"])
	if err != nil {
		return "", nil, nil, err
	}
	afterNames, err := sqlNames(out["after"])
	if err != nil {
		return "", nil, nil, err
	}
	for _, n := range afterNames {
		if !slices.Contains(beforeNames, n) {
			kerniaFiles = append(kerniaFiles, n)
		}
	}
	if len(kerniaFiles) == 0 {
		return "", nil, nil, fmt.Errorf("enabling %v generated no migration", loginPlugins)
	}

	// The naive plan: Atlas's own diff of the two schemas, as Ent's versioned migrations write it.
	var realms [2]*schema.Schema
	for i, d := range []string{out["before"], out["after"]} {
		url, err := e.newDatabase(ctx)
		if err != nil {
			return "", nil, nil, err
		}
		if _, err := migration.Apply(ctx, url, d, migration.ApplyOptions{Out: io.Discard}); err != nil {
			return "", nil, nil, err
		}
		if realms[i], err = inspectPublic(ctx, url); err != nil {
			return "", nil, nil, err
		}
	}
	db, err := sql.Open("pgx", dev)
	if err != nil {
		return "", nil, nil, err
	}
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return "", nil, nil, err
	}
	changes, err := drv.SchemaDiff(realms[0], realms[1])
	if err != nil {
		return "", nil, nil, err
	}
	if naive, err = drv.PlanChanges(ctx, "naive", changes); err != nil {
		return "", nil, nil, err
	}
	if len(naive.Changes) == 0 {
		return "", nil, nil, errors.New("atlas planned no change between the before and after schemas")
	}
	return out["after"], naive, kerniaFiles, nil
}

// inspectPublic returns the public schema of the database without the revisions table.
func inspectPublic(ctx context.Context, url string) (*schema.Schema, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return nil, err
	}
	s, err := drv.InspectSchema(ctx, "public", nil)
	if err != nil {
		return nil, err
	}
	s.Tables = slices.DeleteFunc(s.Tables, func(t *schema.Table) bool { return t.Name == "atlas_schema_revisions" })
	return s, nil
}

// seedLogins fills users and sessions of a migrated database with n rows each (emails
// user<i>@example.com, session i belonging to user i) and analyses them. It is fast because it
// writes the rows before any index or constraint of the two tables: those are dropped first
// (foreign keys, then keys and indexes) and put back after (keys and indexes, built sorted,
// then foreign keys, validated in one pass each) as they were defined.
func seedLogins(ctx context.Context, url string, n int) (seedTimes, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return seedTimes{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, cols, err := tablesInOrder(ctx, db)
	if err != nil {
		return seedTimes{}, err
	}
	// kind orders the drops (foreign keys first) and the re-creations (foreign keys last).
	type def struct {
		kind       int // 0 foreign key, 1 key, 2 index
		drop, make string
	}
	var defs []def
	rows, err := db.QueryContext(ctx, `
		SELECT 0, format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
			format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
		FROM pg_constraint c
		WHERE c.contype = 'f' AND (c.conrelid IN ('users'::regclass, 'sessions'::regclass) OR c.confrelid IN ('users'::regclass, 'sessions'::regclass))
		UNION ALL
		SELECT 1, format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
			format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
		FROM pg_constraint c
		WHERE c.contype IN ('p', 'u') AND c.conrelid IN ('users'::regclass, 'sessions'::regclass)
		UNION ALL
		SELECT 2, format('DROP INDEX %I.%I', i.schemaname, i.indexname), i.indexdef
		FROM pg_indexes i
		WHERE i.schemaname = 'public' AND i.tablename IN ('users', 'sessions')
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
		ORDER BY 1, 2`)
	if err != nil {
		return seedTimes{}, err
	}
	for rows.Next() {
		var d def
		if err := rows.Scan(&d.kind, &d.drop, &d.make); err != nil {
			rows.Close()
			return seedTimes{}, err
		}
		defs = append(defs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return seedTimes{}, err
	}
	var steps [4][]string // drops, inserts, re-creations, ANALYZE
	for _, d := range defs {
		steps[0] = append(steps[0], d.drop)
	}
	counts := map[string]int{"users": n, "sessions": n}
	for _, t := range []string{"users", "sessions"} {
		var names, values []string
		for _, c := range cols[t] {
			names = append(names, `"`+c.name+`"`)
			values = append(values, loginValue(t, c, counts))
		}
		steps[1] = append(steps[1], fmt.Sprintf(`INSERT INTO %q (%s) SELECT %s FROM generate_series(1, %d) AS i`, t, strings.Join(names, ", "), strings.Join(values, ", "), n))
	}
	for _, d := range slices.Backward(defs) {
		steps[2] = append(steps[2], d.make)
	}
	steps[3] = []string{"ANALYZE users, sessions"}
	for _, q := range []string{"SET synchronous_commit = off", "SET maintenance_work_mem = '256MB'"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return seedTimes{}, fmt.Errorf("%s: %w", q, err)
		}
	}
	var times [4]time.Duration
	for i, step := range steps {
		start := time.Now()
		for _, q := range step {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return seedTimes{}, fmt.Errorf("%s: %w", q, err)
			}
		}
		times[i] = time.Since(start)
	}
	return seedTimes{insert: times[0] + times[1], rebuild: times[2], analyze: times[3]}, nil
}

// loginValue is valueExpr with cheaper expressions for the bulk of 2M rows: a text column
// holds "<column>_<i>" (unique per row, like md5 but a fraction of its cost) and a timestamp
// advances a second per row; users' emails are user<i>@example.com.
func loginValue(table string, c column, counts map[string]int) string {
	v := valueExpr(table, c, counts)
	switch {
	case table == "users" && c.name == "email":
		return "'user' || i || '@example.com'"
	case strings.HasPrefix(v, "md5("):
		return fmt.Sprintf("'%s_' || i", c.name)
	case strings.HasPrefix(v, "now() +"):
		return "now() + i * interval '1 second'"
	}
	return v
}

// seedTimes is how long seedLogins spent on each step.
type seedTimes struct {
	insert, rebuild, analyze time.Duration
}

func (t seedTimes) total() time.Duration { return t.insert + t.rebuild + t.analyze }

// applyInOneTransaction runs the statements in one transaction, as a migration tool applying
// one file does.
func applyInOneTransaction(ctx context.Context, url string, stmts []string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return tx.Commit()
}

// namedDatabase creates a database (a copy of template when it is not empty), dropped by
// close, and returns its name and URL.
func (e *env) namedDatabase(ctx context.Context, template string) (string, string, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "kernia_bench_" + hex.EncodeToString(b[:])
	q := "CREATE DATABASE " + name
	if template != "" {
		// FILE_COPY copies the files after a checkpoint: seconds for a 1M-user database,
		// where the default strategy writes every page to the WAL.
		q += " TEMPLATE " + template + " STRATEGY FILE_COPY"
	}
	if _, err := e.server.ExecContext(ctx, q); err != nil {
		return "", "", err
	}
	e.databases = append(e.databases, name)
	u, err := url.Parse(e.cfg.PostgresURL)
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	return name, u.String(), nil
}

// sqlNames lists the .sql files of a directory, sorted.
func sqlNames(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	slices.Sort(names)
	return names, err
}

// copyDir copies the regular files of src into dst (created).
func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, de := range entries {
		if !de.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, de.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// traceRun prints, for BENCH_TRACE, the sign-ins of the migration phase slower than 2× the
// quiet p99, each with its due time relative to the migration's start.
func traceRun(w io.Writer, name string, run loginRun) {
	q := summarise(run.quiet)
	fmt.Fprintf(w, "  trace %s: migration %s → %s (%s); quiet p50 %s p99 %s\n", name, run.migStart.Format("15:04:05.000"), run.migEnd.Format("15:04:05.000"), round(run.duration), round(q.p50), round(q.p99))
	ms := func(t time.Time) float64 { return float64(t.Sub(run.migStart).Microseconds()) / 1000 }
	if !run.log.applyStart.IsZero() {
		fmt.Fprintf(w, "    applying files %+8.1f ms → %+8.1f ms\n", ms(run.log.applyStart), ms(run.log.applyEnd))
	}
	for _, l := range run.log.lines {
		fmt.Fprintf(w, "    at %+8.1f ms  %s\n", ms(l.at), l.text)
	}
	d := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, s := range run.during {
		if s.latency() > 2*q.p99 {
			st := run.steps[s.i]
			// queued: due until a worker took it (the load generator's own delay); then the
			// three queries' round trips (a read, then two committed writes).
			fmt.Fprintf(w, "    due %+8.1f ms  done %+8.1f ms  latency %6.1f ms = queued %5.1f + by email %5.1f + insert session %5.1f + update user %5.1f ms %v\n",
				ms(s.due), ms(s.done), d(s.latency()), d(s.start.Sub(s.due)), d(st[0]), d(st[1]), d(st[2]), s.err)
		}
	}
}
