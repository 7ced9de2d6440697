package e2e_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/icmd"

	"github.com/kernia/kernia/internal/moduletest"
)

// json12Auth is the auth module of the JSON shape test: SQLite, committed.
const json12Auth = `package auth

import "github.com/kernia/kernia"

var Auth = kernia.New(kernia.Options{AppName: "shop", Dialects: []string{kernia.SQLite}})
`

// json12Drift is the same module with a plugin more: generate --check and check fail.
const json12Drift = `package auth

import (
	"github.com/kernia/kernia"
	"github.com/kernia/kernia/plugins/username"
)

var Auth = kernia.New(kernia.Options{AppName: "shop", Dialects: []string{kernia.SQLite}, Plugins: []kernia.Plugin{username.New()}})
`

// kindOf names the JSON kind of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}

// shape is the members of a JSON object and their kinds.
type shape map[string]string

// checkShape checks that obj has exactly the members of want, each of its kind.
func checkShape(t *testing.T, what string, obj map[string]any, want shape) {
	t.Helper()
	var got, exp []string
	for k, v := range obj {
		got = append(got, k+":"+kindOf(v))
	}
	for k, v := range want {
		exp = append(exp, k+":"+v)
	}
	slices.Sort(got)
	slices.Sort(exp)
	assert.Check(t, is.DeepEqual(got, exp), what)
}

// object decodes stdout as one JSON object (and nothing else).
func object(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var obj map[string]any
	assert.NilError(t, dec.Decode(&obj), "stdout is not one JSON object:\n%s", stdout)
	assert.Check(t, !dec.More(), "more than one JSON value on stdout:\n%s", stdout)
	return obj
}

func first(t *testing.T, obj map[string]any, key string) map[string]any {
	t.Helper()
	arr, ok := obj[key].([]any)
	assert.Assert(t, ok && len(arr) > 0, "%s is not a non-empty list: %v", key, obj[key])
	m, ok := arr[0].(map[string]any)
	assert.Assert(t, ok, "%s[0] is not an object", key)
	return m
}

var errorShape = shape{"message": "string", "exit_code": "number"}

// TestJSON12_EveryCommandsShapes: every command with --json prints one JSON object on stdout,
// of the documented shape, on success and on failure: lists are [], unknown values null, and a
// failure's object has an "error" member {message, exit_code} whose exit_code is the exit
// status, beside the command's data when it has some (generate --check's drift, info --strict's
// report, check's both) and alone otherwise (bad usage, a loader that cannot be built, a
// database that cannot be reached); Mage's targets the same. Ctrl-C during a migration ends in
// exit 130 and an error object, never a success-shaped one.
func TestJSON12_EveryCommandsShapes(t *testing.T) {
	dir := moduletest.New(t, "example.com/shop", map[string]string{"auth/auth.go": json12Auth, "magefile.go": moduletest.Magefile})
	// The kernia steps start the binary go tool kernia runs, without the go command's
	// staleness check of the whole tool around each; the interrupted migrate at the end goes
	// through go tool kernia, as a terminal's Ctrl-C does.
	kerniaBin := moduletest.Tool(t, dir, "kernia")
	secret := "9f1c2e7a4b6d8f0a3c5e7b9d1f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a"
	env := userEnv("KERNIA_SECRET="+secret, "KERNIA_DATABASE_URL=sqlite://app.db")
	noSecret := userEnv("KERNIA_DATABASE_URL=sqlite://app.db")
	weak := userEnv("KERNIA_SECRET=short", "KERNIA_DATABASE_URL=sqlite://app.db")
	down := "postgres://nobody@127.0.0.1:1/none?sslmode=disable"

	versionShape := shape{"version": "string", "go_version": "string", "module_path": "string"}
	generateShape := shape{"changed": "array", "migrations": "array", "written": "bool", "cached": "bool"}
	infoShape := shape{"versions": "object", "app": "object", "adapter": "object", "secret": "object", "plugins": "array",
		"contributors": "array", "schema": "object", "migrations": "array", "problems": "array", "warnings": "array"}
	statusShape := shape{"database": "string", "dialect": "string", "dir": "string", "current_version": "string",
		"applied": "array", "pending": "array", "last_failure": "null", "problems": "array"}
	adoptShape := shape{"database": "string", "dialect": "string", "dir": "string", "baseline": "string", "baseline_name": "string",
		"history_table": "string", "differences": "array", "statements": "array", "recorded": "bool", "dry_run": "bool"}
	only := func(s shape) shape {
		out := shape{"error": "object"}
		for k, v := range s {
			out[k] = v
		}
		return out
	}

	steps := []struct {
		name  string
		mage  bool // go tool mage instead of the kernia tool binary
		args  []string
		env   []string
		edit  string // auth/auth.go before the run
		code  int
		want  shape
		check func(t *testing.T, obj map[string]any)
	}{
		{name: "version", args: []string{"version", "--json"}, want: versionShape},
		{name: "version, bad usage", args: []string{"version", "--json", "--frob"}, code: 2, want: only(nil)},
		{name: "secret", args: []string{"secret", "--json"}, want: shape{"name": "string", "value": "string"}},
		{name: "secret --rotate without a ring", args: []string{"secret", "--rotate", "--json"}, env: noSecret, code: 1, want: only(nil)},
		{name: "generate", args: []string{"generate", "--json"}, want: generateShape, check: func(t *testing.T, obj map[string]any) {
			checkShape(t, "migrations[0]", first(t, obj, "migrations"), shape{"dialect": "string", "path": "string", "sql": "string", "destructive": "array", "warnings": "array"})
			assert.Check(t, obj["written"] == true)
		}},
		{name: "generate again: nothing changed", args: []string{"generate", "--json"}, want: generateShape, check: func(t *testing.T, obj map[string]any) {
			assert.Check(t, is.Len(obj["changed"], 0))
			assert.Check(t, is.Len(obj["migrations"], 0))
		}},
		{name: "generate, bad usage", args: []string{"generate", "--json", "--dry-run", "--check"}, code: 2, want: only(nil)},
		{name: "hash", args: []string{"hash", "--json"}, want: shape{"written": "array"}, check: func(t *testing.T, obj map[string]any) {
			checkShape(t, "written[0]", first(t, obj, "written"), shape{"dir": "string", "sum": "string", "files": "number"})
		}},
		{name: "hash, a missing directory", args: []string{"hash", "--json", "--dir", "nope"}, code: 1, want: only(nil)},
		{name: "migrate --dry-run", args: []string{"migrate", "--json", "--dry-run"}, want: shape{"dialect": "string", "from": "null", "to": "string", "baseline": "null", "applied": "array", "pending": "array", "dry_run": "bool"}, check: func(t *testing.T, obj map[string]any) {
			checkShape(t, "pending[0]", first(t, obj, "pending"), shape{"version": "string", "description": "string", "name": "string", "statements": "number", "duration_ns": "null"})
		}},
		{name: "migrate", args: []string{"migrate", "--json"}, want: shape{"dialect": "string", "from": "null", "to": "string", "baseline": "null", "applied": "array", "pending": "array", "dry_run": "bool"}, check: func(t *testing.T, obj map[string]any) {
			checkShape(t, "applied[0]", first(t, obj, "applied"), shape{"version": "string", "description": "string", "name": "string", "statements": "number", "duration_ns": "number"})
		}},
		{name: "migrate, the database down", args: []string{"migrate", "--json", "--url", down}, code: 1, want: only(nil)},
		{name: "status", args: []string{"status", "--json"}, want: statusShape, check: func(t *testing.T, obj map[string]any) {
			checkShape(t, "applied[0]", first(t, obj, "applied"), shape{"version": "string", "description": "string", "name": "string", "type": "string", "applied_at": "string", "statements": "number", "duration_ns": "number"})
		}},
		{name: "adopt, a database with history", args: []string{"adopt", "--json"}, code: 1, want: only(adoptShape), check: func(t *testing.T, obj map[string]any) {
			assert.Check(t, is.Contains(obj["error"].(map[string]any)["message"], "already has a migration history"))
			assert.Check(t, obj["recorded"] == false)
		}},
		{name: "mage adopt, the database down", mage: true, args: []string{"adopt", "-json", "-url=" + down}, code: 1, want: only(nil)},
		{name: "status, the database down", args: []string{"status", "--json", "--url", down}, code: 1, want: only(nil)},
		{name: "status, bad usage", args: []string{"status", "--json", "--frob"}, code: 2, want: only(nil)},
		{name: "an unknown command", args: []string{"frob", "--json"}, code: 2, want: only(nil)},
		{name: "info", args: []string{"info", "--json"}, want: infoShape, check: func(t *testing.T, obj map[string]any) {
			checkShape(t, "adapter", obj["adapter"].(map[string]any), shape{"dialect": "string", "driver": "string", "database_url": "string", "source": "string",
				"dialects": "array", "dev_urls": "array", "dev_source": "null", "reachable": "bool", "error": "null", "applied": "number", "pending": "number"})
			checkShape(t, "secret", obj["secret"].(map[string]any), shape{"status": "string", "source": "string", "keys": "number", "length": "number", "strength": "string", "error": "null"})
			checkShape(t, "schema", obj["schema"].(map[string]any), shape{"dir": "string", "up_to_date": "bool", "changed": "array"})
			checkShape(t, "migrations[0]", first(t, obj, "migrations"), shape{"dialect": "string", "dir": "string", "exists": "bool", "files": "number", "checksum_ok": "bool", "error": "null"})
			checkShape(t, "contributors[0].columns[0]", first(t, first(t, obj, "contributors"), "columns"), shape{"name": "string", "field": "null", "contributor": "string"})
			assert.Check(t, is.Len(obj["problems"], 0))
		}},
		{name: "info --strict, a missing secret", args: []string{"info", "--json", "--strict"}, env: noSecret, code: 1, want: only(infoShape), check: func(t *testing.T, obj map[string]any) {
			checkShape(t, "secret", obj["secret"].(map[string]any), shape{"status": "string", "source": "null", "keys": "null", "length": "null", "strength": "null", "error": "null"})
		}},
		{name: "info --strict, a weak secret", args: []string{"info", "--json", "--strict"}, env: weak, code: 1, want: only(infoShape)},
		{name: "info, a loader that cannot be built", args: []string{"info", "--json", "--app", "./nope:Auth"}, code: 1, want: only(nil), check: func(t *testing.T, obj map[string]any) {
			assert.Check(t, is.Contains(obj["error"].(map[string]any)["message"], "does not exist"))
		}},
		{name: "check", args: []string{"check", "--json"}, want: shape{"generate": "object", "info": "object", "ok": "bool"}, check: func(t *testing.T, obj map[string]any) {
			assert.Check(t, obj["ok"] == true)
			checkShape(t, "generate", obj["generate"].(map[string]any), generateShape)
		}},
		{name: "mage info", mage: true, args: []string{"info", "-json"}, want: infoShape},
		{name: "mage status, the database down", mage: true, args: []string{"status", "-json", "-url=" + down}, code: 1, want: only(nil)},
		{name: "generate --check, drift", edit: json12Drift, args: []string{"generate", "--json", "--check"}, code: 1, want: only(generateShape), check: func(t *testing.T, obj map[string]any) {
			assert.Check(t, len(obj["changed"].([]any)) > 0)
		}},
		{name: "check, drift", args: []string{"check", "--json"}, code: 1, want: only(shape{"generate": "object", "info": "object", "ok": "bool"}), check: func(t *testing.T, obj map[string]any) {
			assert.Check(t, obj["ok"] == false)
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.edit != "" {
				assert.NilError(t, os.WriteFile(filepath.Join(dir, "auth/auth.go"), []byte(st.edit), 0o644))
			}
			e := env
			if st.env != nil {
				e = st.env
			}
			cmd := icmd.Command(kerniaBin, st.args...)
			if st.mage {
				cmd = icmd.Command("go", append([]string{"tool", "mage"}, st.args...)...)
			}
			res := icmd.RunCmd(cmd, icmd.Dir(dir), icmd.WithEnv(e...))
			assert.Equal(t, res.ExitCode, st.code, "stdout:\n%s\nstderr:\n%s", res.Stdout(), res.Stderr())
			obj := object(t, res.Stdout())
			checkShape(t, "the object", obj, st.want)
			if st.code != 0 {
				e, _ := obj["error"].(map[string]any)
				checkShape(t, "error", e, errorShape)
				assert.Check(t, is.Equal(e["exit_code"], float64(st.code)))
				assert.Check(t, e["message"] != "")
			}
			assert.Check(t, !strings.Contains(res.Stdout(), secret), "the secret on stdout")
			assert.Check(t, !strings.Contains(res.Stderr(), "… "), "progress lines on a pipe without KERNIA_PROGRESS:\n%s", res.Stderr())
			if st.check != nil {
				st.check(t, obj)
			}
		})
	}

	// Ctrl-C while a long migration file runs (its progress line, asked for with
	// KERNIA_PROGRESS=1, says it is running): exit 130 and an error object, with what the run
	// did before (nothing applied).
	t.Run("migrate, interrupted", func(t *testing.T) {
		mig := filepath.Join(dir, "ent/migrate/migrations/sqlite")
		slow := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c;\n"
		assert.NilError(t, os.WriteFile(filepath.Join(mig, "20991231000000_slow.sql"), []byte(slow), 0o644))
		icmd.RunCmd(icmd.Command("go", "tool", "kernia", "hash"), icmd.Dir(dir), icmd.WithEnv(env...)).Assert(t, icmd.Success)
		cmd := exec.Command("go", "tool", "kernia", "migrate", "--json")
		cmd.Dir, cmd.Env = dir, append(slices.Clone(env), "KERNIA_PROGRESS=1")
		var stdout, stderr lockedBuffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		assert.NilError(t, cmd.Start())
		deadline := time.Now().Add(2 * time.Minute)
		for !strings.Contains(stderr.String(), "applying the first pending file of ent/migrate/migrations/sqlite… ") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		assert.Assert(t, is.Contains(stderr.String(), "applying the first pending file"), "no progress line")
		assert.NilError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)) // the terminal's Ctrl-C: the whole group
		err := cmd.Wait()
		var exit *exec.ExitError
		assert.Assert(t, errors.As(err, &exit), "%v\n%s", err, stderr.String())
		assert.Check(t, is.Equal(exit.ExitCode(), 130), stderr.String())
		obj := object(t, stdout.String())
		e, ok := obj["error"].(map[string]any)
		assert.Assert(t, ok, "no error object after an interrupt:\n%s", stdout.String())
		checkShape(t, "error", e, errorShape)
		assert.Check(t, is.Equal(e["exit_code"], float64(130)))
		assert.Check(t, is.Contains(e["message"], "SIGINT"))
		if applied, ok := obj["applied"]; ok {
			assert.Check(t, is.Len(applied, 0))
			assert.Check(t, obj["pending"] == nil, "a failed run's pending is not known")
		}
	})
}

// lockedBuffer is a bytes.Buffer a test reads while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
