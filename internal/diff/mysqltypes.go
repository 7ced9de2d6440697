package diff

import (
	"maps"

	"entgo.io/ent/dialect"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
)

// mysqlTypes gives the Ent tables the MySQL column types Kernia uses, before they are diffed
// on a MySQL dev database (tables are the diff's own: the generator builds them per dialect).
// Ent's MySQL defaults lose data that PostgreSQL and SQLite keep:
//
//   - times: Ent's TIMESTAMP holds whole seconds up to 2038-01-19, and on MariaDB Ent makes
//     every TIMESTAMP column NULL (MariaDB would otherwise add DEFAULT CURRENT_TIMESTAMP ON
//     UPDATE); Kernia uses DATETIME(3), milliseconds as Better Auth's MySQL schema, NOT NULL
//     where the field is required, and CURRENT_TIMESTAMP(3) for a database default.
//   - strings: Ent's varchar(255) refuses longer values (an OIDC id_token, a user agent, an SSO
//     configuration). A string column that is in no index, key or foreign key and has no
//     default is TEXT (64 KiB) on MySQL, as Better Auth's; the others stay varchar(255), whose
//     1,020 utf8mb4 bytes fit InnoDB's 3,072-byte index key limit, also for the two-column
//     indexes of the built-in plugins (a TEXT column cannot be indexed without a prefix, nor,
//     before MySQL 8.0.13, have a default).
func mysqlTypes(tables []*entschema.Table) {
	for _, t := range tables {
		keyed := map[string]bool{}
		for _, c := range t.PrimaryKey {
			keyed[c.Name] = true
		}
		for _, idx := range t.Indexes {
			for _, c := range idx.Columns {
				keyed[c.Name] = true
			}
		}
		for _, fk := range t.ForeignKeys {
			for _, c := range fk.Columns {
				keyed[c.Name] = true
			}
		}
		for _, c := range t.Columns {
			if _, set := c.SchemaType[dialect.MySQL]; set {
				continue
			}
			switch {
			case c.Type == field.TypeTime:
				setMySQLType(c, "datetime(3)")
				// Ent's MariaDB rule (make the column NULL) applies only to columns without
				// extra attributes; DATETIME has no implicit default to suppress.
				if c.Attr == "" {
					c.Attr = " "
				}
				if s, ok := c.Default.(string); ok && s == "CURRENT_TIMESTAMP" {
					c.Default = entschema.Expr("CURRENT_TIMESTAMP(3)")
				}
			case c.Type == field.TypeString && !keyed[c.Name] && !c.Unique && c.Default == nil && c.Size == 0:
				setMySQLType(c, "text")
			}
		}
	}
}

func setMySQLType(c *entschema.Column, typ string) {
	st := maps.Clone(c.SchemaType)
	if st == nil {
		st = map[string]string{}
	}
	st[dialect.MySQL] = typ
	c.SchemaType = st
}
