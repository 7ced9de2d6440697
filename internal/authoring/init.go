package authoring

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
	"github.com/kernia/kernia/internal/database"
	"github.com/kernia/kernia/internal/scaffold"
	"github.com/kernia/kernia/keyring"
)

// MageTool is the Mage version init adds to the module's tools.
const MageTool = "github.com/magefile/mage@v1.17.2"

// InitFlags are the flags of init.
type InitFlags struct {
	// Plugins is a comma-separated list of built-in plugin ids.
	Plugins string
	// DatabaseURL goes to .env, and its dialect to Options.Dialects in auth/auth.go; default
	// $KERNIA_DATABASE_URL, else sqlite://kernia.db. On an initialised module, a DatabaseURL
	// whose dialect auth/auth.go lacks is added like a plugin (see Init).
	DatabaseURL string
	// Dir is a directory of the module to initialise (default the working directory).
	Dir string
	// Print prints every file instead of writing anything.
	Print bool
}

// Init scaffolds a Kernia setup in the Go module containing Dir: .env.example, .env (a fresh
// secret, mode 0600), auth/auth.go, magefile.go and the .gitignore lines, and adds the Mage
// tool to go.mod. It never overwrites a file: existing ones are skipped and listed, except
// that requested plugins (and the dialect of DatabaseURL) an existing auth/auth.go lacks are
// added to it when it is still byte for byte Kernia's unmodified scaffold; an edited one is
// left alone and the lines to add are printed.
func Init(ctx context.Context, f InitFlags, io command.IO) error {
	for _, v := range []struct{ what, value string }{
		{"--plugins", f.Plugins},
		{"--dir", f.Dir},
		{"--database-url", f.DatabaseURL},
		{"$" + kernia.EnvDatabaseURL, os.Getenv(kernia.EnvDatabaseURL)},
		{"$" + kernia.EnvURL, os.Getenv(kernia.EnvURL)},
	} {
		if err := scaffold.CheckValue(v.what, v.value); err != nil {
			return &command.UsageError{Err: err}
		}
	}
	dir := f.Dir
	if dir == "" {
		dir = "."
	}
	root, modPath, err := scaffold.Module(dir)
	if err != nil {
		return err
	}
	var ids []string
	for _, id := range strings.Split(f.Plugins, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	plugins, added, err := scaffold.ResolvePlugins(ids)
	if err != nil {
		return &command.UsageError{Err: err}
	}
	for _, a := range added {
		fmt.Fprintf(io.Stderr, "init: adding plugin %s\n", a)
	}
	dbURL := firstSet(f.DatabaseURL, os.Getenv(kernia.EnvDatabaseURL), kernia.DefaultDatabaseURL)
	// The parser and checks of migrate, status and info: init never writes a URL they refuse.
	source := "--database-url"
	if f.DatabaseURL == "" {
		source = "$" + kernia.EnvDatabaseURL
	}
	if _, err := database.Parse(dbURL); err != nil {
		return command.Usagef("init: %s: %v", source, err)
	}
	dialect, err := kernia.DialectOf(dbURL)
	if err != nil {
		return command.Usagef("init: %s: %v", source, err)
	}
	if env := os.Getenv(kernia.EnvDatabaseURL); f.DatabaseURL != "" && env != "" && env != f.DatabaseURL {
		fmt.Fprintf(io.Stderr, "init: note: %s is already set (in the environment or an existing .env) to another database; it wins over the new .env until you unset it\n", kernia.EnvDatabaseURL)
	}
	secret, err := keyring.NewKey()
	if err != nil {
		return err
	}
	files, err := scaffold.Files(scaffold.Options{
		ModulePath:  modPath,
		DatabaseURL: dbURL,
		BaseURL:     firstSet(os.Getenv(kernia.EnvURL), kernia.DefaultBaseURL),
		Secret:      secret,
		// Committed configuration decides the dialects, never .env alone.
		Dialects: []string{dialect},
	}, plugins)
	if err != nil {
		return err
	}
	hasMage, err := scaffold.HasTool(root, "github.com/magefile/mage")
	if err != nil {
		return err
	}
	if f.Print {
		for _, file := range files {
			fmt.Fprintf(io.Stdout, "==> %s (mode %04o) <==\n%s\n", file.Path, file.Mode, file.Content)
		}
		fmt.Fprintf(io.Stderr, "init: --print: nothing written. Copy the files into %s", root)
		if !hasMage {
			fmt.Fprintf(io.Stderr, " and run go get -tool %s there", MageTool)
		}
		fmt.Fprintln(io.Stderr, ".")
		return nil
	}
	outcomes, err := scaffold.Write(root, files)
	wrote := 0
	for _, o := range outcomes {
		switch o.Action {
		case "wrote":
			wrote++
			mode := ""
			if o.Path == scaffold.Env {
				mode = " (mode 0600: it holds the secret)"
			}
			fmt.Fprintf(io.Stderr, "wrote    %s%s\n", o.Path, mode)
		case "appended":
			wrote++
			fmt.Fprintf(io.Stderr, "appended %s to %s\n", o.Detail, o.Path)
		default:
			fmt.Fprintf(io.Stderr, "skipped  %s (%s)\n", o.Path, o.Detail)
		}
	}
	if err != nil {
		return err
	}
	requested := ""
	if f.DatabaseURL != "" {
		requested = dialect
	}
	manual := false
	for _, o := range outcomes {
		if o.Path != scaffold.AuthFile || o.Action != "skipped" {
			continue
		}
		updated, hand, err := amendAuth(root, plugins, requested, io)
		if err != nil {
			return err
		}
		if updated {
			wrote++
		}
		manual = hand
	}
	for _, o := range outcomes {
		if o.Path == scaffold.Magefile && o.Action == "skipped" && !wiredMagefile(filepath.Join(root, scaffold.Magefile)) {
			fmt.Fprintf(io.Stderr, "init: %s exists: to get Kernia's targets, import _ \"github.com/kernia/kernia/mage\" under a //mage:import comment (they load ./auth:Auth, as go tool kernia does)\n", scaffold.Magefile)
		}
	}
	if wrote == 0 {
		fmt.Fprintln(io.Stderr, "init: every file exists already: nothing written")
	}
	if !hasMage {
		fmt.Fprintf(io.Stderr, "init: go get -tool %s\n", MageTool)
		cmd := exec.CommandContext(ctx, "go", "get", "-tool", MageTool)
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("init: adding the Mage tool failed (%v): %s\nThe files are written; run go get -tool %s in %s yourself", err, strings.TrimSpace(out.String()), MageTool, root)
		}
	}
	if ok, _ := scaffold.HasTool(root, "github.com/kernia/kernia/cmd/kernia"); !ok {
		fmt.Fprintln(io.Stderr, "init: add the kernia tool to go.mod (go tool kernia and the Mage targets run it): go get -tool github.com/kernia/kernia/cmd/kernia")
	}
	next := "Next: "
	if manual {
		next = "Next: add the lines above to " + scaffold.AuthFile + ", then "
	}
	fmt.Fprintln(io.Stderr, next+"go tool kernia generate (or go tool mage generate), review and commit ent/ and the migration, then go tool kernia migrate.")
	return nil
}

// amendAuth handles an auth/auth.go that exists when init is asked for plugins (and, with
// --database-url, a dialect) it does not enable: it rewrites the file when it is still Kernia's
// unmodified scaffold (byte for byte what init writes for the values it holds), and otherwise
// leaves it alone and prints the exact lines to add (manual true).
func amendAuth(root string, plugins []kernia.Plugin, dialect string, io command.IO) (updated, manual bool, err error) {
	p := filepath.Join(root, filepath.FromSlash(scaffold.AuthFile))
	st, err := os.Lstat(p)
	if err != nil || !st.Mode().IsRegular() {
		return false, false, nil // not a file init could read: skipped, as listed
	}
	cur, err := os.ReadFile(p)
	if err != nil {
		return false, false, fmt.Errorf("init: read %s: %w", scaffold.AuthFile, err)
	}
	u, err := scaffold.PlanAuthUpdate(cur, plugins, dialect)
	if err != nil {
		return false, false, err
	}
	missing := describeMissing(u)
	switch {
	case missing == "":
		if ids := pluginIDs(plugins); len(ids) > 0 {
			fmt.Fprintf(io.Stderr, "init: %s enables %s already\n", scaffold.AuthFile, strings.Join(ids, ", "))
		}
		return false, false, nil
	case u.Content != nil:
		if err := scaffold.Rewrite(root, scaffold.AuthFile, cur, u.Content); err != nil {
			return false, false, err
		}
		fmt.Fprintf(io.Stderr, "updated  %s: added %s (it was Kernia's unmodified scaffold, so rewriting it is safe; review the change)\n", scaffold.AuthFile, missing)
		return true, false, nil
	}
	lines, err := u.Lines()
	if err != nil {
		return false, false, err
	}
	fmt.Fprintf(io.Stderr, "init: %s is not Kernia's unmodified scaffold (it was edited), so init left it alone and did not add %s. Add these lines to it:\n", scaffold.AuthFile, missing)
	for _, l := range lines {
		fmt.Fprintf(io.Stderr, "    %s\n", l)
	}
	return false, true, nil
}

// describeMissing names what an AuthUpdate adds: "plugin jwt", "plugins a, b and dialect
// postgres", or "" for nothing.
func describeMissing(u scaffold.AuthUpdate) string {
	var parts []string
	switch ids := pluginIDs(u.Plugins); len(ids) {
	case 0:
	case 1:
		parts = append(parts, "plugin "+ids[0])
	default:
		parts = append(parts, "plugins "+strings.Join(ids, ", "))
	}
	if len(u.Dialects) > 0 {
		parts = append(parts, "dialect "+strings.Join(u.Dialects, ", ")+" (Options.Dialects)")
	}
	return strings.Join(parts, " and ")
}

func pluginIDs(plugins []kernia.Plugin) []string {
	ids := make([]string, 0, len(plugins))
	for _, p := range plugins {
		ids = append(ids, p.ID())
	}
	return ids
}

// wiredMagefile reports whether an existing magefile imports Kernia's targets.
func wiredMagefile(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.Contains(b, []byte(`"github.com/kernia/kernia/mage"`))
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
