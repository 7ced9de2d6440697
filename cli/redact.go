package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// runSafely runs a command, turning a panic into an error that carries the panic's value and
// stack, so a bug is reported like any failure, with the same redaction.
func runSafely(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("internal error (a bug in kernia or a plugin; please report it with this message): %v\n%s", v, debug.Stack())
		}
	}()
	return f()
}

// redact removes secrets from an error before it is printed: passwords of database URLs (by
// form), and the values of KERNIA_SECRET and KERNIA_SECRETS wherever they appear (by value).
func redact(s string) string {
	s = database.Redact(s)
	var values []string
	values = append(values, os.Getenv(kernia.EnvSecret))
	values = append(values, strings.Split(os.Getenv(kernia.EnvSecrets), ",")...)
	for _, v := range values {
		if v = strings.TrimSpace(v); len(v) >= 8 {
			s = strings.ReplaceAll(s, v, "[secret]")
		}
	}
	return s
}
