package keyring

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
)

var (
	k1 = strings.Repeat("0123456789abcdef", 4)
	k2 = strings.Repeat("fedcba9876543210", 4)
	k3 = "9f2c4e1a7b3d5f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"
)

func TestNewKey(t *testing.T) {
	a, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewKey()
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a) || a == b {
		t.Fatalf("NewKey: %q, %q", a, b)
	}
	if Strength(a) != "strong" {
		t.Errorf("a fresh key rates %s", Strength(a))
	}
}

func TestParseErrors(t *testing.T) {
	short := "abc123"
	tests := []struct {
		name, list string
		want       []string
	}{
		{"empty", "", []string{"key 1 is empty"}},
		{"trailing comma", k1 + ",", []string{"key 2 is empty"}},
		{"short", k1 + "," + short, []string{"key 2 is too short: 6 characters"}},
		{"duplicate", k1 + "," + k2 + "," + k1, []string{"keys 1 and 3 are the same"}},
		{"several", " ," + short + "," + k1 + "," + k1, []string{"key 1 is empty", "key 2 is too short", "keys 3 and 4 are the same"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("KERNIA_SECRETS", tc.list)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, v := range []string{k1, k2, short} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q contains a key", err)
				}
			}
		})
	}
}

func TestSignVerifyRotation(t *testing.T) {
	old, err := Parse("KERNIA_SECRET", k1)
	if err != nil {
		t.Fatal(err)
	}
	signedOld, err := old.Sign([]byte("session-123"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(signedOld, k1) {
		t.Fatal("the signed value contains the key")
	}
	// Rotate: a new key in front; the old one still verifies.
	ring, err := Parse("KERNIA_SECRETS", k2+", "+k1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Verify(signedOld); err != nil || string(got) != "session-123" {
		t.Fatalf("Verify(old) = %q, %v", got, err)
	}
	signedNew, _ := ring.Sign([]byte("session-456"))
	if ring.IDs()[0] != strings.Split(signedNew, ".")[1] {
		t.Errorf("the first key did not sign: %s, ids %v", signedNew, ring.IDs())
	}
	if _, err := old.Verify(signedNew); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old ring verifies a value of the new key: %v", err)
	}
	// Drop the old key: its values are now from an unknown key.
	newOnly, _ := Parse("KERNIA_SECRETS", k2)
	if _, err := newOnly.Verify(signedOld); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify after dropping the key: %v, want ErrUnknownKey", err)
	}
	// Tampering.
	parts := strings.Split(signedNew, ".")
	tampered := "c2Vzc2lvbi03ODk." + parts[1] + "." + parts[2]
	if _, err := ring.Verify(tampered); !errors.Is(err, ErrInvalid) {
		t.Errorf("tampered payload: %v, want ErrInvalid", err)
	}
	for _, bad := range []string{"", "abc", "a.b", "a.b.c", parts[0] + "." + parts[1] + ".!!"} {
		if _, err := ring.Verify(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvSecrets, "")
	t.Setenv(EnvSecret, "")
	if _, _, err := FromEnv(); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("no secret: %v", err)
	}
	t.Setenv(EnvSecret, k1)
	r, src, err := FromEnv()
	if err != nil || src != EnvSecret || r.Len() != 1 {
		t.Fatalf("KERNIA_SECRET: %v %s %v", r, src, err)
	}
	t.Setenv(EnvSecrets, k2+","+k1)
	r, src, err = FromEnv()
	if err != nil || src != EnvSecrets || r.Len() != 2 {
		t.Fatalf("KERNIA_SECRETS wins: %v %s %v", r, src, err)
	}
}

// TestSecrets7_StrengthCountsRepetitionAndSequences: repetition (a period, a repeated
// character, a copied block), sequences (abcde…, 0123…, steps of 2) and keyboard runs make a
// key weak, however long and whatever its alphabet; random keys of 64 hex characters (what
// `kernia secret` prints) are strong.
func TestSecrets7_StrengthCountsRepetitionAndSequences(t *testing.T) {
	random, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
		want      string
		maxBits   int // for weak keys: the estimate is at most this
	}{
		{"kernia secret output", random, "strong", 0},
		{"a fixed random hex key", k3, "strong", 0},
		{"random base64url", "q3J9xZ_lT0e-Vb7NwRkYh2sFmPuC4aQdGi8oL1tWn5M", "strong", 0},
		{"abcd×16", strings.Repeat("abcd", 16), "weak", 40},
		{"0123456789abcdef×4", strings.Repeat("0123456789abcdef", 4), "weak", 40},
		{"0123456789abcdef×2 (32 characters)", strings.Repeat("0123456789abcdef", 2), "weak", 40},
		{"a×64", strings.Repeat("a", 64), "weak", 20},
		{"0×64", strings.Repeat("0", 64), "weak", 20},
		{"ab×32", strings.Repeat("ab", 32), "weak", 20},
		{"ab12×16", strings.Repeat("ab12", 16), "weak", 40},
		{"a random 8 hex characters, period 8", strings.Repeat(k3[:8], 8), "weak", 60},
		{"a random 16 hex characters twice", k3[:16] + k3[:16], "weak", 100},
		{"keyboard rows", "qwertyuiopasdfghjklzxcvbnm1234567890", "weak", 80},
		{"keyboard rows backwards and shifted", "POIUYTREWQ)(*&^%$#@!LKJHGFDSA:MNBVCXZ", "weak", 80},
		{"alphabet", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "weak", 60},
		{"steps of 2 and 3", "acegikmoqsuwy02468adgjmpsvy147", "weak", 80},
		{"descending digits and letters", "9876543210zyxwvutsrqponmlkjihgfedcba", "weak", 60},
		{"random block then repeated characters", k3[:16] + strings.Repeat("x", 48), "weak", 120},
		{"too short, however random", k3[:20], "weak", 0},
		{"fewer than 10 distinct characters", "0110100110010110011010010110100110010110011010011001011001101001", "weak", 0},
		{"empty", "", "weak", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bits := EntropyBits(tc.key)
			if got := Strength(tc.key); got != tc.want {
				t.Errorf("Strength(%q) = %s (%d bits), want %s", tc.key, got, bits, tc.want)
			}
			if tc.maxBits > 0 && bits > tc.maxBits {
				t.Errorf("EntropyBits(%q) = %d, want at most %d", tc.key, bits, tc.maxBits)
			}
		})
	}
}

// TestSecrets7_RandomKeysRateStrong: 2000 keys from NewKey all rate strong, with at least 200
// bits: the estimate does not count the chance structure of random keys against them.
func TestSecrets7_RandomKeysRateStrong(t *testing.T) {
	for i := range 2000 {
		k, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if bits := EntropyBits(k); bits < 200 || Strength(k) != "strong" {
			t.Fatalf("key %d %q rates %s (%d bits)", i, k, Strength(k), bits)
		}
	}
}

// TestSecrets7_LongKeysRatedInBoundedWork: a key far longer than MaxRatedLen is rated on its
// first MaxRatedLen characters: repetitive stays weak, random stays strong.
func TestSecrets7_LongKeysRatedInBoundedWork(t *testing.T) {
	var random strings.Builder
	for random.Len() < 4*MaxRatedLen {
		k, _ := NewKey()
		random.WriteString(k)
	}
	for _, tc := range []struct{ key, want string }{
		{strings.Repeat("abcd", 100_000), "weak"},
		{random.String(), "strong"},
	} {
		if got := Strength(tc.key); got != tc.want {
			t.Errorf("Strength of a %d-character key = %s (%d bits), want %s", len(tc.key), got, EntropyBits(tc.key), tc.want)
		}
	}
}

// TestSecrets7_SignedValueHasOneEncoding: Verify accepts only the exact encoding Sign wrote.
// Changing the unused low bits of the last character (a lenient decoder returns the same
// bytes), adding padding, using the other alphabet ('+', '/') or adding whitespace or a line
// break, in the MAC or the payload, is ErrMalformed.
func TestSecrets7_SignedValueHasOneEncoding(t *testing.T) {
	ring, err := Parse("KERNIA_SECRET", k3)
	if err != nil {
		t.Fatal(err)
	}
	// 5 bytes: 7 characters carrying 2 unused bits; the MAC: 32 bytes, 43 characters, 2 unused.
	value := []byte("hi?>~")
	signed, err := ring.Sign(value)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Verify(signed); err != nil || !bytes.Equal(got, value) {
		t.Fatalf("Verify(Sign) = %q, %v", got, err)
	}
	parts := strings.Split(signed, ".")
	payload, id, sig := parts[0], parts[1], parts[2]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// lastBitsFlipped changes the unused low bits of s's last character.
	lastBitsFlipped := func(t *testing.T, s string, bits int) string {
		t.Helper()
		v := strings.IndexByte(alphabet, s[len(s)-1])
		out := s[:len(s)-1] + string(alphabet[v^bits])
		lenient, err := base64.RawURLEncoding.DecodeString(out)
		orig, _ := base64.RawURLEncoding.DecodeString(s)
		if err != nil || !bytes.Equal(lenient, orig) {
			t.Fatalf("the flipped %q does not decode leniently to the same bytes: %v", out, err)
		}
		return out
	}
	// toStdAlphabet spells a string with '+' and '/' where it has '-' and '_'.
	toStdAlphabet := strings.NewReplacer("-", "+", "_", "/")
	tests := []struct {
		name   string
		signed func(t *testing.T) string
		want   error // nil: ErrMalformed
	}{
		{"MAC: last character's low bit set", func(t *testing.T) string {
			return payload + "." + id + "." + lastBitsFlipped(t, sig, 1)
		}, nil},
		{"MAC: last character's two unused bits set", func(t *testing.T) string {
			return payload + "." + id + "." + lastBitsFlipped(t, sig, 3)
		}, nil},
		{"payload: last character's low bit set", func(t *testing.T) string {
			return lastBitsFlipped(t, payload, 1) + "." + id + "." + sig
		}, nil},
		{"MAC: padding added", func(*testing.T) string { return signed + "=" }, nil},
		{"payload: padding added", func(*testing.T) string { return payload + "=." + id + "." + sig }, nil},
		{"MAC: standard alphabet", func(t *testing.T) string {
			std := toStdAlphabet.Replace(sig)
			if std == sig {
				t.Fatalf("MAC %q has no '-' or '_': choose another value", sig)
			}
			return payload + "." + id + "." + std
		}, nil},
		{"payload: standard alphabet", func(t *testing.T) string {
			std := toStdAlphabet.Replace(payload)
			if std == payload {
				t.Fatalf("payload %q has no '-' or '_': choose another value", payload)
			}
			return std + "." + id + "." + sig
		}, nil},
		{"MAC: line break inside", func(*testing.T) string { return payload + "." + id + "." + sig[:10] + "\n" + sig[10:] }, nil},
		{"MAC: carriage return at the end", func(*testing.T) string { return signed + "\r" }, nil},
		{"payload: space inside", func(*testing.T) string { return payload[:3] + " " + payload[3:] + "." + id + "." + sig }, nil},
		{"payload: tab at the start", func(*testing.T) string { return "\t" + signed }, nil},
		{"key id in upper case", func(*testing.T) string { return payload + "." + strings.ToUpper(id) + "." + sig }, ErrUnknownKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.signed(t)
			if bad == signed {
				t.Fatalf("the case did not change the value")
			}
			got, err := ring.Verify(bad)
			if err == nil {
				t.Fatalf("Verify(%q) accepted %q", bad, got)
			}
			want := cmp.Or(tc.want, ErrMalformed)
			if !errors.Is(err, want) {
				t.Errorf("Verify(%q) = %v, want %v", bad, err, want)
			}
		})
	}
}

// FuzzVerify: Verify never panics, and accepts only what the ring signed.
func FuzzVerify(f *testing.F) {
	ring, err := Parse("KERNIA_SECRETS", k3+","+k1)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := ring.Sign([]byte("hello"))
	f.Add(good, []byte("hello"))
	f.Add("a.b.c", []byte{})
	f.Add("..", []byte{0})
	f.Fuzz(func(t *testing.T, s string, value []byte) {
		signed, err := ring.Sign(value)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ring.Verify(signed)
		if err != nil || !bytes.Equal(got, value) {
			t.Fatalf("round trip of %q: %q, %v", value, got, err)
		}
		if _, err := ring.Verify(s); err == nil && s != good && s != signed {
			t.Fatalf("Verify accepted %q, which the ring did not sign", s)
		}
	})
}
