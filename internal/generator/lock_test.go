package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// TestLockWaitsSaysWhoAndIsInterruptible: a second acquirer (another open file description,
// as another process has) waits, names the holder's pid once, and gives up at its bound or
// at its context's end; once the holder releases, it gets the lock.
func TestLockWaitsSaysWhoAndIsInterruptible(t *testing.T) {
	t.Chdir(t.TempDir())
	held, err := acquireLock(context.Background(), nil, time.Second)
	assert.NilError(t, err)
	b, err := os.ReadFile(LockFile)
	assert.NilError(t, err)
	assert.Equal(t, string(b), fmt.Sprintf("%d\n", os.Getpid()))
	waiting := fmt.Sprintf("generate: waiting for another generate in this module (pid %d) to finish\n", os.Getpid())

	for _, c := range []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wait    time.Duration
		wantErr string
		cause   error
	}{
		{"bounded", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			200 * time.Millisecond, "still holds .kernia/generate.lock after 200ms", nil},
		{"interrupted", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(200*time.Millisecond, func() { cancel(errors.New("received SIGINT")) })
			return ctx, func() { cancel(nil) }
		}, time.Minute, "generate: interrupted (received SIGINT) while waiting for another generate; nothing was written", context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := c.ctx()
			defer cancel()
			var log bytes.Buffer
			_, err := acquireLock(ctx, &log, c.wait)
			assert.ErrorContains(t, err, c.wantErr)
			assert.Equal(t, log.String(), waiting)
			if c.cause != nil {
				var ie *InterruptedError
				assert.Assert(t, errors.As(err, &ie))
			}
		})
	}

	released := make(chan error, 1)
	time.AfterFunc(200*time.Millisecond, func() { released <- held.release() })
	var log bytes.Buffer
	again, err := acquireLock(context.Background(), &log, time.Minute)
	assert.NilError(t, err)
	assert.NilError(t, <-released)
	assert.NilError(t, again.release())
	b, err = os.ReadFile(LockFile)
	assert.NilError(t, err)
	assert.Equal(t, string(b), "", "a released lock file still names a holder")
	assert.Assert(t, strings.HasPrefix(log.String(), "generate: waiting"), log.String())
}
