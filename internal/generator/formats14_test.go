package generator

import (
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/kernia/kernia"
)

// TestFormats14_FlagAndOption: --format and Options.MigrationFormat share one validator; the
// flag may say what the option says, or choose when the option is empty; a disagreement is
// refused, naming both.
func TestFormats14_FlagAndOption(t *testing.T) {
	for _, tc := range []struct {
		option, flag, want, err string
	}{
		{want: ""},
		{option: "goose", want: "goose"},
		{flag: "flyway", want: "flyway"},
		{option: "golang-migrate", flag: "golang-migrate", want: "golang-migrate"},
		{option: "goose", flag: "flyway", err: `generate: --format flyway disagrees with Options.MigrationFormat "goose": the option is the committed configuration`},
		{flag: "liquibase", err: `generate: --format: unknown migration format "liquibase": use one of atlas, golang-migrate, goose, flyway`},
	} {
		auth := kernia.New(kernia.Options{MigrationFormat: tc.option})
		assert.NilError(t, auth.Err())
		got, err := MigrationFormat(auth, tc.flag)
		if tc.err != "" {
			assert.Check(t, is.ErrorContains(err, tc.err))
			continue
		}
		assert.NilError(t, err)
		assert.Equal(t, string(got), tc.want)
	}
	err := kernia.New(kernia.Options{MigrationFormat: "dbmate"}).Err()
	assert.Check(t, is.ErrorContains(err, `kernia: Options.MigrationFormat: unknown migration format "dbmate"`))
}
