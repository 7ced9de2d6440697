package migration

import (
	"context"
	"sync"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// Prefetch is the work of a migrate that needs no auth instance, started while the kernia
// command still loads the instance (its loader program runs in a process of its own, so this
// runs beside it): reading and verifying the migration directory, as Apply does before any
// connection, and then, on PostgreSQL, reading whether the database already holds every file
// (runner.upToDate, one connection and two reads, no lock). Apply, given a context that
// carries it (WithPrefetch) and called with the same database URL, directory and options,
// uses what it found: the verified directory, and a no-op's result, which Apply prints and
// returns as it would have. Anything else (a directory that failed its check, a connection
// or a read that failed, files to apply) Apply does itself, as without a prefetch, so its
// errors and what it changes are the same. It changes nothing: a directory that fails its
// check is never followed by a connection, and no lock, table or row is ever written.
type Prefetch struct {
	url, dir string
	opts     ApplyOptions
	cancel   context.CancelFunc
	done     chan struct{}
	// Set when done is closed.
	found prefetchResult
	once  sync.Once
}

// prefetchResult is what a prefetch found that Apply can use.
type prefetchResult struct {
	dir      *loadedDir   // the directory, verified; nil when it failed its check
	upToDate *ApplyResult // a no-op's result, when the database holds every file
}

// StartPrefetch starts the prefetch of Apply(ctx, rawURL, dirPath, opts), for a run that is
// not a dry run. Close it once Apply has returned, or when Apply will not run.
func StartPrefetch(ctx context.Context, rawURL, dirPath string, opts ApplyOptions) *Prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &Prefetch{url: rawURL, dir: dirPath, opts: opts, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.found = prefetch(ctx, rawURL, dirPath, opts)
	}()
	return p
}

// prefetch reads the directory and, on PostgreSQL, whether the run is a no-op.
func prefetch(ctx context.Context, rawURL, dirPath string, opts ApplyOptions) prefetchResult {
	d, err := loadDir(dirPath)
	if err != nil {
		return prefetchResult{}
	}
	found := prefetchResult{dir: d}
	r, err := newRunner(rawURL, dirPath, d, opts)
	if err != nil || opts.DryRun || r.u.Dialect != kernia.Postgres {
		// A MySQL run may create its database as it connects, a SQLite one its file: only
		// Apply connects there.
		return found
	}
	db, err := database.Open(ctx, r.u)
	if err != nil {
		return found
	}
	defer db.Close()
	if res, ok := r.upToDate(ctx, db); ok && ctx.Err() == nil {
		found.upToDate = res
	}
	return found
}

// Close stops the prefetch if it is still running and waits for it to end.
func (p *Prefetch) Close() {
	if p == nil {
		return
	}
	p.once.Do(p.cancel)
	<-p.done
}

// prefetchKey is the context key of a Prefetch.
type prefetchKey struct{}

// WithPrefetch returns ctx carrying p, for Apply.
func WithPrefetch(ctx context.Context, p *Prefetch) context.Context {
	return context.WithValue(ctx, prefetchKey{}, p)
}

// prefetched returns what the prefetch ctx carries found for Apply(ctx, rawURL, dirPath,
// opts), waiting for it to end: nothing when there is none, or it was started for another
// run.
func prefetched(ctx context.Context, rawURL, dirPath string, opts ApplyOptions) prefetchResult {
	p, _ := ctx.Value(prefetchKey{}).(*Prefetch)
	if p == nil || p.url != rawURL || p.dir != dirPath || p.opts.DryRun != opts.DryRun || p.opts.Baseline != opts.Baseline ||
		p.opts.AllowOutOfOrder != opts.AllowOutOfOrder || p.opts.ConnectTimeout != opts.ConnectTimeout {
		return prefetchResult{}
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return prefetchResult{}
	}
	if ctx.Err() != nil {
		return prefetchResult{}
	}
	return p.found
}
