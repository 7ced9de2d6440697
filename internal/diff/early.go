package diff

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	atlas "ariga.io/atlas/sql/schema"

	"github.com/kernia/kernia"
	"github.com/kernia/kernia/internal/database"
)

// Early replay (issue 13): the PostgreSQL diff's current state depends only on the dev database
// and the migration directory, not on the auth configuration, so `kernia generate` can replay
// the directory while the loader program is still being built, and the diff then starts from
// the state already read. It is a guess made before the configuration is known: the dev
// database of $KERNIA_DEV_URL and the directory Kernia writes by default. Diff uses the guess
// only when the configuration resolved to the same dev database list and directory and the
// directory still holds, under generate's lock, exactly the files that were replayed;
// otherwise it is dropped and the diff replays as it always does. The replay runs in a
// transaction that is rolled back, as states' current half does, so a guess dropped,
// failed or interrupted leaves nothing on the dev database.

// Early is a PostgreSQL migration directory replayed ahead of its Diff (see StartEarly).
type Early struct {
	devList, dir string
	done         chan struct{}
	cancel       context.CancelFunc

	// Set by the replay before done is closed.
	dev     *DevDB
	key     [sha256.Size]byte
	current *atlas.Schema
	err     error

	mu    sync.Mutex
	taken bool // Take handed dev to a diff, which closes it
}

// StartEarly replays the PostgreSQL migration directory dir on the dev database of devList
// (the $KERNIA_DEV_URL format: one URL per dialect) in the background, and returns the replay,
// or nil when devList names no PostgreSQL dev database. The caller must Close it.
func StartEarly(ctx context.Context, devList, dir string) *Early {
	list, err := database.ParseDevURLs(devList)
	if err != nil || list.For(kernia.Postgres) == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	e := &Early{devList: devList, dir: dir, done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(e.done)
		e.dev, e.err = openDevDatabase(ctx, list.For(kernia.Postgres))
		if e.err != nil {
			return
		}
		d, err := readFormatDir(dir, "")
		if err != nil {
			e.err = err
			return
		}
		e.key = dirKey(d)
		e.current, e.err = replayCurrent(ctx, e.dev, d.dir)
	}()
	return e
}

// Take returns the early replay's dev database for a diff of the PostgreSQL directory dir on
// the dev database list devList, once its replay has ended, or nil when the guess was another
// list or directory, or the dev database could not be opened. The caller closes what it gets,
// and passes it on to Diff in Options.Dev with the replay in Options.Early.
func (e *Early) Take(devList, dir string) *DevDB {
	if e == nil || devList != e.devList || dir != e.dir {
		return nil
	}
	<-e.done
	return e.claim()
}

// claim hands out the replay's dev database once: nil when it has none or it was handed out.
func (e *Early) claim() *DevDB {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dev == nil || e.taken {
		return nil
	}
	e.taken = true
	return e.dev
}

// state returns the replayed current state when it is the state of d on dev: the replay
// succeeded, on this dev database, of exactly d's files. Else Diff replays itself.
func (e *Early) state(dev *DevDB, dir string, d *formatDir) *atlas.Schema {
	if e == nil || dev == nil || dir != e.dir {
		return nil
	}
	<-e.done
	if e.err != nil || e.dev != dev || e.key != dirKey(d) {
		return nil
	}
	return e.current
}

// Close stops the replay if it is still running (a generate that found nothing to do, or a
// configuration that was not the guess), waits for it to end, and closes its dev database
// unless a diff took it.
func (e *Early) Close() error {
	if e == nil {
		return nil
	}
	e.cancel()
	<-e.done
	if dev := e.claim(); dev != nil {
		return dev.Close()
	}
	return nil
}

// dirKey identifies what a replay of d runs: its format and its files, names and contents, in
// order.
func dirKey(d *formatDir) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", d.format, len(d.files))
	for _, f := range d.files {
		b := f.Bytes()
		fmt.Fprintf(h, "%d\x00%s\x00%d\x00", len(f.Name()), f.Name(), len(b))
		h.Write(b)
	}
	return [sha256.Size]byte(h.Sum(nil))
}

type earlyKey struct{}

// WithEarly returns ctx carrying e, for the diffs of the generate it starts ahead of.
func WithEarly(ctx context.Context, e *Early) context.Context {
	return context.WithValue(ctx, earlyKey{}, e)
}

// EarlyFrom returns the early replay ctx carries (WithEarly), or nil.
func EarlyFrom(ctx context.Context) *Early {
	e, _ := ctx.Value(earlyKey{}).(*Early)
	return e
}
