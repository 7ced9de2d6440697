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
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kernia/kernia/internal/filekind"
	"github.com/kernia/kernia/internal/workdir"
)

// FileName is the name of the file Load reads.
const FileName = ".env"

// Var is one assignment of a .env file.
type Var struct {
	Key, Value string
}

// validKey reports whether k matches [A-Za-z_][A-Za-z0-9_.]*.
func validKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || i > 0 && ('0' <= c && c <= '9' || c == '.')) {
			return false
		}
	}
	return k != ""
}

// MaxSize bounds a .env file: larger files are refused, not truncated.
const MaxSize = 1 << 20

// ErrTooLarge is returned for input over MaxSize bytes.
var ErrTooLarge = fmt.Errorf("larger than %d bytes (1 MiB): a .env file holds a few settings; move large values elsewhere", MaxSize)

// Parse reads assignments from r in order. It reads at most MaxSize bytes (ErrTooLarge
// beyond) and works in time linear in the input, however long its lines. Errors name the
// line, never its value.
func Parse(r io.Reader) ([]Var, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, ErrTooLarge
	}
	var vars []Var
	rest := string(b)
	for n := 1; rest != ""; n++ {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimSpace(line)
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !validKey(key) {
			return nil, fmt.Errorf("line %d: want KEY=value", n)
		}
		v, err := unquote(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %v", n, key, err)
		}
		vars = append(vars, Var{Key: key, Value: v})
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

// LoadFile applies the .env file at path. A missing file is not an error; anything but a
// regular file of at most MaxSize bytes inside the directory holding path is (see ReadFile).
func LoadFile(path string) ([]string, error) {
	b, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	vars, err := Parse(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("dotenv: %s: %w", path, err)
	}
	return Apply(vars)
}

// ReadFile returns the content of the .env file at path, refusing (with an error naming the
// file and the rule) anything but a regular file: a directory, a named pipe (FIFO; reading
// one would block the command), a device or socket, a symbolic link that resolves outside
// the directory holding path (the module root), and a file over MaxSize bytes. It opens the
// file without blocking and checks what it opened, so a file swapped meanwhile cannot slip
// through. A missing file gives an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadFile(path string) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("dotenv: %w", err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		if err := checkLink(path); err != nil {
			return nil, err
		}
		if st, err = os.Stat(path); err != nil {
			return nil, fmt.Errorf("dotenv: %s is a symbolic link that does not resolve (%v): point it at a file inside the module, or remove it", path, err)
		}
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("dotenv: %w", err)
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("dotenv: %w", err)
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("dotenv: read %s: %w", path, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("dotenv: %s: %w", path, ErrTooLarge)
	}
	return b, nil
}

// regular refuses anything but a regular file, naming what path is.
func regular(path string, st fs.FileInfo) error {
	if st.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("dotenv: %s is %s: Kernia reads .env only from a regular file; replace it with one, or remove it", path, filekind.Of(st.Mode()))
}

// checkLink refuses a symbolic link at path that resolves outside the directory holding it.
func checkLink(path string) error {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	target, terr := filepath.EvalSymlinks(path)
	if err != nil || terr != nil {
		return fmt.Errorf("dotenv: %s is a symbolic link that does not resolve: point it at a file inside the module, or remove it", path)
	}
	rel, err := filepath.Rel(dir, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return fmt.Errorf("dotenv: %s is a symbolic link to %s, outside the module directory %s: Kernia reads .env only from inside the module; copy the file in instead", path, target, dir)
	}
	return nil
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

// ModuleRoot returns the nearest directory at or above dir that holds go.mod
// (workdir.ModuleRoot, the resolver every command uses).
func ModuleRoot(dir string) (string, bool) { return workdir.ModuleRoot(dir) }
