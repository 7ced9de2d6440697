// Package keyring signs and verifies values with a ring of secret keys, so that a secret can be
// rotated without invalidating what the previous secret signed.
//
// # The ring
//
// A ring is an ordered list of keys, read from KERNIA_SECRETS (comma-separated, newest first)
// or, when that is unset, from the single key KERNIA_SECRET. The first key signs; every key
// verifies. `kernia secret --rotate` prints a new ring with a fresh key in front of the current
// ones; once everything signed with an old key has expired, drop that key from the end.
//
// A key is its text, used as bytes (`kernia secret` prints 64 hex characters: 32 random bytes).
// A key shorter than MinKeyLen characters, an empty key (a stray comma) and a key listed twice
// are errors that name the key's position, never its value. Strength rates a key "strong" or
// "weak" from EntropyBits, an estimate that counts repetition, sequences and keyboard runs for
// little (`kernia info` reports it; `info --strict` refuses a weak signing key).
//
// # Signed values
//
// Sign returns "<payload>.<key id>.<mac>": the payload is the value in unpadded base64url, the
// key id is 8 hex characters derived from the signing key (SHA-256 of a fixed label and the key,
// truncated: it identifies the key without revealing anything usable about it), and the MAC is
// HMAC-SHA256 over "<payload>.<key id>" in unpadded base64url. Verify looks the key up by its id
// and checks one MAC: a value signed by a key no longer in the ring is rejected with
// ErrUnknownKey without trying the other keys.
//
// A signed value has exactly one valid encoding: Verify decodes strictly (RFC 4648 canonical
// base64url without padding), so a value with padding, '+' or '/', whitespace or line breaks,
// or a last character whose unused low bits are set is ErrMalformed, even where a lenient
// decoder would return the same bytes.
package keyring

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Environment variables the ring is read from.
const (
	EnvSecrets = "KERNIA_SECRETS"
	EnvSecret  = "KERNIA_SECRET"
)

// MinKeyLen is the minimum length of a key, in characters.
const MinKeyLen = 32

// KeyBytes is the number of random bytes in a key made by NewKey.
const KeyBytes = 32

// Errors returned by Verify. Both mean the value must not be trusted.
var (
	// ErrMalformed: the value is not of the form payload.keyid.mac.
	ErrMalformed = errors.New("keyring: malformed signed value")
	// ErrUnknownKey: the value was signed by a key that is not in the ring (rotated out).
	ErrUnknownKey = errors.New("keyring: signed by a key that is not in the ring")
	// ErrInvalid: the MAC does not match (the value or its signature was altered).
	ErrInvalid = errors.New("keyring: invalid signature")
)

// ErrNoSecret is returned by FromEnv when neither variable is set.
var ErrNoSecret = errors.New("keyring: neither " + EnvSecrets + " nor " + EnvSecret + " is set: run `kernia secret` and put its output in your environment or .env")

// Ring is a parsed key ring. The zero value has no keys and signs nothing.
type Ring struct {
	keys []key
	byID map[string]int
}

type key struct {
	id     string
	secret []byte
}

// NewKey returns a fresh key: KeyBytes bytes from crypto/rand as lowercase hex.
func NewKey() (string, error) {
	b := make([]byte, KeyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("keyring: read random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// FromEnv parses the ring in KERNIA_SECRETS, else the single key in KERNIA_SECRET. It also
// returns the name of the variable it read.
func FromEnv() (*Ring, string, error) {
	for _, name := range []string{EnvSecrets, EnvSecret} {
		if v, ok := os.LookupEnv(name); ok && v != "" {
			r, err := Parse(name, v)
			return r, name, err
		}
	}
	return nil, "", ErrNoSecret
}

// Parse parses a comma-separated list of keys, newest (signing) key first. source names the
// list in errors, e.g. "KERNIA_SECRETS"; errors name positions (1-based), never values.
func Parse(source, list string) (*Ring, error) {
	parts := strings.Split(list, ",")
	var errs []error
	r := &Ring{byID: make(map[string]int, len(parts))}
	seen := map[string]int{}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		pos := i + 1
		switch {
		case p == "":
			errs = append(errs, fmt.Errorf("keyring: %s: key %d is empty (a stray comma?)", source, pos))
			continue
		case len(p) < MinKeyLen:
			errs = append(errs, fmt.Errorf("keyring: %s: key %d is too short: %d characters, want at least %d (make one with `kernia secret`)", source, pos, len(p), MinKeyLen))
			continue
		}
		if j, dup := seen[p]; dup {
			errs = append(errs, fmt.Errorf("keyring: %s: keys %d and %d are the same", source, j, pos))
			continue
		}
		seen[p] = pos
		k := key{id: keyID([]byte(p)), secret: []byte(p)}
		if j, clash := r.byID[k.id]; clash {
			errs = append(errs, fmt.Errorf("keyring: %s: keys %d and %d have the same key id: replace one of them", source, j+1, pos))
			continue
		}
		r.byID[k.id] = len(r.keys)
		r.keys = append(r.keys, k)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// keyID derives a key's public identifier.
func keyID(secret []byte) string {
	h := sha256.New()
	h.Write([]byte("kernia keyring key id\x00"))
	h.Write(secret)
	return hex.EncodeToString(h.Sum(nil)[:4])
}

// Len returns the number of keys.
func (r *Ring) Len() int { return len(r.keys) }

// IDs returns the key ids in ring order; the first is the signing key's.
func (r *Ring) IDs() []string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

// Sign signs value with the first key.
func (r *Ring) Sign(value []byte) (string, error) {
	if len(r.keys) == 0 {
		return "", errors.New("keyring: the ring has no keys")
	}
	k := r.keys[0]
	signed := base64.RawURLEncoding.EncodeToString(value) + "." + k.id
	return signed + "." + base64.RawURLEncoding.EncodeToString(mac(k.secret, signed)), nil
}

// Verify checks a value made by Sign with any key of the ring and returns the original value.
func (r *Ring) Verify(signed string) ([]byte, error) {
	i := strings.LastIndexByte(signed, '.')
	if i < 0 {
		return nil, ErrMalformed
	}
	body, sig := signed[:i], signed[i+1:]
	j := strings.LastIndexByte(body, '.')
	if j < 0 {
		return nil, ErrMalformed
	}
	payload, id := body[:j], body[j+1:]
	got, err := decode(sig)
	if err != nil || len(got) != sha256.Size {
		return nil, ErrMalformed
	}
	value, err := decode(payload)
	if err != nil {
		return nil, ErrMalformed
	}
	n, ok := r.byID[id]
	if !ok {
		return nil, ErrUnknownKey
	}
	if !hmac.Equal(got, mac(r.keys[n].secret, body)) {
		return nil, ErrInvalid
	}
	return value, nil
}

// strict is the one encoding Sign writes: unpadded base64url whose unused low bits in the last
// character are zero.
var strict = base64.RawURLEncoding.Strict()

// decode decodes s, accepting only the encoding Sign writes, so a signed value has exactly one
// valid spelling: no padding, no characters of other alphabets ('+', '/'), no line breaks or
// other whitespace (which the base64 package skips even in strict mode), and no set bits
// beyond the last byte.
func decode(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, ErrMalformed
		}
	}
	return strict.DecodeString(s)
}

func mac(secret []byte, msg string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
