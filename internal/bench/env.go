package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/moduletest"
)

// env is a benchmark user module in a temporary directory, which is the working directory
// while benchmarks run, and the PostgreSQL server they create databases on.
type env struct {
	cfg       Config
	dir       string
	cwd       string
	server    *sql.DB
	databases []string
	// mysql is the MySQL server of Config.MySQLURL, once newMySQLDatabase opened it, and
	// mysqlDatabases the databases created there.
	mysql          *sql.DB
	mysqlDatabases []string
	kernia         string // the real kernia binary, once kerniaBinary built it
	// rel is the checkout released into a module proxy (released.go), once userModule made
	// one, and userDirs the user modules it made.
	rel      *released
	userDirs []string
	// kerniaEnv gives the kernia binary a loader cache of its own (see kerniaBinary).
	kerniaEnv []string
}

// kerniaBinary builds the real `kernia` command (cmd/kernia at this checkout, as `go tool
// kernia` builds it in the module) once, and returns its path. Run in the module, it does what
// the user's command does: it builds (or finds cached) the loader program and runs it.
func (e *env) kerniaBinary() (string, error) {
	if e.kernia != "" {
		return e.kernia, nil
	}
	bin := filepath.Join(e.dir, "bin", "kernia")
	if err := e.run(nil, "go", "build", "-o", bin, "github.com/kernia/kernia/cmd/kernia"); err != nil {
		return "", err
	}
	if _, err := e.loaderCache(); err != nil {
		return "", err
	}
	e.kernia = bin
	return bin, nil
}

// loaderCache returns (and keeps in kerniaEnv) the environment that gives the bench's kernia
// commands a loader cache of their own. The loader keeps its binaries in the user cache
// directory, at most loader.CacheKeep of them across every module the user runs kernia in: on
// a machine where other work runs kernia in many modules (tests), the bench's loader binary
// would be evicted between its warm-up and a timed run, which then relinks it. The cache is
// moved with XDG_CACHE_HOME, Go's build cache kept where it was (GOCACHE).
func (e *env) loaderCache() ([]string, error) {
	if e.kerniaEnv != nil {
		return e.kerniaEnv, nil
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOCACHE: %w", err)
	}
	e.kerniaEnv = []string{"XDG_CACHE_HOME=" + filepath.Join(e.dir, "bin", "cache"), "GOCACHE=" + strings.TrimSpace(string(out))}
	return e.kerniaEnv, nil
}

const benchAuth = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/builtin"
)

// Auth is the dogfood configuration: core and every built-in plugin.
var Auth = kernia.New(kernia.Options{
	Dialects: []string{kernia.SQLite, kernia.Postgres},
	Plugins:  builtin.All(),
})
`

const benchMagefile = `//go:build mage

package main

import (
	//mage:import
	_ "github.com/kernia/kernia/mage"
)

// Nothing does nothing: timing it measures Mage's own start-up.
func Nothing() {}
`

func newEnv(ctx context.Context, cfg Config) (*env, error) {
	e := &env{cfg: cfg}
	var err error
	if e.cwd, err = os.Getwd(); err != nil {
		return nil, err
	}
	if e.dir, err = os.MkdirTemp("", "kernia-bench-"); err != nil {
		return nil, err
	}
	if err := moduletest.Make(cfg.Root, e.dir, "example.com/bench", map[string]string{
		"auth/auth.go": benchAuth,
		"magefile.go":  benchMagefile,
	}); err != nil {
		e.close()
		return nil, err
	}
	if e.server, err = sql.Open("pgx", cfg.PostgresURL); err == nil {
		err = e.server.PingContext(ctx)
	}
	if err != nil {
		e.close()
		return nil, fmt.Errorf("PostgreSQL server %s: %w (start it: scripts/ensure-postgres.sh)", cfg.PostgresURL, err)
	}
	if err := os.Chdir(e.dir); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// durabilityWarning says which of the PostgreSQL server's durability settings are off
// (`CI=true` scripts/ensure-postgres.sh turns them off for the test suite, and the setting
// persists), or "" when all are on: with them off, commit latencies and migration times are
// not a production server's.
func durabilityWarning(ctx context.Context, server *sql.DB) (string, error) {
	var off []string
	for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if err := server.QueryRowContext(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			return "", fmt.Errorf("read the server's %s: %w", name, err)
		}
		if v == "off" {
			off = append(off, name)
		}
	}
	if len(off) == 0 {
		return "", nil
	}
	return fmt.Sprintf("warning: the PostgreSQL server runs with %s off: its commits are not durable and the figures below are not a production server's (as CI=true scripts/ensure-postgres.sh leaves it); to measure, run ALTER SYSTEM RESET for each, then SELECT pg_reload_conf()", strings.Join(off, ", ")), nil
}

// newDatabase creates an empty database, dropped by close, and returns its URL.
func (e *env) newDatabase(ctx context.Context) (string, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "kernia_bench_" + hex.EncodeToString(b[:])
	if _, err := e.server.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	e.databases = append(e.databases, name)
	u, err := url.Parse(e.cfg.PostgresURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// newMySQLDatabase creates an empty database on the MySQL server, with the character set and
// collation of Kernia's tables, dropped by close, and returns its URL.
func (e *env) newMySQLDatabase(ctx context.Context) (string, error) {
	u, err := database.Parse(e.cfg.MySQLURL)
	if err != nil {
		return "", fmt.Errorf("MySQL server URL: %w", err)
	}
	if e.mysql == nil {
		if e.mysql, err = database.Open(ctx, u); err != nil {
			return "", fmt.Errorf("MySQL server: %w (start it: scripts/ensure-mariadb.sh)", err)
		}
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "kernia_bench_" + hex.EncodeToString(b[:])
	if _, err := e.mysql.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE "+database.MySQLCollation); err != nil {
		return "", err
	}
	e.mysqlDatabases = append(e.mysqlDatabases, name)
	raw, err := url.Parse(e.cfg.MySQLURL)
	if err != nil {
		return "", err
	}
	raw.Path = "/" + name
	return raw.String(), nil
}

func (e *env) close() {
	if e.cwd != "" {
		_ = os.Chdir(e.cwd)
	}
	if e.mysql != nil {
		for _, name := range e.mysqlDatabases {
			_, _ = e.mysql.Exec("DROP DATABASE IF EXISTS " + name)
		}
		e.mysql.Close()
	}
	if e.server != nil {
		for _, name := range e.databases {
			_, _ = e.server.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		}
		e.server.Close()
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
	for _, d := range e.userDirs {
		_ = os.RemoveAll(d)
	}
	if e.rel != nil {
		e.rel.close()
	}
}

// run runs a command in the module with extra environment variables.
func (e *env) run(extraEnv []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), append([]string{"GOFLAGS=-mod=mod"}, extraEnv...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// snapshot is the content of the files under some directories of the module.
type snapshot map[string][]byte

func (e *env) snapshot(dirs ...string) (snapshot, error) { return snapshotDirs(e.dir, dirs...) }

// restore makes the directories of the module hold exactly the snapshot again.
func (e *env) restore(s snapshot, dirs ...string) error { return restoreDirs(e.dir, s, dirs...) }

// snapshotDirs returns the content of the files under the directories of root.
func snapshotDirs(root string, dirs ...string) (snapshot, error) {
	s := snapshot{}
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, de fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil || de.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			s[p] = b
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// restoreDirs makes the directories of root hold exactly the snapshot again.
func restoreDirs(root string, s snapshot, dirs ...string) error {
	now, err := snapshotDirs(root, dirs...)
	if err != nil {
		return err
	}
	for p := range now {
		if _, ok := s[p]; !ok {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(s)) {
		if cur, ok := now[p]; ok && string(cur) == string(s[p]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, s[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}
