// Package redact removes secrets from everything Kernia prints, by value. It is the one
// redaction every front end uses: the kernia command, the loader program it builds, and the
// Mage targets wrap their standard output and standard error in a Writer, and the info report
// scrubs its text with the same Set.
//
// # What is secret
//
// Collect gathers the values: KERNIA_SECRET and every key of KERNIA_SECRETS; the passwords of
// KERNIA_DATABASE_URL, of every URL of the dev database lists KERNIA_DEV_URL and
// Options.DevURL, and of the instance's Options.DatabaseURL and Options.BaseURL; and the
// passwords of every URL given as an argument (--url, --dev-url, --database-url, Mage's
// -url=...), each word of an argument too. A password is taken in every form a parser or a printer
// may produce: as written, percent-decoded (path and query rules), re-encoded, and, for a URL
// whose user info holds a raw '@', '/', '?' or '#' (where parsers disagree on where the
// password ends), every reading of it and its pieces between those characters.
//
// # How it is removed
//
// Values shorter than MinLen are ignored (they would blank out ordinary words). Every
// occurrence of every value is marked in the text, overlapping ones included, and each run of
// marked bytes becomes one Marker: a shorter value overlapping a longer one cannot leave a
// piece of either behind. A Writer buffers up to the end of a line, so a value split across two
// Write calls is still caught.
package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kernia/kernia/internal/devurl"
)

// The environment variables of the secrets and URLs, as package kernia names them (EnvSecret,
// …): redact does not import the root package, so that the Mage targets, which use it, link
// nothing of Kernia's options.
const (
	envSecret      = "KERNIA_SECRET"
	envSecrets     = "KERNIA_SECRETS"
	envDatabaseURL = "KERNIA_DATABASE_URL"
	envURL         = "KERNIA_URL"
	envDevURL      = "KERNIA_DEV_URL"
)

// Instance is what the redaction reads of an auth instance (a *kernia.Auth): the URLs its
// options resolve to (an option, else the environment's, else the default).
type Instance interface {
	DatabaseURL() string
	BaseURL() string
	DevURL() string
}

// MinLen is the length of the shortest value redacted.
const MinLen = 4

// Marker replaces each redacted run of text.
const Marker = "[redacted]"

// Set is a set of secret values. It is safe for concurrent use; values may be added while
// Writers use it.
type Set struct {
	mu     sync.RWMutex
	values []string // unique, at least MinLen bytes, longest first
}

// NewSet returns a set holding values.
func NewSet(values ...string) *Set {
	s := &Set{}
	s.Add(values...)
	return s
}

// Add adds values to the set. A value holding a line break is also added line by line, so a
// Writer, which works a line at a time, removes every line of it.
func (s *Set) Add(values ...string) {
	var add []string
	for _, v := range values {
		add = append(add, v, strings.TrimSpace(v))
		if strings.ContainsAny(v, "\r\n") {
			add = append(add, strings.FieldsFunc(v, func(r rune) bool { return r == '\r' || r == '\n' })...)
		}
		add = append(add, quoted(v)...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range add {
		if len(v) >= MinLen && !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
		}
	}
	slices.SortStableFunc(s.values, func(a, b string) int { return len(b) - len(a) })
}

// quoted returns v as it appears inside a JSON string (with and without HTML escaping:
// encoding/json writes '&' as \u0026) and inside a Go-quoted string (%q, strconv.Quote).
func quoted(v string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(v) == nil {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(b.String()), `"`), `"`))
		}
	}
	q := strconv.Quote(v)
	return append(out, q[1:len(q)-1])
}

// Values returns the values of the set, longest first.
func (s *Set) Values() []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.values)
}

// String returns text with every value of the set replaced.
func (s *Set) String(text string) string {
	return string(s.bytes([]byte(text), s.Values()))
}

func (s *Set) bytes(text []byte, values []string) []byte {
	runs := cover(text, values)
	if len(runs) == 0 {
		return text
	}
	out := make([]byte, 0, len(text))
	last := 0
	for _, r := range runs {
		out = append(append(out, text[last:r[0]]...), Marker...)
		last = r[1]
	}
	return append(out, text[last:]...)
}

// String returns text with every one of values (those of at least MinLen bytes) replaced.
func String(text string, values []string) string {
	return NewSet(values...).String(text)
}

// cover returns the sorted, merged [start, end) runs of text covered by an occurrence of any
// value.
func cover(text []byte, values []string) [][2]int {
	var runs [][2]int
	for _, v := range values {
		for off := 0; off < len(text); {
			i := bytes.Index(text[off:], []byte(v))
			if i < 0 {
				break
			}
			runs = append(runs, [2]int{off + i, off + i + len(v)})
			off += i + 1
		}
	}
	if len(runs) == 0 {
		return nil
	}
	slices.SortFunc(runs, func(a, b [2]int) int { return a[0] - b[0] })
	merged := runs[:1]
	for _, r := range runs[1:] {
		if last := &merged[len(merged)-1]; r[0] <= last[1] {
			last[1] = max(last[1], r[1])
		} else {
			merged = append(merged, r)
		}
	}
	return merged
}

// maxBuffered bounds what a Writer holds back while it waits for the end of a line.
const maxBuffered = 64 << 10

// Writer writes to an underlying writer with every value of a Set replaced. It holds text back
// until the end of a line (or until maxBuffered bytes are waiting), so a value split across
// Write calls is still caught; Flush writes what is left. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	set *Set
	buf []byte
}

// NewWriter returns a Writer that redacts set's values from what it writes to w.
func NewWriter(w io.Writer, set *Set) *Writer {
	return &Writer{w: w, set: set}
}

// Write buffers p and writes every complete line, redacted. It reports len(p) written unless
// the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	n := bytes.LastIndexByte(w.buf, '\n') + 1
	if n == 0 && len(w.buf) > maxBuffered {
		n = w.safeCut()
	}
	if n == 0 {
		return len(p), nil
	}
	if err := w.emit(n); err != nil {
		return 0, err
	}
	return len(p), nil
}

// safeCut returns how much of a long line without a line break may be written now: all but
// the last bytes that could begin a value, and never inside a value.
func (w *Writer) safeCut() int {
	values := w.set.Values()
	longest := 0
	if len(values) > 0 {
		longest = len(values[0])
	}
	cut := len(w.buf) - max(longest-1, 0)
	for _, r := range cover(w.buf, values) {
		if r[0] < cut && cut < r[1] {
			cut = r[0]
		}
	}
	return cut
}

func (w *Writer) emit(n int) error {
	// out may share w.buf's memory: write it before the rest moves to the front.
	out := w.set.bytes(w.buf[:n], w.set.Values())
	_, err := w.w.Write(out)
	w.buf = w.buf[:copy(w.buf, w.buf[n:])]
	return err
}

// Flush writes whatever is buffered, redacted.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	return w.emit(len(w.buf))
}

// Collect returns the secret values of a command: the key ring from the environment (unless
// keys is false: `secret --rotate` prints the ring it extends), the passwords of the database
// URLs of the environment and of the instance's options (auth may be nil: pass a nil
// interface, not a nil *kernia.Auth), and the passwords of every URL among args.
func Collect(auth Instance, args []string, keys bool) []string {
	var out []string
	if keys {
		out = Keys()
	}
	urls := []string{os.Getenv(envDatabaseURL), os.Getenv(envURL)}
	devLists := []string{os.Getenv(envDevURL)}
	if auth != nil {
		urls = append(urls, auth.DatabaseURL(), auth.BaseURL())
		devLists = append(devLists, auth.DevURL())
	}
	for _, l := range devLists {
		urls = append(urls, listURLs(l)...)
	}
	for _, a := range ArgURLs(args) {
		urls = append(urls, listURLs(a)...)
	}
	for _, u := range urls {
		out = append(out, Passwords(u)...)
	}
	return out
}

// listURLs returns the URLs whose passwords a value holding a dev database list has: each word
// (devurl.Split: one URL per dialect, separated by whitespace), and, for a single word or a
// list whose words do not each start a URL (a keyword/value DSN, a URL whose password holds a
// raw space: devurl.Continued), the whole value too, read as one URL or DSN. A list of several
// URLs is never read whole: its words would read as pieces of one ambiguous password
// ("h:3306") and be blanked out wherever they appear.
func listURLs(v string) []string {
	words := devurl.Split(v)
	if len(words) < 2 || devurl.Continued(words) >= 0 {
		return append(words, v)
	}
	return words
}

// Keys returns KERNIA_SECRET and every key of KERNIA_SECRETS, as written and trimmed.
func Keys() []string {
	out := []string{os.Getenv(envSecret), os.Getenv(envSecrets)}
	for _, k := range strings.Split(os.Getenv(envSecrets), ",") {
		out = append(out, k, strings.TrimSpace(k))
	}
	return out
}

// ArgURLs returns every argument, or flag value (--url=V, -url=V, or the argument after a
// flag), that holds "://" or "password=".
func ArgURLs(args []string) []string {
	var out []string
	for _, a := range args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			a = v
		}
		if strings.Contains(a, "://") || strings.Contains(strings.ToLower(a), "password=") {
			out = append(out, a)
		}
	}
	return out
}

// Passwords returns the password of a database URL or keyword/value DSN in every form output
// may hold it: as written, percent-decoded by the path and the query rules, and re-encoded.
// For a URL whose user info is ambiguous (a raw '@', '/', '?' or '#'), it returns the password
// of every reading and the pieces of the password between those characters.
func Passwords(raw string) []string {
	var written []string
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 && validScheme(raw[:i]) {
		rest = raw[i+3:]
	}
	// Every '@' may be the end of the user info: parsers disagree when the password holds
	// a raw '@', '/', '?' or '#'.
	for at := 0; at < len(rest); at++ {
		if rest[at] != '@' {
			continue
		}
		userinfo := rest[:at]
		if _, pw, ok := strings.Cut(userinfo, ":"); ok {
			written = append(written, pw)
			if strings.ContainsAny(pw, "@/?#") {
				written = append(written, strings.FieldsFunc(pw, func(r rune) bool { return strings.ContainsRune("@/?#", r) })...)
			}
		}
	}
	for _, m := range passwordParam.FindAllStringSubmatch(raw, -1) {
		v := m[1]
		if strings.HasPrefix(v, "'") {
			written = append(written, v, strings.Trim(v, "'"))
			v = strings.NewReplacer(`\'`, "'", `\\`, `\`).Replace(strings.Trim(v, "'"))
		}
		written = append(written, v)
	}
	var out []string
	for _, pw := range written {
		out = append(out, forms(pw)...)
	}
	return out
}

// validScheme reports whether s is a URL scheme by RFC 3986.
func validScheme(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	return strings.Trim(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789+-.") == ""
}

// forms returns pw as written, decoded and re-encoded.
func forms(pw string) []string {
	out := []string{pw}
	var decoded []string
	if d, err := url.PathUnescape(pw); err == nil {
		decoded = append(decoded, d)
	}
	if d, err := url.QueryUnescape(pw); err == nil {
		decoded = append(decoded, d)
	}
	for _, d := range decoded {
		out = append(out, d, url.QueryEscape(d), url.PathEscape(d), strings.TrimPrefix(url.UserPassword("", d).String(), ":"))
	}
	return out
}

// passwordParam matches password=value in a query string or a keyword/value DSN, quoted or not.
var passwordParam = regexp.MustCompile(`(?i)(?:^|[\s?&])password=('(?:[^'\\]|\\.)*'|[^\s&#]*)`)

// Recover runs f, turning a panic into an error that carries the panic's value and stack, so
// a bug (in Kernia or a plugin) is reported like any failure, through the same redaction.
func Recover(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("internal error (a bug in kernia or a plugin; please report it with this message): %v\n%s", v, debug.Stack())
		}
	}()
	return f()
}

// Outputs wraps a command's standard output and standard error in Writers over the secrets of
// the command (Collect): auth may be nil, args are the command's arguments. The standard
// output of `secret` keeps the key ring (printing it is that command's job); everything else
// is redacted. Add adds the secrets of a .env loaded later; Flush must be called at the end.
type Outputs struct {
	// Stdout and Stderr are the redacting writers.
	Stdout, Stderr *Writer
	// All holds every secret; Stderr redacts them and errors are scrubbed with it.
	All *Set
	out *Set
}

// NewOutputs returns the redacting writers of a command named name (the first argument).
func NewOutputs(name string, auth Instance, args []string, stdout, stderr io.Writer) *Outputs {
	o := &Outputs{All: NewSet()}
	o.out = o.All
	if name == "secret" {
		o.out = NewSet()
	}
	o.Stdout, o.Stderr = NewWriter(stdout, o.out), NewWriter(stderr, o.All)
	o.Add(auth, args)
	return o
}

// Add collects the secrets of auth and args (Collect) again, after the environment changed
// (a .env loaded) or once the instance is known.
func (o *Outputs) Add(auth Instance, args []string) {
	o.All.Add(Collect(auth, args, true)...)
	if o.out != o.All {
		o.out.Add(Collect(auth, args, false)...)
	}
}

// Flush flushes both writers.
func (o *Outputs) Flush() {
	_ = o.Stdout.Flush()
	_ = o.Stderr.Flush()
}
