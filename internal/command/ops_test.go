package command

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func streams() (IO, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return IO{Stdout: &out, Stderr: &errb}, &out, &errb
}

func TestSecretOutput(t *testing.T) {
	io, out, errb := streams()
	assert.NilError(t, Secret(SecretFlags{}, io))
	assert.Check(t, regexp.MustCompile(`^KERNIA_SECRET=[0-9a-f]{64}\n$`).MatchString(out.String()), out.String())
	assert.Check(t, is.Contains(errb.String(), "--rotate"))
	key := strings.TrimSpace(strings.TrimPrefix(out.String(), "KERNIA_SECRET="))
	assert.Check(t, !strings.Contains(errb.String(), key))
}

func TestSecretRotate(t *testing.T) {
	old1, old2 := strings.Repeat("a1b2", 16), strings.Repeat("c3d4", 16)
	t.Setenv("KERNIA_SECRETS", "")
	t.Setenv("KERNIA_SECRET", "")
	io, _, _ := streams()
	assert.ErrorContains(t, Secret(SecretFlags{Rotate: true}, io), "nothing to rotate")

	t.Setenv("KERNIA_SECRET", old1)
	io, out, errb := streams()
	assert.NilError(t, Secret(SecretFlags{Rotate: true}, io))
	assert.Check(t, regexp.MustCompile(`^KERNIA_SECRETS=[0-9a-f]{64},`+old1+`\n$`).MatchString(out.String()), out.String())
	assert.Check(t, !strings.Contains(errb.String(), old1))

	t.Setenv("KERNIA_SECRETS", old2+", "+old1)
	io, out, _ = streams()
	assert.NilError(t, Secret(SecretFlags{Rotate: true}, io))
	assert.Check(t, regexp.MustCompile(`^KERNIA_SECRETS=[0-9a-f]{64},`+old2+`,`+old1+`\n$`).MatchString(out.String()), out.String())

	t.Setenv("KERNIA_SECRETS", old2+",short")
	io, out, _ = streams()
	err := Secret(SecretFlags{Rotate: true}, io)
	assert.ErrorContains(t, err, "key 2 is too short")
	assert.Check(t, !strings.Contains(err.Error(), old2))
	assert.Equal(t, out.String(), "")
}
