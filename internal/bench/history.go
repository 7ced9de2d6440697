package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"

	"github.com/kernia/kernia/internal/migration"
)

// The history curve: `migrate` on a PostgreSQL database that already has n files applied,
// applying one more file and as a no-op, binary to binary beside goose's CLI on the same SQL,
// alternating, each tool on its own scratch database.

// gooseVersion is the goose release the bench builds its CLI from, in a temporary module (it is
// not a dependency of Kernia's module for this).
const gooseVersion = "v3.29.0"

// gooseTags leave out goose's drivers other than PostgreSQL's (pgx).
const gooseTags = "no_clickhouse,no_mssql,no_azuresql,no_mysql,no_sqlite3,no_turso,no_vertica,no_ydb"

// kerniaAppGo is the program `kernia <command>` runs inside the user's module: the command line
// over the module's auth instance (the loader program does the same).
const kerniaAppGo = `package main

import (
	"os"

	"example.com/bench/auth"
	"github.com/kernia/kernia/cli"
)

func main() {
	os.Exit(cli.RunWith(auth.Auth, "./auth:Auth", os.Args[1:], os.Stdout, os.Stderr))
}
`

// historyBase is the version of the first history file; file i has version historyBase+i, a
// timestamp-shaped number both tools accept.
const historyBase = 20260101000000

// historyFile is the SQL of the i-th history file.
func historyFile(i int) string {
	return fmt.Sprintf("CREATE TABLE \"h_%05d\" (\"id\" bigint NOT NULL, \"note\" text NULL, PRIMARY KEY (\"id\"));\n", i)
}

// historyTools are the binaries the curve runs.
type historyTools struct {
	// kernia is the real kernia binary (what go tool kernia runs: the launcher, which execs the
	// engine it built, which runs the loader program), built in a user module (kerniaDir, its
	// go environment kerniaEnv) that requires Kernia as released (released.go).
	kernia, kerniaDir string
	kerniaEnv         []string
	// kerniaApp is the command alone: the whole command line over the instance, in one
	// program (no launcher, no loader program). It links the generator, whose packages'
	// initialisation the migration engine that go tool kernia migrate runs does not pay, so its
	// no-op is no measure of the goal (the kernia binary's is); its per-file costs are
	// differences of its own runs, in which that start cancels out.
	kerniaApp string
	goose     string
}

func buildHistoryTools(e *env) (*historyTools, error) {
	bin := filepath.Join(e.dir, "bin")
	// Not bin/goose: the migrate section writes its goose-format directories there.
	t := &historyTools{kerniaApp: filepath.Join(bin, "kernia-app"), goose: filepath.Join(bin, "goose-cli")}
	if err := os.MkdirAll(filepath.Join(e.dir, "cmd", "kernia-app"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(e.dir, "cmd", "kernia-app", "main.go"), []byte(kerniaAppGo), 0o644); err != nil {
		return nil, err
	}
	if _, err := e.loaderCache(); err != nil {
		return nil, err
	}
	var err error
	if t.kerniaDir, t.kerniaEnv, err = e.userModule(""); err != nil {
		return nil, err
	}
	t.kernia = filepath.Join(t.kerniaDir, "bin", "kernia")
	if err := e.execIn(t.kerniaDir, t.kerniaEnv, "go", "build", "-o", t.kernia, "github.com/kernia/kernia/cmd/kernia"); err != nil {
		return nil, fmt.Errorf("build the kernia tool in the user module: %w", err)
	}
	if err := e.run(nil, "go", "build", "-o", t.kerniaApp, "./cmd/kernia-app"); err != nil {
		return nil, err
	}
	mod, err := os.MkdirTemp("", "kernia-bench-goose-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(mod)
	for _, args := range [][]string{
		{"mod", "init", "kernia-bench-goose"},
		{"get", "github.com/pressly/goose/v3@" + gooseVersion},
		{"build", "-tags", gooseTags, "-o", t.goose, "github.com/pressly/goose/v3/cmd/goose"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build goose %s: go %s: %w\n%s", gooseVersion, strings.Join(args, " "), err, out)
		}
	}
	return t, nil
}

// batch is the number of files the curve's second apply adds: the cost of one file is the
// difference between applying batch files and applying one, over batch-1, so that what a run
// costs once (the process, connecting, the lock) cancels out, for both tools alike. Fifty:
// with ten, the difference (some 25 ms) was within the machine's run-to-run noise, and one
// size's ratio moved by up to 0.6 between two runs of the same code (issue 13).
const batch = 50

// historyDirs writes, in Atlas's format (with atlas.sum) and in goose's, the directories of n
// history files, of the same plus one more, and of the same plus batch more. It returns the
// kernia directories, then goose's, each in that order.
func historyDirs(root string, n int) (kernia, goose [3]string, err error) {
	for k, count := range []int{n, n + 1, n + batch} {
		for g, tool := range []string{"kernia", "goose"} {
			d := filepath.Join(root, fmt.Sprintf("%s-%d-%d", tool, n, count))
			if err := writeHistoryDir(d, count, g == 1); err != nil {
				return kernia, goose, err
			}
			if g == 0 {
				kernia[k] = d
			} else {
				goose[k] = d
			}
		}
	}
	return kernia, goose, nil
}

// writeHistoryDir writes the first count history files into d, in goose's format or in
// Atlas's (with atlas.sum).
func writeHistoryDir(d string, count int, gooseFormat bool) error {
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	for i := range count {
		body := historyFile(i)
		if gooseFormat {
			body = "-- +goose Up\n" + body
		}
		name := fmt.Sprintf("%d_h%05d.sql", historyBase+i, i)
		if err := os.WriteFile(filepath.Join(d, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	if gooseFormat {
		return nil
	}
	ld, err := migrate.NewLocalDir(d)
	if err != nil {
		return err
	}
	sum, err := ld.Checksum()
	if err != nil {
		return err
	}
	return migrate.WriteSumFile(ld, sum)
}

// exec runs a benchmark binary in the module, failing with its output.
func (e *env) exec(bin string, args ...string) error {
	return e.execIn(e.dir, nil, bin, args...)
}

// execIn runs a benchmark binary in dir with the extra environment env, failing with its
// output.
func (e *env) execIn(dir string, env []string, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(append(os.Environ(), "GOFLAGS=-mod=mod"), e.kerniaEnv...), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	return nil
}

// historySizes are the history lengths of the curve; 10,000 is added when the 1,000 point
// projects it under a minute (or BENCH_HISTORY_MAX asks for it).
var historySizes = []int{1, 10, 100, 1000}

// benchHistory returns the curve's rows, a note on the points it left out and issue 13's goals
// judged by them.
func benchHistory(ctx context.Context, e *env) ([]measure, string, []goal, error) {
	tools, err := buildHistoryTools(e)
	if err != nil {
		return nil, "", nil, err
	}
	var (
		goals         []goal
		perFiles      []string // each size's apply ratio
		notMet, noisy bool
	)
	root := filepath.Join(e.dir, "bin", "history")
	var (
		rows              []measure
		note              string
		noop1, gooseNoop1 time.Duration
	)
	sizes := historySizes
	for k := 0; k < len(sizes); k++ {
		n := sizes[k]
		start := time.Now()
		r, err := historyPoint(ctx, e, tools, root, n)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%d applied files: %w", n, err)
		}
		km, gm := r.noop.median(), r.gooseNoop.median()
		if n == 1 {
			noop1, gooseNoop1 = km, gm
		}
		// perFile is what each applied file adds to the no-op, over the 1-file no-op.
		perFile := func(d, d1 time.Duration) string {
			if n == 1 {
				return ""
			}
			return fmt.Sprintf("%s a file over the 1-file no-op", round((d-d1)/time.Duration(n-1)))
		}
		// On a noisy machine either per-file cost can come out at or below zero, and then its
		// ratio says nothing.
		kOwn, gOwn := r.perFile()
		if kOwn > 0 && gOwn > 0 {
			own := float64(kOwn) / float64(gOwn)
			perFiles = append(perFiles, fmt.Sprintf("%d: %.2f×", n, own))
			notMet = notMet || own > 1.10
		} else {
			perFiles = append(perFiles, fmt.Sprintf("%d: noise (an own cost ≤ 0)", n))
			noisy = true
		}
		rows = append(rows,
			measure{name: fmt.Sprintf("%5d applied: kernia no-op", n), samples: r.noop.samples,
				note: strings.TrimSuffix(fmt.Sprintf("%s of goose (target ≤ 2×); %s", ratio(km, gm), perFile(km, noop1)), "; ")},
			measure{name: fmt.Sprintf("%5d applied: goose no-op", n), samples: r.gooseNoop.samples, note: perFile(gm, gooseNoop1)},
			measure{name: fmt.Sprintf("%5d applied: kernia apply one more", n), samples: r.apply.samples,
				note: fmt.Sprintf("%s of goose; %s over kernia's no-op (the locked run: two more connections, the lock, the pooler check), goose %s over its own",
					ratio(r.apply.median(), r.gooseApply.median()), round(r.apply.median()-km), round(r.gooseApply.median()-gm))},
			measure{name: fmt.Sprintf("%5d applied: goose apply one more", n), samples: r.gooseApply.samples},
			measure{name: fmt.Sprintf("%5d applied: kernia apply %d more", n, batch), samples: r.applyBatch.samples,
				note: fmt.Sprintf("%s of goose; a file's own cost %s, %s of goose's %s (target ≤ 1.10×)",
					ratio(r.applyBatch.median(), r.gooseApplyBatch.median()), round(kOwn), ratio(kOwn, gOwn), round(gOwn))},
			measure{name: fmt.Sprintf("%5d applied: goose apply %d more", n, batch), samples: r.gooseApplyBatch.samples},
		)
		if r.e2e != nil {
			em, gem := r.e2e.median(), r.gooseE2E.median()
			rows = append(rows,
				measure{name: fmt.Sprintf("%5d applied: kernia no-op, the kernia binary", n), samples: r.e2e.samples,
					note: fmt.Sprintf("%s of goose (target ≤ 2×): the launcher, the engine it execs, the loader program (its build key matching), then the command; in a user module requiring Kernia as released", ratio(em, gem))},
				measure{name: fmt.Sprintf("%5d applied: goose no-op, again", n), samples: r.gooseE2E.samples})
			if n == 1000 {
				goals = append(goals, goal{name: "migrate no-op over 1,000 applied files, the kernia binary", target: "≤ 2× goose's", ratio: ratio(em, gem), verdict: judge(float64(em)/float64(gem), 2),
					note: "binary to binary: what go tool kernia runs, beside goose's CLI, same run"})
			}
		}
		if n == 1000 && len(sizes) == len(historySizes) {
			took := time.Since(start)
			if e.cfg.HistoryMax >= 10_000 || (e.cfg.HistoryMax == 0 && 10*took < time.Minute) {
				sizes = append(sizes, 10_000)
			} else {
				note = fmt.Sprintf("10,000 applied files left out: the 1,000 point took %s (BENCH_HISTORY_MAX=10000 runs it)", round(took))
			}
		}
	}
	verdict := "met"
	switch {
	case notMet:
		verdict = "NOT met"
	case noisy:
		verdict = "undecided (noise)"
	}
	goals = append(goals, goal{name: "apply cost per file", target: "≤ 1.10× goose's at every size", ratio: strings.Join(perFiles, ", "), verdict: verdict,
		note: fmt.Sprintf("PostgreSQL, same run: (apply %d more − apply one more) / %d", batch, batch-1)})
	return rows, note, goals, nil
}

// historyResult is one point of the curve.
type historyResult struct {
	noop, gooseNoop, apply, gooseApply measure
	// applyBatch and gooseApplyBatch apply batch more files.
	applyBatch, gooseApplyBatch measure
	// e2e is the real kernia binary's no-op, alternating with goose's again (gooseE2E).
	e2e, gooseE2E *measure
}

// perFile is the cost of one more file in a run: applying batch files less applying one,
// over batch-1.
func (m historyResult) perFile() (kernia, goose time.Duration) {
	return (m.applyBatch.median() - m.apply.median()) / (batch - 1), (m.gooseApplyBatch.median() - m.gooseApply.median()) / (batch - 1)
}

func historyPoint(ctx context.Context, e *env, t *historyTools, root string, n int) (*historyResult, error) {
	kdirs, gdirs, err := historyDirs(root, n)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, d := range append(kdirs[:], gdirs[:]...) {
			os.RemoveAll(d)
		}
	}()
	kdir, gdir := kdirs[0], gdirs[0]
	kurl, err := e.newDatabase(ctx)
	if err != nil {
		return nil, err
	}
	gurl, err := e.newDatabase(ctx)
	if err != nil {
		return nil, err
	}
	// The n files are applied without waiting for each commit's flush (setting up 10,000 files
	// otherwise takes a minute per tool); the timed runs then use the server's default.
	for _, u := range []string{kurl, gurl} {
		if _, err := e.server.ExecContext(ctx, "ALTER DATABASE "+dbName(u)+" SET synchronous_commit = off"); err != nil {
			return nil, err
		}
	}
	if _, err := migration.Apply(ctx, kurl, kdir, migration.ApplyOptions{Out: io.Discard}); err != nil {
		return nil, fmt.Errorf("set up kernia's history: %w", err)
	}
	if err := e.exec(t.goose, "-dir", gdir, "postgres", gurl, "up"); err != nil {
		return nil, fmt.Errorf("set up goose's history: %w", err)
	}
	for _, u := range []string{kurl, gurl} {
		if _, err := e.server.ExecContext(ctx, "ALTER DATABASE "+dbName(u)+" RESET synchronous_commit"); err != nil {
			return nil, err
		}
	}
	kdb, err := sql.Open("pgx", kurl)
	if err != nil {
		return nil, err
	}
	defer kdb.Close()
	gdb, err := sql.Open("pgx", gurl)
	if err != nil {
		return nil, err
	}
	defer gdb.Close()
	// undo removes the files applied on top, so each run applies them again.
	undo := func() error {
		var drops strings.Builder
		for i := n; i < n+batch; i++ {
			fmt.Fprintf(&drops, `DROP TABLE IF EXISTS "h_%05d"; `, i)
		}
		if _, err := kdb.ExecContext(ctx, fmt.Sprintf(`%sDELETE FROM "atlas_schema_revisions" WHERE "version" >= '%d'`, drops.String(), historyBase+n)); err != nil {
			return err
		}
		_, err := gdb.ExecContext(ctx, fmt.Sprintf(`%sDELETE FROM "goose_db_version" WHERE "version_id" >= %d`, drops.String(), historyBase+n))
		return err
	}
	kernia := func(bin, dir string) func() error {
		return func() error { return e.exec(bin, "migrate", "--url", kurl, "--dir", dir) }
	}
	goose := func(dir string) func() error {
		return func() error { return e.exec(t.goose, "-dir", dir, "postgres", gurl, "up") }
	}
	runs := e.cfg.Runs
	r := &historyResult{}
	if r.apply.samples, r.gooseApply.samples, err = timeAlternating(runs, undo, kernia(t.kerniaApp, kdirs[1]), goose(gdirs[1])); err != nil {
		return nil, err
	}
	if r.applyBatch.samples, r.gooseApplyBatch.samples, err = timeAlternating(runs, undo, kernia(t.kerniaApp, kdirs[2]), goose(gdirs[2])); err != nil {
		return nil, err
	}
	if err := undo(); err != nil {
		return nil, err
	}
	nothing := func() error { return nil }
	if r.noop.samples, r.gooseNoop.samples, err = timeAlternating(runs, nothing, kernia(t.kerniaApp, kdir), goose(gdir)); err != nil {
		return nil, err
	}
	if n == 1000 || (n < 1000 && n == historySizes[len(historySizes)-1]) {
		e2e := func() error {
			return e.execIn(t.kerniaDir, t.kerniaEnv, t.kernia, "migrate", "--url", kurl, "--dir", kdir)
		}
		r.e2e, r.gooseE2E = &measure{}, &measure{}
		if r.e2e.samples, r.gooseE2E.samples, err = timeAlternating(runs, nothing, e2e, goose(gdir)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// dbName is the database of a URL newDatabase returned.
func dbName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw // newDatabase made it from a parsed URL
	}
	return strings.TrimPrefix(u.Path, "/")
}
