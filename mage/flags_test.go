package mage

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/cli"
	"github.com/kernia/kernia/internal/redact"
)

// cliFlags returns the flags of the kernia command name as its --help lists them, in a flag
// set of the same kinds: a flag without a value name is a bool, "duration" a duration, any
// other a string.
func cliFlags(t *testing.T, name string) *flag.FlagSet {
	t.Helper()
	var stdout, stderr bytes.Buffer
	assert.Equal(t, cli.Main([]string{name, "--help"}, &stdout, &stderr), cli.ExitOK, stderr.String())
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, line := range strings.Split(stderr.String(), "\n") {
		if !strings.HasPrefix(line, "  --") {
			continue
		}
		f := strings.Fields(line)
		n := strings.TrimPrefix(f[0], "--")
		switch {
		case len(f) == 1:
			fs.Bool(n, false, "")
		case f[1] == "duration":
			fs.Duration(n, 0, "")
		default:
			fs.String(n, "", "")
		}
	}
	assert.Assert(t, fs.Lookup("json") != nil || name == "init", "no flags parsed from:\n%s", stderr.String())
	return fs
}

// TestEveryTargetFlagReachesTheCLI: each target, called with every flag set, starts the
// kernia command of the same name with each flag under the CLI's name and with the same
// value, which the CLI accepts (its own parser, up to --help); a target called with no flag
// passes none, so the CLI's defaults apply as on the command line.
func TestEveryTargetFlagReachesTheCLI(t *testing.T) {
	var got []string
	var gotInstance bool
	start = func(_ context.Context, _ string, needInstance bool, args []string, _ *redact.Outputs) (int, error) {
		got, gotInstance = args, needInstance
		return 0, nil
	}
	t.Cleanup(func() { start = runTool })
	ctx := context.Background()
	s := func(v string) *string { return &v }
	d := func(v time.Duration) *time.Duration { return &v }
	yes := func() *bool { v := true; return &v }
	no := func() *bool { v := false; return &v }
	for _, tc := range []struct {
		command   string
		instance  bool
		all, none func() error
		want      map[string]string
	}{
		{"generate", true,
			func() error { return Generate(ctx, s("add_teams"), yes(), no(), yes(), yes(), s("goose")) },
			func() error { return Generate(ctx, nil, nil, nil, nil, nil, nil) },
			map[string]string{"name": "add_teams", "dry-run": "true", "check": "false", "allow-destructive": "true", "json": "true", "format": "goose"}},
		{"migrate", true,
			func() error {
				return Migrate(ctx, s("db/m"), s("postgres://u:p@127.0.0.1/x"), yes(), d(1500*time.Millisecond), s("20260101000001"), yes(), yes(), d(3*time.Second), d(2*time.Minute))
			},
			func() error { return Migrate(ctx, nil, nil, nil, nil, nil, nil, nil, nil, nil) },
			map[string]string{"dir": "db/m", "url": "postgres://u:p@127.0.0.1/x", "dry-run": "true", "lock-timeout": "1.5s", "baseline": "20260101000001", "allow-out-of-order": "true", "json": "true", "connect-timeout": "3s", "ddl-lock-timeout": "2m0s"}},
		{"adopt", true,
			func() error {
				return Adopt(ctx, s("d"), s("sqlite://a b.db"), yes(), d(time.Second), yes(), d(4*time.Second), d(5*time.Millisecond))
			},
			func() error { return Adopt(ctx, nil, nil, nil, nil, nil, nil, nil) },
			map[string]string{"dir": "d", "url": "sqlite://a b.db", "dry-run": "true", "lock-timeout": "1s", "json": "true", "connect-timeout": "4s", "ddl-lock-timeout": "5ms"}},
		{"status", true,
			func() error { return Status(ctx, s("d=x"), s("sqlite://s.db"), yes(), d(time.Minute)) },
			func() error { return Status(ctx, nil, nil, nil, nil) },
			map[string]string{"dir": "d=x", "url": "sqlite://s.db", "json": "true", "connect-timeout": "1m0s"}},
		{"hash", true,
			func() error { return Hash(ctx, s("--dir"), yes()) },
			func() error { return Hash(ctx, nil, nil) },
			map[string]string{"dir": "--dir", "json": "true"}},
		{"init", false,
			func() error {
				return Init(ctx, s("two-factor,organization"), s("postgres://k:pw@127.0.0.1/shop"), s("sub dir"), yes())
			},
			func() error { return Init(ctx, nil, nil, nil, nil) },
			map[string]string{"plugins": "two-factor,organization", "database-url": "postgres://k:pw@127.0.0.1/shop", "dir": "sub dir", "print": "true"}},
		{"secret", false,
			func() error { return Secret(ctx, yes(), yes()) },
			func() error { return Secret(ctx, nil, nil) },
			map[string]string{"rotate": "true", "json": "true"}},
		{"info", true,
			func() error { return Info(ctx, yes(), yes()) },
			func() error { return Info(ctx, nil, nil) },
			map[string]string{"json": "true", "strict": "true"}},
		{"check", true,
			func() error { return Check(ctx, yes()) },
			func() error { return Check(ctx, nil) },
			map[string]string{"json": "true"}},
	} {
		t.Run(tc.command, func(t *testing.T) {
			assert.NilError(t, tc.all())
			assert.Assert(t, len(got) > 0)
			assert.Check(t, is.Equal(got[0], tc.command))
			assert.Check(t, is.Equal(gotInstance, tc.instance))
			// The CLI's own parser accepts every flag and value (parsing stops at --help).
			var stdout, stderr bytes.Buffer
			assert.Check(t, is.Equal(cli.Main(append(append([]string{}, got...), "--help"), &stdout, &stderr), cli.ExitOK), stderr.String())
			fs := cliFlags(t, tc.command)
			assert.NilError(t, fs.Parse(got[1:]))
			assert.Check(t, is.Len(fs.Args(), 0))
			seen := map[string]string{}
			fs.Visit(func(f *flag.Flag) { seen[f.Name] = f.Value.String() })
			assert.Check(t, is.DeepEqual(seen, tc.want))

			assert.NilError(t, tc.none())
			assert.Check(t, is.DeepEqual(got, []string{tc.command}))
		})
	}
}
