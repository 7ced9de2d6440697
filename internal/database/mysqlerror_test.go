package database

import (
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestMySQLConnectErrorKeepsTheServersText: the server's own errors reach the message whole
// (the DSN redaction once took "…: Access denied for user 'u'@'host'" for user info and cut it
// to "Error 1698 (28000)@'host'"), both access-denied numbers say to check the user and
// password, and no password is printed.
func TestMySQLConnectErrorKeepsTheServersText(t *testing.T) {
	u, err := Parse("mysql://nobody:s3cret@127.0.0.1:3306/shop")
	assert.NilError(t, err)
	for _, tc := range []struct {
		err  *mysql.MySQLError
		want string
	}{
		{&mysql.MySQLError{Number: 1045, SQLState: [5]byte{'2', '8', '0', '0', '0'}, Message: "Access denied for user 'nobody'@'127.0.0.1' (using password: YES)"}, "access denied: check the user and password"},
		{&mysql.MySQLError{Number: 1698, SQLState: [5]byte{'2', '8', '0', '0', '0'}, Message: "Access denied for user 'nobody'@'127.0.0.1'"}, "access denied: check the user and password"},
		{&mysql.MySQLError{Number: 1040, SQLState: [5]byte{'0', '8', '0', '0', '4'}, Message: "Too many connections for 'nobody'@'127.0.0.1'"}, "cannot connect: Error 1040 (08004): Too many connections for 'nobody'@'127.0.0.1'"},
	} {
		msg := u.mysqlConnectError(tc.err).Error()
		assert.Check(t, is.Contains(msg, tc.want), msg)
		assert.Check(t, !strings.Contains(msg, "s3cret"), msg)
	}
}
