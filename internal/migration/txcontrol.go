package migration

import (
	"fmt"
	"strings"
	"unicode"

	"ariga.io/atlas/sql/migrate"
)

// A file runs inside a transaction Kernia opens (PostgreSQL: one per file; SQLite: a savepoint
// of the run's transaction), so a statement of its own that ends or opens a transaction would
// commit half a file, commit earlier files' work behind the run's back, or leave the revision
// outside the file's transaction. Such files are refused before anything runs.
//
// Refused on PostgreSQL outside `-- atlas:txmode none`: BEGIN, START TRANSACTION, COMMIT, END,
// ROLLBACK and ABORT (but not ROLLBACK TO SAVEPOINT, which stays inside the file's
// transaction), and PREPARE TRANSACTION. SAVEPOINT and RELEASE nest inside the file's
// transaction and are allowed. Refused on SQLite in every file (the txmode directive has no
// effect there): BEGIN, COMMIT, END, ROLLBACK (but not ROLLBACK TO), and any SAVEPOINT, RELEASE
// or ROLLBACK TO naming the run's own savepoint.
//
// The check looks at each statement's first words, after Atlas's scanner split the file, so
// BEGIN and END inside dollar-quoted function bodies, string literals and comments, and the END
// of CASE ... END, never count.

// txControl is a refused statement.
type txControl struct {
	line int    // 1-based line of the statement in its file
	stmt string // the statement's start
	why  string
}

// checkTxControl refuses the first of files (the pending ones) holding a statement that controls
// a transaction Kernia owns, naming the file and line.
func checkTxControl(sp *splits, files []migrate.File) error {
	dialect := sp.dialect
	if dialect == "mysql" {
		// MySQL files run statement by statement, outside any transaction of Kernia's (see
		// mysql.go): a file's own transaction control is the file's business.
		return nil
	}
	for _, f := range files {
		if dialect == "postgres" && noTx(f) {
			continue
		}
		decls, err := sp.of(f)
		if err != nil {
			return err
		}
		for _, d := range decls {
			why := txControlReason(dialect, d.Text)
			if why == "" {
				continue
			}
			line := 1 + strings.Count(string(f.Bytes())[:min(d.Pos, len(f.Bytes()))], "\n")
			fix := "remove it: Kernia runs every file in its own transaction and records the file in it"
			if dialect == "postgres" {
				fix += "; a file that must manage transactions itself starts with the line `-- atlas:txmode none` (it then runs statement by statement, without Kernia's transaction)"
			} else {
				fix += " (on SQLite the whole run is one transaction and `-- atlas:txmode none` has no effect)"
			}
			return fmt.Errorf("migrate: %s line %d: %s (%s): %s, then run `kernia hash`; nothing was applied",
				f.Name(), line, why, snippet(d.Text), fix)
		}
	}
	return nil
}

// txControlReason says why stmt is refused, or "" when it is not transaction control.
func txControlReason(dialect, stmt string) string {
	w := firstWords(stmt, 4)
	if len(w) == 0 {
		return ""
	}
	at := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	// ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name stays inside the transaction.
	rollbackTo := func() (bool, string) {
		i := 1
		if at(i) == "WORK" || at(i) == "TRANSACTION" {
			i++
		}
		if at(i) != "TO" {
			return false, ""
		}
		i++
		if at(i) == "SAVEPOINT" {
			i++
		}
		return true, at(i)
	}
	own := strings.ToUpper(savepoint)
	switch w[0] {
	case "BEGIN":
		// PostgreSQL's and SQLite's transaction start in every form; a function body's
		// BEGIN … END is inside its CREATE statement, never a statement's first word.
		return "the statement opens a transaction"
	case "START":
		if at(1) == "TRANSACTION" {
			return "the statement opens a transaction"
		}
	case "COMMIT", "END":
		return "the statement commits the transaction"
	case "ABORT":
		if dialect == "postgres" {
			return "the statement rolls back the transaction"
		}
	case "ROLLBACK":
		if ok, name := rollbackTo(); ok {
			if dialect == "sqlite" && name == own {
				return "the statement rolls back the savepoint Kernia runs the file in"
			}
			return ""
		}
		return "the statement rolls back the transaction"
	case "PREPARE":
		if at(1) == "TRANSACTION" {
			return "the statement prepares the transaction for two-phase commit, ending it"
		}
	case "SAVEPOINT", "RELEASE":
		name := at(1)
		if name == "SAVEPOINT" {
			name = at(2)
		}
		if dialect == "sqlite" && name == own {
			return "the statement uses the savepoint Kernia runs the file in"
		}
	}
	return ""
}

// firstWords returns up to n leading words of stmt, upper-cased, skipping whitespace and
// comments (nested block comments included). A word is a run of letters, digits and
// underscores, or a double-quoted identifier (unquoted and upper-cased too, so names compare
// case-insensitively); anything else ends the scan.
func firstWords(stmt string, n int) []string {
	var words []string
	s := stmt
	for len(words) < n {
		s = skipSpaceAndComments(s)
		if s == "" {
			break
		}
		switch {
		case s[0] == '"':
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return words
			}
			words = append(words, strings.ToUpper(s[1:1+end]))
			s = s[2+end:]
		case isWordRune(rune(s[0])):
			i := 0
			for i < len(s) && isWordRune(rune(s[i])) {
				i++
			}
			words = append(words, strings.ToUpper(s[:i]))
			s = s[i:]
		default:
			return words
		}
	}
	return words
}

func isWordRune(r rune) bool {
	return r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// skipSpaceAndComments drops leading whitespace, -- comments and /* */ comments.
func skipSpaceAndComments(s string) string {
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			depth, i := 0, 0
			for i < len(s) {
				switch {
				case strings.HasPrefix(s[i:], "/*"):
					depth++
					i += 2
				case strings.HasPrefix(s[i:], "*/"):
					depth--
					i += 2
				default:
					i++
				}
				if depth == 0 {
					break
				}
			}
			if depth > 0 {
				return ""
			}
			s = s[i:]
		default:
			return s
		}
	}
}
