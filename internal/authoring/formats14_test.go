package authoring

import (
	"context"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/command"
)

// TestFormats14_UnknownFormatIsUsage: generate --format with an unknown name is a usage error
// (exit 2) naming the flag and the formats, before anything runs; stdout stays empty.
func TestFormats14_UnknownFormatIsUsage(t *testing.T) {
	io, out, _ := streams()
	err := Generate(context.Background(), kernia.New(kernia.Options{}), GenerateFlags{Format: "liquibase"}, io)
	assert.Check(t, is.ErrorContains(err, `generate: --format: unknown migration format "liquibase": use one of atlas, golang-migrate, goose, flyway`))
	assert.Equal(t, command.ExitCode(err), 2)
	assert.Equal(t, out.String(), "")
}
