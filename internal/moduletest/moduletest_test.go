package moduletest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNewSameContentIsTidy: a second module of the same content gets the go.mod and go.sum
// the first one's go mod tidy wrote, and they are what tidy would write for it too.
func TestNewSameContentIsTidy(t *testing.T) {
	files := map[string]string{"auth/auth.go": "package auth\n\nimport _ \"github.com/kernia/kernia\"\n"}
	first := New(t, "example.com/tidy", files)
	second := New(t, "example.com/tidy", files)
	for _, name := range []string{"go.mod", "go.sum"} {
		a, err := os.ReadFile(filepath.Join(first, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(second, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("%s differs between two modules of the same content", name)
		}
	}
	if out, err := Command(second, "go", "mod", "tidy", "-diff").CombinedOutput(); err != nil {
		t.Errorf("the second module is not tidy: %v\n%s", err, out)
	}
}
