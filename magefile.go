//go:build mage

// Kernia's own targets, plus the imported Kernia targets (generate, migrate, status, hash, …)
// running against the dogfood configuration: the core and every built-in plugin on
// sqlite://kernia.db, with migrations for SQLite, PostgreSQL and MySQL. The magefile imports
// neither the dogfood nor the pipeline: the targets run the kernia tool of this module, which
// loads ./internal/dogfood:Instance as go tool kernia --app does, and Bench runs the
// benchmarks as a program of their own. So an edit of the dogfood costs Mage no relink.
package main

import (
	"github.com/magefile/mage/sh"

	"github.com/kernia/kernia/mage/app"

	//mage:import
	_ "github.com/kernia/kernia/mage"
)

func init() { app.Load("./internal/dogfood:Instance") }

// Test runs gofmt, go vet and every test (PostgreSQL on 127.0.0.1:5432, see README).
func Test() error {
	return sh.RunV("scripts/test.sh")
}

// Bench measures generate, the user's loop (edit + go tool kernia/mage generate; with BENCH_BETTERAUTH=1 beside Better Auth's auth generate), migrate, the history curve, index coverage and logins during a migration (BENCH_RUNS, BENCH_USERS, BENCH_LOGIN_USERS, BENCH_LOGIN_RUNS, BENCH_HISTORY_MAX, BENCH_ONLY, BENCH_BETTERAUTH, BENCH_TRACE).
func Bench() error {
	return sh.RunV("go", "run", "./internal/bench/cmd/bench")
}
