package reliability_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/moduletest"
)

// TestSecrets7_InfoStrictRefusesRepetitiveAndSequentialSecrets: in a module where generate has
// run, so that nothing else is a problem, `kernia info --strict` exits 0 with the suite's
// secret and with a fresh `kernia secret` key, and exits 1 listing the weak secret (never its
// value) for repetitive, sequential and keyboard-run secrets such as "abcd"×16.
func TestSecrets7_InfoStrictRefusesRepetitiveAndSequentialSecrets(t *testing.T) {
	dir := moduletest.New(t, "example.com/secrets", map[string]string{})
	expect(t, kerniaIn(t, dir, nil, "generate"), 0)

	res := kernia(t, "secret")
	expect(t, res, 0)
	m := regexp.MustCompile(`^KERNIA_SECRET=([0-9a-f]{64})\n$`).FindStringSubmatch(res.stdout)
	assert.Assert(t, m != nil, res.stdout)
	fresh := m[1]

	tests := []struct {
		name   string
		secret string // "" keeps the suite's secret
		weak   bool
	}{
		{name: "the suite's secret"},
		{name: "kernia secret output", secret: fresh},
		{name: "abcd×16", secret: strings.Repeat("abcd", 16), weak: true},
		{name: "0123456789abcdef×4", secret: strings.Repeat("0123456789abcdef", 4), weak: true},
		{name: "a×64", secret: strings.Repeat("a", 64), weak: true},
		{name: "keyboard runs", secret: "qwertyuiopasdfghjklzxcvbnm1234567890", weak: true},
		{name: "a period of 8 hex characters", secret: strings.Repeat(fresh[:8], 8), weak: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var extra []string
			if tc.secret != "" {
				extra = []string{"KERNIA_SECRETS=", "KERNIA_SECRET=" + tc.secret}
			}
			code, problem := 0, ""
			if tc.weak {
				code, problem = 1, "secret: the signing key in KERNIA_SECRET is weak"
			}
			res := kerniaIn(t, dir, extra, "info", "--strict")
			expect(t, res, code)
			if tc.weak {
				assert.Check(t, is.Contains(res.stderr, problem))
			} else {
				assert.Check(t, !strings.Contains(res.combined(), "is weak"), res.combined())
			}

			res = kerniaIn(t, dir, extra, "info", "--strict", "--json")
			expect(t, res, code)
			var info struct {
				Secret struct {
					Status, Strength string
				} `json:"secret"`
				Problems []string `json:"problems"`
			}
			assert.NilError(t, json.Unmarshal([]byte(res.stdout), &info), res.stdout)
			assert.Check(t, is.Equal(info.Secret.Status, "set"))
			if tc.weak {
				assert.Check(t, is.Equal(info.Secret.Strength, "weak"))
				// The weak secret is the only problem: it alone makes --strict fail.
				assert.Check(t, is.Len(info.Problems, 1), "%q", info.Problems)
				assert.Check(t, is.Contains(strings.Join(info.Problems, "\n"), problem))
			} else {
				assert.Check(t, is.Equal(info.Secret.Strength, "strong"))
				assert.Check(t, is.Len(info.Problems, 0), "%q", info.Problems)
			}
			if tc.secret != "" {
				assert.Check(t, !strings.Contains(res.combined(), tc.secret), "the secret is printed")
			}
		})
	}
}
