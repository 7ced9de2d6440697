package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 0.99, 0},
		{"one", ms(7), 0.5, 7 * time.Millisecond},
		{"one, p99", ms(7), 0.99, 7 * time.Millisecond},
		{"p50 of four is the second (nearest rank)", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p50 of five is the third", ms(1, 2, 3, 4, 5), 0.5, 3 * time.Millisecond},
		{"p99 of 1..100 is 99", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p100 is the maximum", ms(hundred...), 1, 100 * time.Millisecond},
		{"p0 is the minimum", ms(hundred...), 0, time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
			}
		})
	}
}

func TestSummariseAndPhases(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	boom := errors.New("boom")
	// Warm-up ends at 100 ms, the migration runs from 1000 to 2000 ms.
	samples := []sample{
		{due: at(0), done: at(90)},                 // warm-up: in neither
		{due: at(100), done: at(102)},              // quiet
		{due: at(500), done: at(510)},              // quiet
		{due: at(995), done: at(1500)},             // due before the migration, stalled by it: during
		{due: at(1200), done: at(1900), err: boom}, // during, failed
		{due: at(1999), done: at(2100)},            // during
		{due: at(2000), done: at(2003)},            // after the migration: in neither
	}
	quiet, during := phases(samples, at(100), at(1000), at(2000))
	for _, tc := range []struct {
		name string
		got  stats
		want stats
	}{
		{"quiet", summarise(quiet), stats{requests: 2, p50: 2 * time.Millisecond, p99: 10 * time.Millisecond, max: 10 * time.Millisecond}},
		{"during", summarise(during), stats{requests: 3, errors: 1, p50: 505 * time.Millisecond, p99: 700 * time.Millisecond, max: 700 * time.Millisecond, firstErr: boom}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %+v, want %+v", tc.got, tc.want)
			}
		})
	}
}

func TestOpenLoopMeasuresFromTheScheduledStart(t *testing.T) {
	// One worker, 100 requests/s; request 0 stalls 200 ms. Open loop: requests 1…20 were due
	// during the stall and their latency counts the wait; the scheduler does not slow down.
	sch := schedule{start: time.Now(), rate: 100}
	var calls atomic.Int32
	samples := runOpenLoop(context.Background(), sch, 30, 1, nil, func(_ context.Context, _, i int) error {
		calls.Add(1)
		if i == 0 {
			time.Sleep(200 * time.Millisecond)
		}
		return nil
	})
	if len(samples) != 30 || calls.Load() != 30 {
		t.Fatalf("%d samples, %d calls, want 30 each", len(samples), calls.Load())
	}
	for i, s := range samples {
		if !s.due.Equal(sch.at(i)) {
			t.Errorf("request %d due at %v, want %v", i, s.due, sch.at(i))
		}
	}
	// Request 1 was due at 10 ms and could not start before request 0 ended (≥ 200 ms).
	if l := samples[1].latency(); l < 190*time.Millisecond {
		t.Errorf("request 1's latency %v does not count its wait behind the stalled request", l)
	}
	if got, want := sch.at(20).Sub(sch.start), 200*time.Millisecond; got != want {
		t.Errorf("request 20 due %v after the start, want %v", got, want)
	}
}

func TestOpenLoopStops(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	samples := runOpenLoop(context.Background(), schedule{start: time.Now().Add(time.Hour), rate: 1}, 10, 2, stop,
		func(context.Context, int, int) error { return nil })
	if len(samples) != 0 {
		t.Errorf("%d samples after stop, want 0", len(samples))
	}
}
