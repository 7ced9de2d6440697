// Command bench runs Kernia's benchmarks (internal/bench) from the root of this checkout, the
// way the repository's magefile runs them (go tool mage bench, which runs go run
// ./internal/bench/cmd/bench): BENCH_RUNS, BENCH_USERS, BENCH_LOGIN_USERS, BENCH_LOGIN_RUNS,
// BENCH_HISTORY_MAX, BENCH_ONLY, BENCH_BETTERAUTH and BENCH_TRACE configure it. It stops at Ctrl-C.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"

	"github.com/kernia/kernia/internal/bench"
	"github.com/kernia/kernia/internal/mysqltest"
	"github.com/kernia/kernia/internal/pgtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root, err := os.Getwd()
	var betterAuth bool
	if err == nil {
		betterAuth, err = bench.ParseBetterAuth(os.Getenv(bench.BetterAuthEnv))
	}
	if err == nil {
		err = bench.Run(ctx, bench.Config{
			Root:        root,
			Runs:        envInt("BENCH_RUNS", 5),
			Users:       envInt("BENCH_USERS", 100_000),
			LoginUsers:  envInt("BENCH_LOGIN_USERS", 1_000_000),
			LoginRuns:   envInt("BENCH_LOGIN_RUNS", 2),
			HistoryMax:  envInt("BENCH_HISTORY_MAX", 0),
			PostgresURL: pgtest.ServerURL(),
			MySQLURL:    mysqltest.ServerURL(),
			Only:        os.Getenv("BENCH_ONLY"),
			BetterAuth:  betterAuth,
			Out:         os.Stdout,
		})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
