package bench

import (
	"slices"
	"testing"
	"time"
)

func TestQuotedGoal(t *testing.T) {
	quoted := [2]time.Duration{time.Second, 2 * time.Second}
	for _, tc := range []struct {
		name        string
		kernia      time.Duration
		target      float64
		ratio, want string
	}{
		{"met even against the faster figure", 400 * time.Millisecond, 0.5, "0.20–0.40×", "met"},
		{"exactly the target against the faster figure", 500 * time.Millisecond, 0.5, "0.25–0.50×", "met"},
		{"not met even against the slower figure", 1100 * time.Millisecond, 0.5, "0.55–1.10×", "NOT met"},
		{"within the quoted range", 700 * time.Millisecond, 0.5, "0.35–0.70×", "undecided (within the quoted range)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := quotedGoal("x", tc.kernia, quoted, tc.target)
			if g.ratio != tc.ratio || g.verdict != tc.want {
				t.Errorf("quotedGoal(%v, %v, %.2f) = ratio %q verdict %q, want %q %q", tc.kernia, quoted, tc.target, g.ratio, g.verdict, tc.ratio, tc.want)
			}
		})
	}
}

func TestAppliedIn(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Duration
		ok   bool
	}{
		{"applied 20260101010000_kernia.sql: 2 statements in 19.92ms", 19920 * time.Microsecond, true},
		{"applied 20260101010001_kernia.sql: 1 statement in 1.2s", 1200 * time.Millisecond, true},
		{"2 files applied in 836.98ms: postgres://… is now at version 20260101010001", 0, false},
		{"nothing to apply: postgres://… is at version 1", 0, false},
		{"applied x.sql: 1 statement in soon", 0, false},
	} {
		got, ok := appliedIn(tc.line)
		if got != tc.want || ok != tc.ok {
			t.Errorf("appliedIn(%q) = %v, %v; want %v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTimeRotation(t *testing.T) {
	// Two steps, two rounds after a warm-up: each reset runs right before its step, the steps
	// alternate, and the warm-up round is not counted.
	var order []string
	step := func(name string, cpu time.Duration) loopStep {
		return loopStep{
			reset: func() error { order = append(order, "reset "+name); return nil },
			run:   func() (time.Duration, error) { order = append(order, name); return cpu, nil },
		}
	}
	wall, cpu, err := timeRotation(2, []loopStep{step("a", time.Second), step("b", 2*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"reset a", "a", "reset b", "b", "reset a", "a", "reset b", "b", "reset a", "a", "reset b", "b"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if len(wall[0]) != 2 || len(wall[1]) != 2 {
		t.Errorf("%d and %d wall samples, want 2 each", len(wall[0]), len(wall[1]))
	}
	if !slices.Equal(cpu[1], []time.Duration{2 * time.Second, 2 * time.Second}) {
		t.Errorf("cpu of b %v, want two 2s", cpu[1])
	}
}

func TestParseOnly(t *testing.T) {
	for _, tc := range []struct {
		only    string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"logins", []string{"logins"}, false},
		{"migrate, history", []string{"history", "migrate"}, false},
		{"migrate,histroy", nil, true},
	} {
		got, err := parseOnly(tc.only)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseOnly(%q) error %v, want error %v", tc.only, err, tc.wantErr)
			continue
		}
		var names []string
		for name := range got {
			names = append(names, name)
		}
		slices.Sort(names)
		if !slices.Equal(names, tc.want) {
			t.Errorf("parseOnly(%q) = %v, want %v", tc.only, names, tc.want)
		}
	}
}
