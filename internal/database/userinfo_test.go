package database

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// reserved are the characters of RFC 3986's gen-delims and sub-delims, plus '%' and space.
var reserved = []string{":", "/", "?", "#", "[", "]", "@", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", "%", " "}

// rawOK are the reserved characters a password may hold unencoded: sub-delims and ':'.
const rawOK = ":!$&'()*+,;="

// rawOKInUser are those a user name may hold unencoded (a ':' would end it).
const rawOKInUser = "!$&'()*+,;="

// encodeAll percent-encodes every reserved character of s.
func encodeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(":/?#[]@!$&'()*+,;=% ", r) {
			fmt.Fprintf(&b, "%%%02X", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// pieces returns every 4-byte substring of s.
func pieces(s string) []string {
	var out []string
	for i := 0; i+4 <= len(s); i++ {
		out = append(out, s[i:i+4])
	}
	return out
}

// userinfoCase is a PostgreSQL URL whose user and password are known.
type userinfoCase struct {
	name                   string
	user, password         string // as intended
	userWritten, pwWritten string // as written in the URL
}

// userinfoCases returns every reserved character, raw and percent-encoded, in the user and in
// the password, alone, twice, after a port-like digit prefix, and all of them combined.
func userinfoCases() []userinfoCase {
	var cases []userinfoCase
	add := func(name, user, pw string, encUser, encPw bool) {
		c := userinfoCase{name: name, user: user, password: pw, userWritten: user, pwWritten: pw}
		if encUser {
			c.userWritten = encodeAll(user)
		}
		if encPw {
			c.pwWritten = encodeAll(pw)
		}
		cases = append(cases, c)
	}
	for _, ch := range reserved {
		for _, prefix := range []string{"Pw1Q", "5678"} {
			pw := prefix + ch + "Rx2S" + ch + "Ty3U"
			user := "Us1V" + ch + "Wz2X"
			for _, enc := range []bool{false, true} {
				form := map[bool]string{false: "raw", true: "encoded"}[enc]
				add(fmt.Sprintf("%q %s in password after %s", ch, form, prefix), "kuser", pw, false, enc)
				if ch == ":" && !enc {
					// A raw ':' ends the user: what follows is the password.
					add(fmt.Sprintf("':' raw in user ends it, password after %s", prefix), "Us1V", "Wz2X:"+pw, false, false)
					continue
				}
				add(fmt.Sprintf("%q %s in user, password after %s", ch, form, prefix), user, pw, enc, enc)
			}
		}
	}
	all := "Aa1" + strings.Join(reserved, "Bb2") + "Cc3"
	add("every reserved character raw", "kuser", all, false, false)
	add("every reserved character encoded", "kuser", all, false, true)
	add("every reserved character encoded in user and password", "Dd4"+strings.Join(reserved, "Ee5")+"Ff6", all, true, true)
	subDelims := "Gg7" + strings.Join(strings.Split(rawOK, ""), "Hh8") + "Ii9"
	add("every sub-delim and ':' raw", "kuser", subDelims, false, false)
	return cases
}

// mustBeEncoded reports whether s holds a character that needs percent-encoding in that part
// of the user info.
func mustBeEncoded(s, allowedRaw string) bool {
	for _, ch := range reserved {
		if strings.Contains(s, ch) && !strings.Contains(allowedRaw, ch) {
			return true
		}
	}
	return false
}

// TestParseUserinfoEveryReservedCharacter proves issue 9 case 2's parser half: a PostgreSQL
// URL whose user info holds reserved characters is either parsed exactly as intended (user and
// password equal to what was meant) or refused, and no 4-character piece of the password is in
// the error, the redacted URL, the host or the database name.
func TestParseUserinfoEveryReservedCharacter(t *testing.T) {
	var accepted, refused int
	for _, tc := range userinfoCases() {
		t.Run(tc.name, func(t *testing.T) {
			raw := "postgres://" + tc.userWritten + ":" + tc.pwWritten + "@127.0.0.1:5432/kdb?sslmode=disable"
			wantRefused := mustBeEncoded(tc.pwWritten, rawOK) && tc.pwWritten == tc.password ||
				mustBeEncoded(tc.userWritten, rawOKInUser) && tc.userWritten == tc.user
			u, err := Parse(raw)
			var shown string
			switch {
			case err != nil:
				refused++
				shown = err.Error()
				if !wantRefused {
					t.Errorf("Parse refused a well-formed URL: %v", err)
				}
				if !strings.Contains(shown, "percent-encode") {
					t.Errorf("the error does not say how to fix the URL: %v", err)
				}
			default:
				accepted++
				shown = strings.Join([]string{u.Redacted(), u.Host(), u.Database(), Redact(raw)}, " ")
				if wantRefused {
					t.Errorf("Parse accepted a URL with a raw character that must be encoded (user %q, password %q)", u.pg.User, u.pg.Password)
				}
				if u.pg.User != tc.user || u.pg.Password != tc.password {
					t.Errorf("parsed user %q password %q, want %q and %q", u.pg.User, u.pg.Password, tc.user, tc.password)
				}
				if u.Host() != "127.0.0.1:5432" || u.Database() != "kdb" {
					t.Errorf("parsed host %s database %s, want 127.0.0.1:5432 and kdb", u.Host(), u.Database())
				}
			}
			for _, p := range append(pieces(tc.password), pieces(tc.pwWritten)...) {
				if strings.Contains(shown, p) {
					t.Errorf("output shows %q, a piece of the password: %s", p, shown)
					break
				}
			}
		})
	}
	if accepted == 0 || refused == 0 {
		t.Errorf("%d URLs accepted and %d refused: the cases do not exercise both outcomes", accepted, refused)
	}
}

// TestParseRefusesAtOutsideTheUserinfo: an '@' after the authority is how a password with a
// raw '/', '?' or '#' looks; it is refused, naming the fix and no part of the URL.
func TestParseRefusesAtOutsideTheUserinfo(t *testing.T) {
	for _, raw := range []string{
		"postgres://kuser:1234/Secr3tPart@127.0.0.1/db",
		"postgres://kuser:1234?Secr3tPart@127.0.0.1/db",
		"postgres://kuser:1234#Secr3tPart@127.0.0.1/db",
		"postgres://Us1V/Secr3tPart:pw@127.0.0.1/db",
		"postgres://127.0.0.1/db?application_name=Secr3tPart@x",
		"postgres://kuser:Secr3tPart@127.0.0.1/db?password=%zzSecr3t",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := Parse(raw)
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if strings.Contains(err.Error(), "Secr") || strings.Contains(err.Error(), "1234") {
				t.Errorf("the error quotes the URL: %v", err)
			}
		})
	}
}

// TestRedactEveryAcceptedForm: Redact of every URL the parser accepts keeps no piece of the
// password, and that of a refused one neither (info prints it).
func TestRedactEveryAcceptedForm(t *testing.T) {
	for _, tc := range userinfoCases() {
		raw := "postgres://" + tc.userWritten + ":" + tc.pwWritten + "@127.0.0.1:5432/kdb"
		got := Redact(raw)
		if _, err := Parse(raw); err != nil {
			continue
		}
		for _, p := range pieces(tc.pwWritten) {
			if strings.Contains(got, p) {
				t.Errorf("%s: Redact(%q) = %q keeps %q", tc.name, raw, got, p)
				break
			}
		}
		if want := "postgres://" + tc.userWritten + "@127.0.0.1:5432/kdb"; got != want {
			t.Errorf("%s: Redact = %q, want %q", tc.name, got, want)
		}
	}
	if got := Redact("kuser:Secr3tPart@127.0.0.1/db"); strings.Contains(got, "Secr") {
		t.Errorf("Redact of a URL without a scheme keeps the password: %s", got)
	}
}

// TestParseRefusesControlCharacters: no dialect's URL may hold a control character (init would
// write a newline into .env as a line of its own), and the error quotes no part of the URL.
func TestParseRefusesControlCharacters(t *testing.T) {
	for _, raw := range []string{
		"sqlite://a.db\nKERNIA_SECRET=Secr3tPart",
		"sqlite://a.db\r",
		"sqlite://a\x00.db",
		"sqlite://a.db?_pragma=foreign_keys(1)\t",
		"postgres://kuser:Secr3tPart\n@127.0.0.1/db",
		"postgres://kuser:Secr3tPart@127.0.0.1/db\x7f",
		"postgres://kuser:Secr3tPart@127.0.0.1/db?sslmode=disable\u0085",
	} {
		t.Run(strconv.Quote(raw), func(t *testing.T) {
			_, err := Parse(raw)
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if !strings.Contains(err.Error(), "control character") {
				t.Errorf("the error does not name the rule: %v", err)
			}
			if strings.Contains(err.Error(), "Secr") || strings.Contains(err.Error(), "a.db") {
				t.Errorf("the error quotes the URL: %v", err)
			}
		})
	}
}
