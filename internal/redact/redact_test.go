package redact

import (
	"bytes"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
)

func TestStringOverlappingValuesLeaveNoPiece(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		text   string
		want   string
	}{
		{"one value", []string{"s3cret"}, "a s3cret b", "a [redacted] b"},
		{"short values are kept", []string{"abc"}, "abc", "abc"},
		{"shorter overlapping a longer on the left", []string{"qqqqabc", "abcdefgh"}, "xqqqqabcdefghx", "x[redacted]x"},
		{"shorter inside a longer", []string{"cdef", "abcdefgh"}, "abcdefgh cdef", "[redacted] [redacted]"},
		{"repeated and adjacent", []string{"zzzz"}, "zzzzzzzzz-zzzz", "[redacted]-[redacted]"},
		{"surrounding spaces trimmed too", []string{"  p4ss-w0rd "}, "pw p4ss-w0rd.", "pw [redacted]."},
		{"multi-line value line by line", []string{"line-one\nline-two"}, "x line-two y", "x [redacted] y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, String(tc.text, tc.values), tc.want)
		})
	}
}

func TestWriterCatchesValuesSplitAcrossWrites(t *testing.T) {
	const secret = "Zq7:Wx/Yv?Ut#Sr"
	text := "first line\nthe secret " + secret + " and again " + secret + "\nno newline at the end " + secret
	for _, chunk := range []int{1, 2, 3, 5, 7, 16, len(text)} {
		var out bytes.Buffer
		w := NewWriter(&out, NewSet(secret))
		for i := 0; i < len(text); i += chunk {
			n, err := w.Write([]byte(text[i:min(i+chunk, len(text))]))
			assert.NilError(t, err)
			assert.Equal(t, n, min(chunk, len(text)-i))
		}
		assert.NilError(t, w.Flush())
		assert.Equal(t, out.String(), strings.ReplaceAll(text, secret, Marker), "chunk %d", chunk)
	}
}

func TestWriterLongLineWithoutBreak(t *testing.T) {
	secret := "Long-Secret-Value-42"
	// A line longer than maxBuffered, with the secret straddling the point where the writer
	// must start writing without a line break.
	text := strings.Repeat("a", maxBuffered-5) + secret + strings.Repeat("b", maxBuffered) + secret
	var out bytes.Buffer
	w := NewWriter(&out, NewSet(secret))
	for i := 0; i < len(text); i += 4096 {
		_, err := w.Write([]byte(text[i:min(i+4096, len(text))]))
		assert.NilError(t, err)
	}
	assert.Check(t, out.Len() > 0, "a long line is written before its end")
	assert.NilError(t, w.Flush())
	assert.Equal(t, out.String(), strings.ReplaceAll(text, secret, Marker))
}

func TestPasswordsEveryForm(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want []string
	}{
		{"postgres://u:pl4in@h/db", []string{"pl4in"}},
		{"postgres://u:p%40ss%2Fw%3Fo%23rd@h/db", []string{"p%40ss%2Fw%3Fo%23rd", "p@ss/w?o#rd"}},
		{"postgres://u:a+b%20c@h/db", []string{"a+b%20c", "a+b c", "a b c"}},
		{"postgres://u:sp ace@h/db", []string{"sp ace", "sp%20ace", "sp+ace"}},
		{"postgres://u:Left9x@Right7y@h/db", []string{"Left9x", "Left9x@Right7y", "Right7y"}},
		{"postgres://u:1234/5678@h/db", []string{"1234/5678", "1234", "5678"}},
		{"postgres://u:a:b:cdef@h/db", []string{"a:b:cdef"}},
		{"postgres://h/db?user=u&password=qu3ry%21pw", []string{"qu3ry%21pw", "qu3ry!pw"}},
		{"mysql://u:my%40pw9@h:3306/db?tls=true", []string{"my%40pw9", "my@pw9"}},
		{"host=h password='sp ace\\'q' dbname=x", []string{"sp ace'q"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			got := Passwords(tc.url)
			for _, w := range tc.want {
				assert.Check(t, is.Contains(got, w))
			}
		})
	}
}

func TestCollect(t *testing.T) {
	t.Setenv(kernia.EnvSecret, "env-secret-1")
	t.Setenv(kernia.EnvSecrets, "ring-key-one, ring-key-two")
	t.Setenv(kernia.EnvDatabaseURL, "postgres://u:envpw%21@h/db")
	t.Setenv(kernia.EnvDevURL, "postgres://u:devpw@h/dev")
	auth := kernia.New(kernia.Options{DatabaseURL: "postgres://u:optpw@h/db", DevURL: "postgres://u:optdev@h/db"})
	got := Collect(auth, []string{"migrate", "--url", "postgres://u:argpw1@h/db", "-dev-url=postgres://u:argpw2@h/db"}, true)
	for _, w := range []string{"env-secret-1", "ring-key-one", "ring-key-two", "envpw%21", "envpw!", "devpw", "optpw", "optdev", "argpw1", "argpw2"} {
		assert.Check(t, is.Contains(got, w))
	}
	// Dev database lists: the password of every URL of the list, in the environment, in the
	// options and in an argument, whatever the whitespace between them.
	t.Setenv(kernia.EnvDevURL, "postgres://u:devpg1@h/dev\tmysql://root:devmy1@h:3306/ \n")
	auth = kernia.New(kernia.Options{DevURL: "mysql://root:optmy1@h:3306/dev  postgres://u:optpg1@h/dev"})
	got = Collect(auth, []string{"-dev-url=postgres://u:argpg1@h/dev mysql://u:argmy1@h/dev"}, false)
	for _, w := range []string{"devpg1", "devmy1", "optmy1", "optpg1", "argpg1", "argmy1"} {
		assert.Check(t, is.Contains(got, w))
	}
	const list = "postgres://u:devpg1@h/dev mysql://root:devmy1@h:3306/"
	assert.Equal(t, String("info: dev databases "+list, got), "info: dev databases postgres://u:"+Marker+"@h/dev mysql://root:"+Marker+"@h:3306/")
	// A list the parser refuses is read whole too: a raw space in a password.
	t.Setenv(kernia.EnvDevURL, "postgres://u:raw sp1@h/dev")
	assert.Check(t, is.Contains(Collect(nil, nil, false), "raw sp1"))
	got = Collect(nil, nil, false)
	assert.Check(t, !slicesContains(got, "ring-key-one"), "keys=false leaves the ring out")
	assert.Check(t, is.Contains(got, "envpw!"))
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestStringQuotedForms(t *testing.T) {
	const secret = `Ks1&Ks2<Ks3"Ks4\Ks5`
	for _, text := range []string{
		`{"problem": "Ks1\u0026Ks2\u003cKs3\"Ks4\\Ks5"}`,
		`{"problem": "Ks1&Ks2<Ks3\"Ks4\\Ks5"}`,
		`plugin id "Ks1&Ks2<Ks3\"Ks4\\Ks5" is not kebab-case`,
	} {
		got := String(text, []string{secret})
		assert.Check(t, !strings.Contains(got, "Ks"), "%s → %s", text, got)
	}
}

// TestEnvNames: the environment variables this package spells itself, so as not to import the
// root package, are kernia's.
func TestEnvNames(t *testing.T) {
	for _, tc := range [][2]string{
		{envSecret, kernia.EnvSecret}, {envSecrets, kernia.EnvSecrets}, {envDatabaseURL, kernia.EnvDatabaseURL},
		{envURL, kernia.EnvURL}, {envDevURL, kernia.EnvDevURL},
	} {
		if tc[0] != tc[1] {
			t.Errorf("redact spells %q, kernia %q", tc[0], tc[1])
		}
	}
}
