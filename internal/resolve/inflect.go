package resolve

import (
	"strings"
	"sync"
	"unicode"

	"github.com/go-openapi/inflect"
)

// The names Ent derives for an entity, computed without Ent's code generator (entc/gen, which
// brings Atlas and the database drivers into every program that imports it): a copy of
// entc/gen's plural and snake functions and of its ruleset, the template functions "plural"
// and "snake" (entgo.io/ent v0.14.5, entc/gen/func.go, Apache License 2.0). The tool checks
// every name against Ent's own functions at the module's Ent version (compose.Build), and
// TestNamesMatchEnt compares them over a corpus.

// rules is entc/gen's ruleset: inflect's default rules and Ent's initialisms, built on first
// use (about half a millisecond: a program that only decodes a configuration, the migration
// engine's, never builds it).
var rules = sync.OnceValue(func() *inflect.Ruleset {
	r := inflect.NewDefaultRuleset()
	for _, w := range []string{
		"ACL", "API", "ASCII", "AWS", "CPU", "CSS", "DNS", "EOF", "GB", "GUID",
		"HCL", "HTML", "HTTP", "HTTPS", "ID", "IP", "JSON", "KB", "LHS", "MAC",
		"MB", "QPS", "RAM", "RHS", "RPC", "SLA", "SMTP", "SQL", "SSH", "SSO",
		"TCP", "TLS", "TTL", "UDP", "UI", "UID", "URI", "URL", "UTF8", "UUID",
		"VM", "XML", "XMPP", "XSRF", "XSS",
	} {
		r.AddAcronym(w)
	}
	return r
})

// Plural is entc/gen's "plural": the inflected plural, or name+"Slice" when it has none.
func Plural(name string) string {
	p := rules().Pluralize(name)
	if p == name {
		p += "Slice"
	}
	return p
}

// Snake is entc/gen's "snake": Username → username, FullName → full_name, HTTPCode → http_code.
func Snake(s string) string {
	var (
		j int
		b strings.Builder
	)
	for i := 0; i < len(s); i++ {
		r := rune(s[i])
		if i > 0 && i < len(s)-1 && unicode.IsUpper(r) {
			if unicode.IsLower(rune(s[i-1])) ||
				j != i-1 && unicode.IsLower(rune(s[i+1])) && unicode.IsLetter(rune(s[i-1])) {
				j = i
				b.WriteString("_")
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
