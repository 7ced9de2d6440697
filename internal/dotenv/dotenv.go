// Package dotenv reads the .env file at the root of the user's module into the environment
// without overriding variables that are already set, for the kernia command and the mage
// targets alike.
//
// The format is the common subset of the dotenv tools: KEY=value lines; blank lines and lines
// starting with # are ignored; an optional "export " prefix; values may be single-quoted
// (taken literally) or double-quoted (with \n, \t, \" and \\ escapes); an unquoted value ends
// at " #" (a comment) and is trimmed. There is no variable expansion.
package dotenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// FileName is the name of the file Load reads.
const FileName = ".env"

// Var is one assignment of a .env file.
type Var struct {
	Key, Value string
}

var keyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// Parse reads assignments from r in order. Errors name the line, never its value.
func Parse(r io.Reader) ([]Var, error) {
	var vars []Var
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !keyRE.MatchString(key) {
			return nil, fmt.Errorf("line %d: want KEY=value", n)
		}
		v, err := unquote(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %v", n, key, err)
		}
		vars = append(vars, Var{Key: key, Value: v})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return vars, nil
}

func unquote(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '\'', '"':
		end := closingQuote(v, q)
		if end < 0 {
			return "", errors.New("unterminated quoted value")
		}
		if rest := strings.TrimSpace(v[end+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", errors.New("text after the closing quote")
		}
		inner := v[1:end]
		if q == '\'' {
			return inner, nil
		}
		r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\"`, `"`, `\\`, `\`)
		return r.Replace(inner), nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

// closingQuote returns the index of the quote closing v[0], or -1.
func closingQuote(v string, q byte) int {
	for i := 1; i < len(v); i++ {
		switch {
		case v[i] == '\\' && q == '"':
			i++
		case v[i] == q:
			return i
		}
	}
	return -1
}

// Apply sets each variable that is not already set in the environment (an empty value counts
// as set) and returns the keys it set. A key given twice takes its last value.
func Apply(vars []Var) ([]string, error) {
	last := map[string]int{}
	for i, v := range vars {
		last[v.Key] = i
	}
	var set []string
	for i, v := range vars {
		if _, ok := os.LookupEnv(v.Key); ok || last[v.Key] != i {
			continue
		}
		if err := os.Setenv(v.Key, v.Value); err != nil {
			return set, fmt.Errorf("set %s: %w", v.Key, err)
		}
		set = append(set, v.Key)
	}
	return set, nil
}

// LoadFile applies the .env file at path. A missing file is not an error.
func LoadFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dotenv: %w", err)
	}
	vars, err := Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("dotenv: %s: %w", path, err)
	}
	return Apply(vars)
}

// Load applies the .env file at the root of the module containing dir (the nearest directory
// holding go.mod, dir included). Outside a module, or without a .env, it does nothing.
func Load(dir string) ([]string, error) {
	root, ok := ModuleRoot(dir)
	if !ok {
		return nil, nil
	}
	return LoadFile(filepath.Join(root, FileName))
}

// ModuleRoot returns the nearest directory at or above dir that holds go.mod.
func ModuleRoot(dir string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !st.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
