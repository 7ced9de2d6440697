package devurl

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestSplitAndContinued(t *testing.T) {
	tests := []struct {
		list      string
		words     []string
		continued int
	}{
		{"", []string{}, -1},
		{"postgres://a@h/d", []string{"postgres://a@h/d"}, -1},
		{" postgres://a@h/d\n\tmysql://b@h:3306/ ", []string{"postgres://a@h/d", "mysql://b@h:3306/"}, -1},
		{"postgres://a:s3c ret@h/d", []string{"postgres://a:s3c", "ret@h/d"}, 1},
		{"host=db password='x y'", []string{"host=db", "password='x", "y'"}, 1},
		{"garbage postgres://a@h/d", []string{"garbage", "postgres://a@h/d"}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.list, func(t *testing.T) {
			words := Split(tc.list)
			assert.DeepEqual(t, words, tc.words)
			assert.Equal(t, Continued(words), tc.continued)
		})
	}
}
