package keyring_test

import (
	"errors"
	"fmt"

	"github.com/kernia/kernia/keyring"
)

// Rotation: values signed before the rotation still verify; values signed by a key that was
// dropped from the ring are rejected by key id.
func Example() {
	// Keys as `kernia secret` prints them (never hard-code real ones).
	oldKey := "72e7a84e55125daab489fa30c036659a1bca0536890c3fa072b95f286e07738c"
	newKey := "64464e606bff3bfc0354e2671469b4b490cdb421986109248a169aba5d962311"

	before, _ := keyring.Parse("KERNIA_SECRET", oldKey)
	cookie, _ := before.Sign([]byte("session-42"))

	// After `kernia secret --rotate`: KERNIA_SECRETS=<new>,<old>.
	ring, _ := keyring.Parse("KERNIA_SECRETS", newKey+","+oldKey)
	v, err := ring.Verify(cookie)
	fmt.Println(string(v), err)

	// Once the old key is dropped, its values are refused.
	after, _ := keyring.Parse("KERNIA_SECRETS", newKey)
	_, err = after.Verify(cookie)
	fmt.Println(errors.Is(err, keyring.ErrUnknownKey))

	// Errors name the position of a bad key, never its value.
	_, err = keyring.Parse("KERNIA_SECRETS", newKey+",tooshort")
	fmt.Println(err)
	// Output:
	// session-42 <nil>
	// true
	// keyring: KERNIA_SECRETS: key 2 is too short: 8 characters, want at least 32 (make one with `kernia secret`)
}
