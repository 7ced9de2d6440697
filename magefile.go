//go:build mage

// Kernia's own targets, plus the imported Kernia targets (generate, migrate, status, hash, …)
// running against the dogfood configuration: the core and every built-in plugin on
// sqlite://kernia.db, with migrations for SQLite and PostgreSQL.
package main

import (
	"context"
	"os"
	"strconv"

	"github.com/magefile/mage/sh"

	"github.com/kernia/kernia/internal/bench"
	"github.com/kernia/kernia/internal/dogfood"
	"github.com/kernia/kernia/internal/pgtest"
	"github.com/kernia/kernia/mage/app"

	//mage:import
	_ "github.com/kernia/kernia/mage"
)

func init() { app.Use(dogfood.Auth()) }

// Test runs gofmt, go vet and every test (PostgreSQL on 127.0.0.1:5432, see README).
func Test() error {
	return sh.RunV("scripts/test.sh")
}

// Bench measures generate, the user's loop (edit + go tool kernia/mage generate), migrate, the history curve, index coverage and logins during a migration (BENCH_RUNS, BENCH_USERS, BENCH_LOGIN_USERS, BENCH_LOGIN_RUNS, BENCH_HISTORY_MAX, BENCH_ONLY, BENCH_TRACE).
func Bench(ctx context.Context) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	return bench.Run(ctx, bench.Config{
		Root:        root,
		Runs:        envInt("BENCH_RUNS", 5),
		Users:       envInt("BENCH_USERS", 100_000),
		LoginUsers:  envInt("BENCH_LOGIN_USERS", 1_000_000),
		LoginRuns:   envInt("BENCH_LOGIN_RUNS", 2),
		HistoryMax:  envInt("BENCH_HISTORY_MAX", 0),
		PostgresURL: pgtest.ServerURL(),
		Only:        os.Getenv("BENCH_ONLY"),
		Out:         os.Stdout,
	})
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
