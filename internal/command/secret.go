package command

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kernia/kernia/keyring"
)

// SecretFlags are the flags of secret.
type SecretFlags struct {
	// Rotate prints a new ring: a fresh key in front of the current KERNIA_SECRETS (or
	// KERNIA_SECRET).
	Rotate bool
	JSON   bool
}

// Secret prints a fresh secret as one line, KERNIA_SECRET=<64 hex>, or with Rotate the new
// ring, KERNIA_SECRETS=<new>,<old...>. Only that line goes to Stdout; hints go to Stderr.
func Secret(f SecretFlags, io IO) error {
	key, err := keyring.NewKey()
	if err != nil {
		return err
	}
	name, value := keyring.EnvSecret, key
	if f.Rotate {
		ring, source, err := keyring.FromEnv()
		if errors.Is(err, keyring.ErrNoSecret) {
			return fmt.Errorf("secret --rotate: nothing to rotate: neither %s nor %s is set (in the environment or .env); run `kernia secret` for a first secret", keyring.EnvSecrets, keyring.EnvSecret)
		}
		if err != nil {
			return fmt.Errorf("secret --rotate: the current ring is invalid, fix it first: %w", err)
		}
		old := currentKeys(source)
		name, value = keyring.EnvSecrets, strings.Join(append([]string{key}, old...), ",")
		fmt.Fprintf(io.Stderr, "secret: new ring of %d keys: the new key signs, the %d current ones from %s still verify.\n", ring.Len()+1, ring.Len(), source)
		fmt.Fprintf(io.Stderr, "Set %s to this value where the application runs (and in .env)", keyring.EnvSecrets)
		if source == keyring.EnvSecret {
			fmt.Fprintf(io.Stderr, "; %s takes precedence over %s, which you can then remove", keyring.EnvSecrets, keyring.EnvSecret)
		}
		fmt.Fprintln(io.Stderr, ".\nDrop the last key once everything it signed (sessions, verification tokens) has expired.")
	} else {
		fmt.Fprintf(io.Stderr, "secret: 32 random bytes as hex. Put this line in .env (never committed) or the environment of the application.\nTo replace a secret in use without signing everyone out, run `kernia secret --rotate`.\n")
	}
	if f.JSON {
		return printJSON(io.Stdout, map[string]string{"name": name, "value": value})
	}
	_, err = fmt.Fprintf(io.Stdout, "%s=%s\n", name, value)
	return err
}

// currentKeys returns the keys of the ring variable source, trimmed, in order.
func currentKeys(source string) []string {
	var keys []string
	for _, k := range strings.Split(os.Getenv(source), ",") {
		keys = append(keys, strings.TrimSpace(k))
	}
	return keys
}
