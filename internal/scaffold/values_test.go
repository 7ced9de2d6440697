package scaffold

import (
	"bytes"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia/internal/dotenv"
)

func TestCheckValueRefusesControlCharacters(t *testing.T) {
	for _, v := range []string{
		"sqlite://a.db\nKERNIA_SECRET=0000",
		"sqlite://a.db\rKERNIA_SECRET=0000",
		"sqlite://a.db\x00",
		"sqlite://a.db\x7f",
		"sqlite://a.db\u0085",
		"sqlite://a.db\u2028x",
		"sqlite://a.db\u202ex",
		"sqlite://a.db\u200bx",
		"sqlite://a.db\t",
		"sqlite://\xffa.db",
	} {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			err := CheckValue("--database-url", v)
			assert.Check(t, err != nil)
			if err != nil {
				assert.Check(t, is.Contains(err.Error(), "--database-url"))
				assert.Check(t, !strings.Contains(err.Error(), "a.db"), "the error shows the value: %v", err)
			}
		})
	}
	assert.NilError(t, CheckValue("--database-url", "postgres://u:p%0Aq@h:5432/d?sslmode=disable&x=é"))
}

// TestEnvValuesReadBackExactly: whatever init writes into .env, dotenv reads back unchanged.
func TestEnvValuesReadBackExactly(t *testing.T) {
	for _, v := range []string{
		"", "sqlite://kernia.db", "postgres://u:p@h:5432/d?sslmode=disable&a=b",
		"sqlite://my file.db", "sqlite://a.db #not a comment", " lead", "trail ",
		`it's`, `say "hi"`, `a\b`, `it's "both" \n`, `'`, `"`, "#", "$HOME", "${X}", "`id`",
		"a=b", "export x", "é ü 漢",
	} {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			line := "K=" + envValue(v) + "\n"
			vars, err := dotenv.Parse(strings.NewReader(line))
			assert.NilError(t, err, line)
			assert.DeepEqual(t, vars, []dotenv.Var{{Key: "K", Value: v}})
		})
	}
}

// TestFilesQuoteEveryValue: the rendered .env files hold exactly the values given, one per
// line, and the Go files parse with the module path only inside string literals.
func TestFilesQuoteEveryValue(t *testing.T) {
	o := Options{
		ModulePath:  "example.com/shop-v2",
		DatabaseURL: "postgres://app:p%27w@127.0.0.1:5432/shop?sslmode=disable&application_name=a b",
		BaseURL:     "http://localhost:3000/#x",
		Secret:      strings.Repeat("ab12", 16),
	}
	fs, err := Files(o, nil)
	assert.NilError(t, err)
	for _, f := range fs {
		switch f.Path {
		case Env:
			vars, err := dotenv.Parse(bytes.NewReader(f.Content))
			assert.NilError(t, err)
			got := map[string]string{}
			for _, v := range vars {
				got[v.Key] = v.Value
			}
			assert.DeepEqual(t, got, map[string]string{"KERNIA_SECRET": o.Secret, "KERNIA_URL": o.BaseURL, "KERNIA_DATABASE_URL": o.DatabaseURL})
		case AuthFile, Magefile:
			_, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Content, 0)
			assert.NilError(t, err, string(f.Content))
		}
	}
	for _, bad := range []Options{
		{ModulePath: `example.com/x"y`, DatabaseURL: "sqlite://a.db", BaseURL: "http://x", Secret: "s"},
		{ModulePath: "example.com/x\n", DatabaseURL: "sqlite://a.db", BaseURL: "http://x", Secret: "s"},
		{ModulePath: "example.com/x", DatabaseURL: "sqlite://a.db\nKERNIA_SECRET=1", BaseURL: "http://x", Secret: "s"},
		{ModulePath: "example.com/x", DatabaseURL: "sqlite://a.db", BaseURL: "http://x\nKERNIA_SECRET=1", Secret: "s"},
	} {
		_, err := Files(bad, nil)
		assert.Check(t, err != nil, "Files(%+v) accepted", bad)
	}
}
