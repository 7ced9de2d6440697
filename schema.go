package kernia

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// EntitySchema customizes one entity's table, as Better Auth's modelName, fields and
// additionalFields do. Options.Schema holds one per entity name ("User", "TwoFactor").
//
// Options.Naming gives every table and column its base name; Table and Columns rename on top
// of it, whatever the mode (under BetterAuthNames, {"email_verified": "verified"} names the
// column verified instead of emailVerified).
type EntitySchema struct {
	// Table renames the table (Better Auth's modelName), e.g. "app_users". Changing it on a
	// schema already generated renames the table in the next migration (ALTER TABLE … RENAME
	// TO, its rows kept), never a drop and a create: generate reads the entity's previous
	// table from the committed ent/schema files.
	Table string
	// Columns renames columns: field name → column name (Better Auth's fields), e.g.
	// {"email": "email_address"}. The generated client keeps the field's Go name; foreign
	// keys and indexes follow the new column name. Changing it on a schema already generated
	// renames the column (ALTER TABLE … RENAME COLUMN, its rows kept, its indexes renamed
	// after it). Refused: a rename onto a column the committed schema has for another field
	// (dropped or renamed in the same change: a chain or a swap; split it into two generate
	// runs), and renaming a column a plugin contributes once it is generated (keep its name).
	Columns map[string]string
	// Fields adds typed fields (Better Auth's additionalFields).
	Fields []Field
}

// FieldType is the type of an additional field.
type FieldType string

// Additional field types.
const (
	FieldString FieldType = "string"
	FieldInt    FieldType = "int"
	FieldBool   FieldType = "bool"
	FieldTime   FieldType = "time"
	FieldJSON   FieldType = "json"
)

// DefaultNow is the Default of a time field set to the insertion time. It is a database
// default, DEFAULT CURRENT_TIMESTAMP (PostgreSQL timestamptz, SQLite datetime), beside the
// generated client's own time.Now: raw-SQL inserts get it, and adding a required DefaultNow
// field to a table with rows fills the column of every existing row with the migration's time.
const DefaultNow = "now"

// Field is an additional field of an entity.
type Field struct {
	// Name is the snake_case field name; the column is Name under Options.Naming SnakeCase,
	// its lowerCamelCase under BetterAuthNames (joined_at: joinedAt), as Better Auth's
	// additionalFields are.
	Name string
	// Type is the field's type.
	Type FieldType
	// Optional makes the column nullable; otherwise it is required (NOT NULL).
	Optional bool
	// Unique adds a unique constraint.
	Unique bool
	// Default is the value of the field when an insert leaves it unset: a string, an int or
	// a bool matching Type, or DefaultNow for time fields. JSON fields have no default. It is
	// the column's database default too (DEFAULT 'x', DEFAULT 0, DEFAULT false, DEFAULT
	// CURRENT_TIMESTAMP), which is what lets a required field be added to a table with rows.
	Default any
}

var (
	identifierRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	fieldNameRE  = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// IdentifierRule describes what ValidIdentifier accepts, for error messages.
const IdentifierRule = "ASCII letters, digits and underscores, starting with a letter or underscore, at most 63 bytes"

// ValidIdentifier reports whether s can name a table or column: ASCII letters, digits and
// underscores, starting with a letter or underscore, at most 63 bytes (PostgreSQL's limit).
// Upper case is allowed (Better Auth's names are camelCase: emailVerified, twoFactor): the
// generated SQL and the generated client quote every identifier, so PostgreSQL keeps the case.
// Two names that differ only in case are refused when they would share a namespace, because
// SQLite compares identifiers without case.
func ValidIdentifier(s string) bool { return len(s) <= 63 && identifierRE.MatchString(s) }

// validFieldName reports whether s can name an additional field: lower-case snake_case, at
// most 63 bytes. The Ent field name gives the Go names (SetJoinedAt) and, through
// Options.Naming, the column name.
func validFieldName(s string) bool { return len(s) <= 63 && fieldNameRE.MatchString(s) }

func (s EntitySchema) validate(entity string) []error {
	var errs []error
	where := "kernia: Options.Schema[" + entity + "]"
	switch {
	case s.Table != "" && !ValidIdentifier(s.Table):
		errs = append(errs, fmt.Errorf("%s.Table: %q is not a valid table name (%s)", where, s.Table, IdentifierRule))
	case strings.HasPrefix(strings.ToLower(s.Table), "sqlite_"):
		errs = append(errs, fmt.Errorf("%s.Table: %q is reserved: SQLite reserves names starting with sqlite_ for its own tables; choose another name", where, s.Table))
	case s.Table == "atlas_schema_revisions":
		errs = append(errs, fmt.Errorf("%s.Table: %q is reserved: migrate records the applied migrations there; choose another name", where, s.Table))
	}
	for _, field := range slices.Sorted(maps.Keys(s.Columns)) {
		if col := s.Columns[field]; !ValidIdentifier(col) {
			errs = append(errs, fmt.Errorf("%s.Columns[%s]: %q is not a valid column name (%s)", where, field, col, IdentifierRule))
		}
	}
	for i, f := range s.Fields {
		if err := f.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s.Fields[%d]: %w", where, i, err))
		}
	}
	return errs
}

func (f Field) validate() error {
	if !validFieldName(f.Name) {
		return fmt.Errorf("%q is not a valid field name (lower-case snake_case, at most 63 bytes)", f.Name)
	}
	var ok bool
	switch f.Type {
	case FieldString:
		_, ok = f.Default.(string)
	case FieldInt:
		_, ok = f.Default.(int)
	case FieldBool:
		_, ok = f.Default.(bool)
	case FieldTime:
		ok = f.Default == DefaultNow
	case FieldJSON:
		ok = f.Default == nil
		if !ok {
			return fmt.Errorf("field %s: JSON fields have no default", f.Name)
		}
	default:
		return fmt.Errorf("field %s: unknown type %q (want string, int, bool, time or json)", f.Name, f.Type)
	}
	if f.Unique && (f.Type == FieldBool || f.Type == FieldJSON) {
		return fmt.Errorf("field %s: %s fields cannot be unique", f.Name, f.Type)
	}
	if f.Default != nil && !ok {
		want := map[FieldType]string{FieldString: "a string", FieldInt: "an int", FieldBool: "a bool", FieldTime: `kernia.DefaultNow ("now")`}[f.Type]
		return fmt.Errorf("field %s: default %v (%T) is not %s", f.Name, f.Default, f.Default, want)
	}
	return nil
}
