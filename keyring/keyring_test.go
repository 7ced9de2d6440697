package keyring

import (
	"bytes"
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

func TestStrength(t *testing.T) {
	for k, want := range map[string]string{
		k3:                         "strong",
		strings.Repeat("0", 64):    "weak",
		strings.Repeat("ab", 32):   "weak",
		k1[:32]:                    "strong", // 128 bits of hex
		strings.Repeat("x", 20):    "weak",
		"correct-horse-battery-st": "weak", // 24 characters
	} {
		if got := Strength(k); got != want {
			t.Errorf("Strength(%q) = %s (%d bits), want %s", k, got, EntropyBits(k), want)
		}
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
