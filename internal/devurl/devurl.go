// Package devurl holds the syntax of a dev database list (Options.DevURL, KERNIA_DEV_URL): one
// database URL per server dialect, separated by whitespace. It is the standard library only, so
// the redaction that every front end links (the Mage targets included, which link no driver)
// splits a list exactly as internal/database.ParseDevURLs, its parser, does.
package devurl

import "strings"

// Split returns the words of a dev database list: the list is separated by whitespace, which
// no URL holds raw (a space in a password is percent-encoded).
func Split(list string) []string { return strings.Fields(list) }

// Continued returns the index of the first word after the first that starts no URL (holds no
// "://"), or -1: such a word is the rest of a URL split at a raw space, as in a password
// holding one, and the list is refused whole, its words never parsed one by one (the first
// part could read as a host and a port and be quoted).
func Continued(words []string) int {
	for i, w := range words {
		if i > 0 && !strings.Contains(w, "://") {
			return i
		}
	}
	return -1
}
