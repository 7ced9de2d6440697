package compose

import (
	"bytes"
	"cmp"
	"fmt"
	"go/format"
	"maps"
	"slices"
	"strings"
	"text/template"

	"github.com/kernia/kernia"
)

// File is a rendered file of the composed schema package.
type File struct {
	// Name is the file name inside the schema directory, e.g. "user.go".
	Name    string
	Content []byte
}

// Render renders the plan as the files of the composed Ent schema package (package schema),
// one file per entity, sorted by name and go/formatted. It lives here, in the kernia tool, and
// not in internal/resolve: the loader program never renders, and need not link text/template
// and go/format nor parse the template at its start.
func Render(p *Plan) ([]File, error) {
	var files []File
	for _, e := range p.Entities {
		src, err := renderEntity(e)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: FileName(e.Name), Content: src})
	}
	slices.SortFunc(files, func(a, b File) int { return cmp.Compare(a.Name, b.Name) })
	return files, nil
}

type importSpec struct{ Alias, Path string }

type entityData struct {
	Header       string
	Entity       *Entity
	Imports      []importSpec
	Mixins       []string
	Contributors string
	Record       string
}

var entityTemplate = template.Must(template.New("entity").Parse(`{{ .Header }}

package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
{{ range .Imports }}
	{{ .Alias }} "{{ .Path }}"
{{- end }}
)

// {{ .Entity.Name }} is the composed {{ .Entity.Name }} entity, table "{{ .Entity.Table }}",
// owned by {{ .Entity.Owner }}; contributors: {{ .Contributors }}.
type {{ .Entity.Name }} struct {
	ent.Schema
}

// Mixin lists the contributions to {{ .Entity.Name }}: the owner's first, then each plugin's in
// configuration order.
func ({{ .Entity.Name }}) Mixin() []ent.Mixin {
	return []ent.Mixin{
{{- range .Mixins }}
		{{ . }},
{{- end }}
	}
}

// Annotations of {{ .Entity.Name }}: its table name.
func ({{ .Entity.Name }}) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Table({{ printf "%q" .Entity.Table }}),
	}
}

// The identity record of {{ .Entity.Name }}: its table and, per field, its column and contributor.
// The next generate reads it back to tell a renamed table or column from a drop and an add.
{{ .Record }}`))

func renderEntity(e *Entity) ([]byte, error) {
	aliases := map[string]string{} // import path -> alias
	used := map[string]bool{"ent": true, "entsql": true, "schema": true}
	d := entityData{Header: Header, Entity: e, Record: e.Record()}
	imp := func(path, pkg string) string {
		alias, ok := aliases[path]
		if !ok {
			alias = pkg
			for i := 2; used[alias]; i++ {
				alias = fmt.Sprintf("%s%d", pkg, i)
			}
			used[alias] = true
			aliases[path] = alias
			d.Imports = append(d.Imports, importSpec{Alias: alias, Path: path})
		}
		return alias
	}
	var contributors []string
	for _, m := range e.Mixins {
		d.Mixins = append(d.Mixins, mixinExpr(m, imp))
		if !slices.Contains(contributors, m.Contributor) {
			contributors = append(contributors, m.Contributor)
		}
	}
	slices.SortFunc(d.Imports, func(a, b importSpec) int { return cmp.Compare(a.Path, b.Path) })
	d.Contributors = strings.Join(contributors, ", ")
	var b bytes.Buffer
	if err := entityTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("compose: render %s: %w", e.Name, err)
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("compose: format %s: %w", e.Name, err)
	}
	return src, nil
}

const (
	kerniaPath  = "github.com/kernia/kernia"
	optionsPath = "github.com/kernia/kernia/schema/options"
)

// mixinExpr returns the Go expression of a mixin; imp imports a package and returns its alias.
func mixinExpr(m Mixin, imp func(path, pkg string) string) string {
	var expr string
	if m.Fields != nil {
		var b strings.Builder
		k := imp(kerniaPath, "kernia")
		fmt.Fprintf(&b, "%s.Additional{Specs: []%s.Field{\n", imp(optionsPath, "options"), k)
		for _, f := range m.Fields {
			fmt.Fprintf(&b, "{Name: %q, Type: %s.%s", f.Name, k, fieldTypeConst[f.Type])
			if f.Optional {
				b.WriteString(", Optional: true")
			}
			if f.Unique {
				b.WriteString(", Unique: true")
			}
			switch v := f.Default.(type) {
			case nil:
			case string:
				if f.Type == "time" {
					fmt.Fprintf(&b, ", Default: %s.DefaultNow", k)
				} else {
					fmt.Fprintf(&b, ", Default: %q", v)
				}
			default:
				fmt.Fprintf(&b, ", Default: %#v", v)
			}
			b.WriteString("},\n")
		}
		b.WriteString("}}")
		expr = b.String()
	} else {
		expr = imp(m.ImportPath, m.Package) + "." + m.Type + "{}"
	}
	if len(m.Columns) == 0 && len(m.IndexNames) == 0 && len(m.UniqueIndexes) == 0 {
		return expr
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s.Rename{\nMixin: %s,\n", imp(optionsPath, "options"), expr)
	for _, f := range []struct {
		name string
		m    map[string]string
	}{{"Columns", m.Columns}, {"IndexNames", m.IndexNames}, {"UniqueIndexes", m.UniqueIndexes}} {
		if len(f.m) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: map[string]string{\n", f.name)
		for _, k := range slices.Sorted(maps.Keys(f.m)) {
			fmt.Fprintf(&b, "%q: %q,\n", k, f.m[k])
		}
		b.WriteString("},\n")
	}
	b.WriteString("}")
	return b.String()
}

var fieldTypeConst = map[kernia.FieldType]string{
	kernia.FieldString: "FieldString",
	kernia.FieldInt:    "FieldInt",
	kernia.FieldBool:   "FieldBool",
	kernia.FieldTime:   "FieldTime",
	kernia.FieldJSON:   "FieldJSON",
}
