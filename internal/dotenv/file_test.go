package dotenv

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestReadFileRefusesAnythingButARegularFile: each kind of .env that is not a plain file
// inside the module is refused with an error naming the file and the rule, without blocking.
func TestReadFileRefusesAnythingButARegularFile(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{name: "fifo", want: "named pipe (FIFO)", make: func(t *testing.T, p string) {
			assert.NilError(t, syscall.Mkfifo(p, 0o600))
		}},
		{name: "directory", want: "is a directory", make: func(t *testing.T, p string) {
			assert.NilError(t, os.Mkdir(p, 0o755))
		}},
		{name: "symlink to /etc/passwd", want: "outside the module directory", make: func(t *testing.T, p string) {
			assert.NilError(t, os.Symlink("/etc/passwd", p))
		}},
		{name: "symlink to /dev/zero", want: "outside the module directory", make: func(t *testing.T, p string) {
			assert.NilError(t, os.Symlink("/dev/zero", p))
		}},
		{name: "symlink to a file outside", want: "outside the module directory", make: func(t *testing.T, p string) {
			out := filepath.Join(t.TempDir(), "env")
			assert.NilError(t, os.WriteFile(out, []byte("A=1\n"), 0o600))
			assert.NilError(t, os.Symlink(out, p))
		}},
		{name: "symlink to a fifo inside", want: "named pipe (FIFO)", make: func(t *testing.T, p string) {
			fifo := filepath.Join(filepath.Dir(p), "pipe")
			assert.NilError(t, syscall.Mkfifo(fifo, 0o600))
			assert.NilError(t, os.Symlink(fifo, p))
		}},
		{name: "dangling symlink", want: "does not resolve", make: func(t *testing.T, p string) {
			assert.NilError(t, os.Symlink(filepath.Join(filepath.Dir(p), "nothing"), p))
		}},
		{name: "socket", want: "a socket", make: func(t *testing.T, p string) {
			l, err := net.Listen("unix", p)
			assert.NilError(t, err)
			t.Cleanup(func() { l.Close() })
		}},
		{name: "2 MiB file", want: "larger than 1048576 bytes", make: func(t *testing.T, p string) {
			assert.NilError(t, os.WriteFile(p, bytes.Repeat([]byte("A=1\n"), 2<<20/4), 0o600))
		}},
		{name: "1 MiB and one byte", want: "larger than 1048576 bytes", make: func(t *testing.T, p string) {
			assert.NilError(t, os.WriteFile(p, append([]byte("A="), bytes.Repeat([]byte("x"), MaxSize-1)...), 0o600))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A short directory: unix socket paths are limited to about 100 bytes.
			root, err := os.MkdirTemp("", "dotenv")
			assert.NilError(t, err)
			t.Cleanup(func() { os.RemoveAll(root) })
			assert.NilError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n"), 0o644))
			p := filepath.Join(root, FileName)
			tc.make(t, p)
			_, err = ReadFile(p)
			assert.Check(t, is.ErrorContains(err, tc.want))
			assert.Check(t, is.ErrorContains(err, p))
			assert.Check(t, !errors.Is(err, fs.ErrNotExist))
			_, err = Load(root)
			assert.Check(t, is.ErrorContains(err, tc.want))
		})
	}
}

func TestReadFileAccepts(t *testing.T) {
	root := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(root, "real.env"), []byte("A=1\n"), 0o600))
	// A symbolic link to a file inside the module is accepted.
	assert.NilError(t, os.Symlink("real.env", filepath.Join(root, FileName)))
	b, err := ReadFile(filepath.Join(root, FileName))
	assert.NilError(t, err)
	assert.Equal(t, string(b), "A=1\n")
	// Exactly MaxSize bytes is accepted.
	full := append([]byte("A="), bytes.Repeat([]byte("x"), MaxSize-2)...)
	assert.NilError(t, os.WriteFile(filepath.Join(root, "big.env"), full, 0o600))
	b, err = ReadFile(filepath.Join(root, "big.env"))
	assert.NilError(t, err)
	assert.Equal(t, len(b), MaxSize)
	_, err = ReadFile(filepath.Join(root, "missing.env"))
	assert.Check(t, errors.Is(err, fs.ErrNotExist))
}

// bigInputs are 1 MiB inputs of the shapes a slow parser chokes on.
func bigInputs() map[string]string {
	line := "K=" + strings.Repeat("x", MaxSize-2)
	return map[string]string{
		"one long line":          line,
		"one long quoted line":   "K=\"" + strings.Repeat(`\"`, (MaxSize-4)/2) + "\"",
		"one long unterminated":  "K='" + strings.Repeat("a", MaxSize-3),
		"many short lines":       strings.Repeat("K=v\n", MaxSize/4),
		"many blank lines":       strings.Repeat("\n", MaxSize),
		"one long comment value": "K=" + strings.Repeat(" #", (MaxSize-2)/2),
	}
}

// TestParseOneMebibyte: 1 MiB inputs of every shape parse (or fail cleanly), in one pass each.
func TestParseOneMebibyte(t *testing.T) {
	for name, in := range bigInputs() {
		t.Run(name, func(t *testing.T) {
			assert.Assert(t, len(in) <= MaxSize, len(in))
			vars, err := Parse(strings.NewReader(in))
			switch name {
			case "one long unterminated":
				assert.Check(t, is.ErrorContains(err, "unterminated"))
			case "many blank lines":
				assert.NilError(t, err)
				assert.Check(t, len(vars) == 0)
			default:
				assert.NilError(t, err)
				assert.Check(t, len(vars) >= 1)
			}
		})
	}
	_, err := Parse(strings.NewReader(strings.Repeat("x", MaxSize+1)))
	assert.Check(t, errors.Is(err, ErrTooLarge))
}

// BenchmarkParseOneMebibyte reports the time per byte of each 1 MiB shape: linear parsing
// keeps them within a small factor of each other.
func BenchmarkParseOneMebibyte(b *testing.B) {
	for name, in := range bigInputs() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				_, _ = Parse(strings.NewReader(in))
			}
		})
	}
}
