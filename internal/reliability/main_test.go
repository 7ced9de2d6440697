package reliability_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// kerniaBin is the kernia command under test, built once by TestMain from a temporary module
// that depends on this checkout, as a user's module does.
var kerniaBin string

// mainGo is the temporary module's command: the kernia CLI over a default instance (SQLite,
// core tables), as the loader program runs it.
const mainGo = `package main

import (
	"os"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/cli"
)

// exploding is a plugin with a bug: it panics with the database URL and the secret in the
// panic's message.
type exploding struct{ kernia.BasePlugin }

func (exploding) ID() string { return "exploding" }

func (exploding) Entities() []kernia.Entity {
	panic("exploding plugin: url " + os.Getenv("KERNIA_DATABASE_URL") + " secret " + os.Getenv("KERNIA_SECRET"))
}

func main() {
	var opts kernia.Options
	if os.Getenv("RELIABILITY_EXPLODING_PLUGIN") != "" {
		opts.Plugins = []kernia.Plugin{exploding{}}
	}
	os.Exit(cli.RunWith(kernia.New(opts), "example.com/reliability:Auth", os.Args[1:], os.Stdout, os.Stderr))
}
`

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kernia-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if kerniaBin, err = build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "reliability: build the kernia command:", err)
		return 1
	}
	if err := calibrate(); err != nil {
		fmt.Fprintln(os.Stderr, "reliability: calibrate SQLite:", err)
		return 1
	}
	return m.Run()
}

// build writes the temporary module into dir and builds its command.
func build(dir string) (string, error) {
	root, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	ours, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	mf, err := modfile.Parse("go.mod", ours, nil)
	if err != nil {
		return "", err
	}
	if mf.Module.Mod.Path != "github.com/kernia/kernia" {
		return "", fmt.Errorf("%s is not the kernia checkout", root)
	}
	var b strings.Builder
	b.WriteString("module example.com/reliability\n\ngo " + mf.Go.Version + "\n\nrequire (\n\tgithub.com/kernia/kernia v0.0.0\n")
	for _, r := range mf.Require {
		b.WriteString("\t" + r.Mod.Path + " " + r.Mod.Version + "\n")
	}
	b.WriteString(")\n\nreplace github.com/kernia/kernia => " + root + "\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return "", err
	}
	for name, content := range map[string]string{"go.mod": b.String(), "go.sum": string(sum), "main.go": mainGo} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	// Readable by every user: one check runs the command as an unprivileged user.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kernia")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, out)
	}
	return bin, nil
}
