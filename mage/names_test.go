package mage

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/kernia/kernia/internal/loader"
	"github.com/kernia/kernia/internal/spec"
)

// TestToolNames: the names this package spells itself, so as not to link the loader or the
// configuration's encoder into a magefile, are the kernia tool's.
func TestToolNames(t *testing.T) {
	assert.Equal(t, envMageTarget, loader.EnvMageTarget)
	assert.Equal(t, mageArg, spec.MageArg)
}
