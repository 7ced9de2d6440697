package scaffold

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckValue refuses a value init would write into .env, .env.example or Go source when it
// holds a byte that could end a line or hide text there: control characters (newline, CR,
// NUL, DEL, C1), Unicode line and paragraph separators, invisible format characters (such as
// bidirectional overrides) and invalid UTF-8. what names the input for the error, e.g.
// "--database-url"; the error shows the offending character, never the value.
func CheckValue(what, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("init: %s is not valid UTF-8: write it as plain text", what)
	}
	for i, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("init: %s holds the control character %s at byte %d: a value init writes into .env, .env.example or Go source must be one line of printable text (percent-encode it in a URL)",
				what, strconv.QuoteRune(r), i)
		}
	}
	return nil
}

// plainEnvValue matches values a .env file can hold unquoted and every reader (dotenv tools,
// a shell sourcing the file) reads back exactly.
var plainEnvValue = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,~-]*$`)

// envValue spells v for a .env line so that dotenv (ours, and the common dotenv tools) reads
// back exactly v: as it is when it holds only characters no reader treats specially, else in
// single quotes (taken literally, no expansion), else, when v holds a single quote, in double
// quotes with \ and " escaped. v must pass CheckValue.
func envValue(v string) string {
	switch {
	case plainEnvValue.MatchString(v):
		return v
	case !strings.Contains(v, "'"):
		return "'" + v + "'"
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}
