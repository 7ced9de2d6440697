package cmdline

import (
	"os"
	"runtime/debug"
)

// EngineGCPercent is the garbage collector's target percentage in the kernia engines (the
// engine and the migration engine), unless $GOGC says otherwise.
const EngineGCPercent = 400

// TuneGC sets the collector of an engine process to EngineGCPercent unless $GOGC is set: a
// command lives for a fraction of a second, and at Go's default of 100 the collector runs
// several times during it (Ent's codegen allocates a few hundred megabytes in all while its
// live heap stays small; a migrate no-op reads every file and revision of a long history).
// Four times fewer collections cost a few tens of megabytes more at the peak. Only the
// engines' main functions call it: the command line run from a program of the user's
// (RunWith) leaves that program's collector alone.
func TuneGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(EngineGCPercent)
	}
}
