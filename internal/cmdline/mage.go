package cmdline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/redact"
	"github.com/kernia/kernia/internal/spec"
)

// maxConfig bounds the configuration a Mage target may hand over, as a loader program's.
const maxConfig = 256 << 20

// fromMage runs args (a command and its flags) against the configuration a Mage target of the
// module wrote into the pipe it passed as file descriptor 3 (standard input on Windows, which
// cannot pass one): the target resolved the magefile's instance in its own process with
// spec.Encode, as a loader program does, and this process does the work, as after a loader
// program. The configuration goes through spec.Decode, the checks a loader program's gets
// (its format, the instance's name, the versions of Kernia and Ent both binaries were built
// with, every value that reaches rendered source), so nothing handed over this way can do
// what a loader program could not. The rest is the ordinary command line: flags, the module
// root, .env, redaction (by the decoded options' values too), exit statuses, the --json error
// object.
func fromMage(cmds []Cmd, args []string, stdout, stderr io.Writer) int {
	in, where := os.Stdin, "standard input"
	if runtime.GOOS != "windows" {
		in, where = os.NewFile(3, "kernia configuration"), "file descriptor 3"
	}
	b, err := readConfig(in)
	if in != os.Stdin {
		in.Close()
	}
	if err == nil {
		auth, derr := spec.Decode(b, spec.MageApp)
		if derr == nil {
			return run(cmds, auth, spec.MageApp, args, stdout, stderr)
		}
		err = derr
	}
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	out := redact.NewOutputs(name, nil, args, stdout, stderr)
	defer out.Flush()
	msg := fmt.Sprintf("kernia: the configuration of the magefile's auth instance on %s: %v (%s is for the Mage targets of github.com/kernia/kernia/mage; run go tool kernia <command>)", where, err, spec.MageArg)
	fmt.Fprintln(out.Stderr, msg)
	if wantsJSON(args) {
		_ = command.WriteJSON(out.Stdout, command.ErrorObject(strings.TrimPrefix(msg, "kernia: "), ExitFailure))
	}
	return ExitFailure
}

// readConfig reads the whole configuration from f, a pipe, at most maxConfig bytes.
func readConfig(f *os.File) ([]byte, error) {
	// Started by hand, the process may hold anything at descriptor 3 (or nothing, or a file
	// of its own runtime): read only a pipe, as the targets pass.
	if st, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("not the pipe a Mage target passes: %w", err)
	} else if runtime.GOOS != "windows" && st.Mode()&os.ModeNamedPipe == 0 {
		return nil, errors.New("not the pipe a Mage target passes")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxConfig+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read: %w", err)
	case len(b) > maxConfig:
		return nil, fmt.Errorf("the configuration is over %d bytes", maxConfig)
	case len(b) == 0:
		return nil, fmt.Errorf("no configuration")
	}
	return b, nil
}
