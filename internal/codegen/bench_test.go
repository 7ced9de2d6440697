package codegen

import (
	"syscall"
	"testing"
	"time"

	"github.com/kernia/kernia/internal/compose"
	"github.com/kernia/kernia/internal/dogfood"
)

// BenchmarkFiles generates the dogfood client (the core and every built-in plugin) with Ent's
// own generator (templates, then goimports on every file, each running `go env`) and with
// Files, side by side in one run. cpu-ms/op counts the go commands goimports starts. -count
// repeats each sub-benchmark in a row; to alternate them, run the test binary in a loop:
//
//	go test -c -o /tmp/codegen.test ./internal/codegen && cd internal/codegen &&
//	for i in 1 2 3 4 5; do /tmp/codegen.test -test.run '^$' -test.bench Files -test.benchtime 1x; done
func BenchmarkFiles(b *testing.B) {
	plan, err := compose.Build(dogfood.Auth())
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		files func(*Graph) (map[string][]byte, error)
	}{
		{"ent", (*Graph).entFiles},
		{"kernia", (*Graph).Files},
	} {
		b.Run(bc.name, func(b *testing.B) {
			start := cpuTime(b)
			for b.Loop() {
				b.StopTimer()
				schemas, err := compose.Schemas(plan)
				if err != nil {
					b.Fatal(err)
				}
				g, err := NewGraph(Config{Schemas: schemas, SchemaPackage: dogfoodPackage + "/schema", Package: dogfoodPackage, Header: compose.Header})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := bc.files(g); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := g.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64((cpuTime(b)-start).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the CPU time (user and system) of the process and of its waited-for children:
// goimports' go commands are Ent's children. It includes the untimed setup of each iteration
// (NewGraph, a few milliseconds).
func cpuTime(b *testing.B) time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			b.Fatal(err)
		}
		total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return total
}
