package migration

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gotest.tools/v3/assert"
)

func TestConnectionLost(t *testing.T) {
	tests := []struct {
		name string
		err  error
		lost bool
	}{
		{"admin shutdown (pg_terminate_backend)", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"wrapped", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "08003"}), true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"network", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, true},
		{"bad connection", driver.ErrBadConn, true},
		{"closed", errors.New("conn closed"), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"undefined table", &pgconn.PgError{Code: "42P01"}, false},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, false},
		{"cancelled", context.Canceled, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, connectionLost(tt.err), tt.lost)
		})
	}
}
