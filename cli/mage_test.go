package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/spec"
)

// envHelper makes the test binary the kernia command (Main over its arguments).
const envHelper = "KERNIA_CLI_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(envHelper) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestFromMage runs the command line as a Mage target starts it (spec.MageArg, the
// configuration on file descriptor 3), in a directory outside any module: the configuration
// of the target's instance runs the command; anything else spec.Decode refuses (another
// instance's, other versions', one that would change rendered source, not JSON, nothing, no descriptor at all) fails with exit 1
// before any command runs, saying why, with the JSON error object under --json; no output
// holds the options' password.
func TestFromMage(t *testing.T) {
	const password = "Pw-x9Secret"
	auth := kernia.New(kernia.Options{AppName: "fdshop", DatabaseURL: "postgres://u:" + password + "@127.0.0.1:1/db?sslmode=disable"})
	good, err := spec.Encode(auth, spec.MageApp)
	assert.NilError(t, err)
	other, err := spec.Encode(auth, "example.com/shop/auth:Auth")
	assert.NilError(t, err)
	var c map[string]any
	assert.NilError(t, json.Unmarshal(good, &c))
	c["versions"] = map[string]any{"kernia": "v9.9.9", "ent": "v0.14.5"}
	versions, err := json.Marshal(c)
	assert.NilError(t, err)
	// An entity whose name would put a function into the rendered schema package.
	assert.NilError(t, json.Unmarshal(good, &c))
	c["plan"].(map[string]any)["entities"].([]any)[0].(map[string]any)["name"] = "User struct{}\nfunc init() { panic(1) }\ntype X"
	source, err := json.Marshal(c)
	assert.NilError(t, err)
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		config []byte // nil: no descriptor 3
		args   []string
		code   int
		want   string // on stderr
		stdout string
	}{
		{"the target's configuration", good, []string{"info", "--json"}, 0, "", `"name": "fdshop"`},
		{"another instance's", other, []string{"info"}, 1, `it is the configuration of "example.com/shop/auth:Auth", not of "` + spec.MageApp + `"`, ""},
		{"other versions'", versions, []string{"info"}, 1, "the loader program was built with Kernia v9.9.9", ""},
		{"rendered source changed", source, []string{"generate", "--dry-run"}, 1, "invalid loader configuration: plan: ", ""},
		{"not JSON", []byte("{"), []string{"info", "--json"}, 1, "invalid loader configuration", `"exit_code": 1`},
		{"empty", []byte{}, []string{"generate"}, 1, "no configuration", ""},
		{"no descriptor", nil, []string{"status"}, 1, "on file descriptor 3: not the pipe a Mage target passes", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], append([]string{spec.MageArg}, tc.args...)...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), envHelper+"=1", "KERNIA_DATABASE_URL=", "KERNIA_SECRET=", "KERNIA_SECRETS=", "KERNIA_DEV_URL=")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if tc.config != nil {
				r, w, err := os.Pipe()
				assert.NilError(t, err)
				cmd.ExtraFiles = []*os.File{r}
				assert.NilError(t, cmd.Start())
				r.Close()
				_, err = w.Write(tc.config)
				assert.NilError(t, err)
				w.Close()
				_ = cmd.Wait() // the exit status is checked below
			} else {
				_ = cmd.Run()
			}
			assert.Check(t, is.Equal(cmd.ProcessState.ExitCode(), tc.code), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			assert.Check(t, is.Contains(stderr.String(), tc.want))
			assert.Check(t, is.Contains(stdout.String(), tc.stdout))
			if tc.want != "" {
				assert.Check(t, is.Contains(stderr.String(), spec.MageArg+" is for the Mage targets"))
			}
			assert.Check(t, !strings.Contains(stdout.String()+stderr.String(), password), "the password in the output:\n%s\n%s", stdout.String(), stderr.String())
		})
	}
}
