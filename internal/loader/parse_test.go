package loader

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hostileApps are --app values that try to become code, reach other files or hide bytes.
var hostileApps = []string{
	`x";func init(){println("pwned")}//:Auth`,
	"./auth\n\nfunc init() { panic(1) }\n//:Auth",
	"./auth:Auth\n",
	"./auth:Auth;func",
	"./au\"th:Auth",
	"./au`th:Auth",
	"./auth*/:Auth",
	"./auth/*x:Auth",
	"./au\x00th:Auth",
	"./au\\th:Auth",
	"./au th:Auth",
	"./au\tth:Auth",
	"./au\rth:Auth",
	"./auth\u202e:Auth",    // right-to-left override
	"./аuth:Auth",          // Cyrillic а
	"./auth\u200b:Auth",    // zero-width space
	"example.com/аpp:Auth", // Cyrillic а in an import path
	"example.com/app\u00a0:Auth",
	"/etc:Auth",
	"/tmp/evil:Auth",
	`C:\evil:Auth`,
	"example.com//app:Auth",
	"example.com/app/:Auth",
	"example.com/../app:Auth",
	"example.com/./app:Auth",
	"-x/app:Auth",
	"./auth:auth",
	"./auth:Au-th",
	"./auth:Äuth",
	"./auth:Auth\u200b",
	"./auth:_Auth",
	"./auth:",
	":Auth",
	"auth",
	"",
}

func TestParseAppRefusesHostileValues(t *testing.T) {
	for _, v := range hostileApps {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			a, err := ParseApp(v, FromFlag)
			if err == nil {
				t.Fatalf("ParseApp(%q) = %+v, want an error", v, a)
			}
			if !errors.Is(err, ErrBadApp) {
				t.Errorf("error does not wrap ErrBadApp: %v", err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r\x00\u202e") {
				t.Errorf("the error carries the raw value's control characters: %q", msg)
			}
			if !strings.Contains(msg, "want <package>:<Var>") || !strings.Contains(msg, strconv.Quote(v)) {
				t.Errorf("the error names neither the rule nor the quoted value: %s", msg)
			}
		})
	}
}

func TestParseAppAccepts(t *testing.T) {
	tests := []struct {
		in  string
		pkg string
		v   string
	}{
		{in: "./auth:Auth", pkg: "./auth", v: "Auth"},
		{in: ".:Auth", pkg: ".", v: "Auth"},
		{in: "../auth:Auth", pkg: "../auth", v: "Auth"},
		{in: "../../internal/auth-v2:Auth", pkg: "../../internal/auth-v2", v: "Auth"},
		{in: "./internal/auth_x.y~z:Auth2", pkg: "./internal/auth_x.y~z", v: "Auth2"},
		{in: "example.com/app/auth:Auth", pkg: "example.com/app/auth", v: "Auth"},
		{in: "github.com/Org/app/v2/auth:My_Auth", pkg: "github.com/Org/app/v2/auth", v: "My_Auth"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			a, err := ParseApp(tc.in, FromFlag)
			if err != nil {
				t.Fatal(err)
			}
			if a.Package != tc.pkg || a.Var != tc.v {
				t.Errorf("ParseApp(%q) = %+v, want %s:%s", tc.in, a, tc.pkg, tc.v)
			}
		})
	}
}

// TestRenderQuotesEveryValue: the program imports exactly the import path, names the instance
// in a string literal and nowhere else, and render refuses what ParseApp would.
func TestRenderQuotesEveryValue(t *testing.T) {
	src, err := render("example.com/app/auth", "Auth")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.ParseComments)
	if err != nil {
		t.Fatalf("the program does not parse: %v\n%s", err, src)
	}
	var imports []string
	for _, im := range f.Imports {
		imports = append(imports, im.Path.Value)
	}
	if !strings.Contains(strings.Join(imports, " "), `"example.com/app/auth"`) {
		t.Errorf("imports %v, want the app's package", imports)
	}
	for _, cg := range f.Comments {
		if strings.Contains(cg.Text(), "example.com") {
			t.Errorf("a comment holds the import path: %q", cg.Text())
		}
	}
	var lits []string
	ast.Inspect(f, func(n ast.Node) bool {
		if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			lits = append(lits, bl.Value)
		}
		return true
	})
	if !strings.Contains(strings.Join(lits, " "), strconv.Quote("example.com/app/auth:Auth")) {
		t.Errorf("no string literal names the instance: %v", lits)
	}
	for _, bad := range []struct{ imp, v string }{
		{`x";func init(){}//`, "Auth"},
		{"example.com/app\n", "Auth"},
		{"example.com/app", "Auth()\nfunc init(){}"},
		{"example.com/app", "auth"},
	} {
		if _, err := render(bad.imp, bad.v); !errors.Is(err, ErrBadApp) {
			t.Errorf("render(%q, %q): %v, want ErrBadApp", bad.imp, bad.v, err)
		}
	}
}

// TestResolveStaysInsideTheModule: a relative package outside the module, also through a
// symbolic link, is ErrBadApp; one inside yields the module's import path.
func TestResolveStaysInsideTheModule(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, d := range []string{"auth", "sub"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(root, "sub"))
	tests := []struct {
		pkg, modPath, want string
		bad                bool
	}{
		{pkg: "../auth", modPath: "example.com/app", want: "example.com/app/auth"},
		{pkg: "..", modPath: "example.com/app", want: "example.com/app"},
		{pkg: ".", modPath: "example.com/app", want: "example.com/app/sub"},
		{pkg: "../..", modPath: "example.com/app", bad: true},
		{pkg: "../../" + filepath.Base(outside), modPath: "example.com/app", bad: true},
		{pkg: "../escape", modPath: "example.com/app", bad: true},
		{pkg: "../auth", modPath: `example.com/app"`, bad: true},
		{pkg: "example.com/other", modPath: "example.com/app", want: "example.com/other"},
	}
	for _, tc := range tests {
		t.Run(tc.pkg+"@"+tc.modPath, func(t *testing.T) {
			got, err := resolve(tc.pkg, root, tc.modPath)
			if tc.bad {
				if !errors.Is(err, ErrBadApp) {
					t.Fatalf("resolve(%q) = %q, %v; want ErrBadApp", tc.pkg, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("resolve(%q) = %q, %v; want %q", tc.pkg, got, err, tc.want)
			}
		})
	}
}
