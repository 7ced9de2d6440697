package cli

import (
	"fmt"
	"net/url"
	"os"
	"runtime/debug"
	"strings"

	"github.com/kernia/kernia"
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

// minSecretLen is the shortest value redacted by value: shorter ones would blank out ordinary
// words. Database URLs are also redacted by form where errors are built.
const minSecretLen = 4

// secrets returns the values an error must never show: KERNIA_SECRET, every key of
// KERNIA_SECRETS, and the passwords of the database URLs the command may use (environment,
// options and --url/--dev-url arguments), both as written and decoded.
func secrets(auth *kernia.Auth, args []string) []string {
	out := []string{os.Getenv(kernia.EnvSecret)}
	out = append(out, strings.Split(os.Getenv(kernia.EnvSecrets), ",")...)
	urls := []string{os.Getenv(kernia.EnvDatabaseURL), os.Getenv(kernia.EnvDevURL)}
	if auth != nil {
		o := auth.Options()
		urls = append(urls, o.DatabaseURL, o.DevURL)
	}
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "url" && name != "dev-url" {
			continue
		}
		if hasValue {
			urls = append(urls, value)
		} else if i+1 < len(args) {
			urls = append(urls, args[i+1])
		}
	}
	for _, u := range urls {
		out = append(out, passwords(u)...)
	}
	return out
}

// passwords returns the password of a URL as written and decoded.
func passwords(raw string) []string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return nil
	}
	rest := raw[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return nil
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok {
		return nil
	}
	out := []string{pw}
	if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
		out = append(out, dec)
	}
	return out
}

// redact replaces every secret value in s.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if v = strings.TrimSpace(v); len(v) >= minSecretLen {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
