package report

import (
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/keyring"
)

// TestSecrets7_SecretStatusAndStrength: the info report rates the signing key with
// keyring.Strength: repetitive and sequential keys are weak and listed as a problem (so
// `info --strict` exits 1), a `kernia secret` key is strong; no problem or error holds a key.
func TestSecrets7_SecretStatusAndStrength(t *testing.T) {
	t.Chdir(t.TempDir())
	random, err := keyring.NewKey()
	assert.NilError(t, err)
	older, err := keyring.NewKey()
	assert.NilError(t, err)
	tests := []struct {
		name            string
		secrets, secret string
		status          string
		strength        string
		problem         string // "" means none
	}{
		{name: "kernia secret output", secret: random, status: "set", strength: "strong"},
		{name: "a ring of kernia secret keys", secrets: random + "," + older, status: "set", strength: "strong"},
		{name: "abcd×16", secret: strings.Repeat("abcd", 16), status: "set", strength: "weak", problem: "KERNIA_SECRET is weak"},
		{name: "0123456789abcdef×4", secret: strings.Repeat("0123456789abcdef", 4), status: "set", strength: "weak", problem: "is weak"},
		{name: "a×64", secret: strings.Repeat("a", 64), status: "set", strength: "weak", problem: "is weak"},
		{name: "ab×20", secret: strings.Repeat("ab", 20), status: "set", strength: "weak", problem: "is weak"},
		{name: "keyboard runs", secret: "qwertyuiopasdfghjklzxcvbnm1234567890", status: "set", strength: "weak", problem: "is weak"},
		{name: "a period of 8 hex characters", secret: strings.Repeat(random[:8], 8), status: "set", strength: "weak", problem: "is weak"},
		{name: "weak signing key of a ring", secrets: strings.Repeat("abcd", 16) + "," + random, status: "set", strength: "weak", problem: "KERNIA_SECRETS is weak"},
		{name: "a stray comma", secrets: random + ",", status: "invalid", problem: "key 2 is empty"},
		{name: "missing", status: "missing", problem: "neither KERNIA_SECRETS nor KERNIA_SECRET is set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KERNIA_SECRETS", tc.secrets)
			t.Setenv("KERNIA_SECRET", tc.secret)
			r := &Report{}
			r.secret(map[string]string{})
			assert.Check(t, is.Equal(r.Secret.Status, tc.status))
			assert.Check(t, is.Equal(r.Secret.Strength, tc.strength))
			p := strings.Join(r.Problems, "\n")
			if tc.problem == "" {
				assert.Check(t, is.Len(r.Problems, 0))
			} else {
				assert.Check(t, is.Contains(p, tc.problem))
			}
			if tc.strength == "weak" {
				assert.Check(t, is.Contains(p, "want at least 32 characters and 128 bits"))
				assert.Check(t, is.Contains(p, "kernia secret --rotate"))
			}
			for _, key := range strings.Split(tc.secrets+","+tc.secret, ",") {
				if len(key) >= 8 {
					assert.Check(t, !strings.Contains(p+r.Secret.Error, key[:8]), "a key is in %q", p+r.Secret.Error)
				}
			}
		})
	}
}
