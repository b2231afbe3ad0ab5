// Package gcpolicy tunes Go's garbage collector for sagefence's commands.
//
// A scan is a batch run whose live heap is small and bounded (the roots in
// flight, the findings held before they go to disk) while it allocates a
// great deal (an HCL parse allocates about 100 bytes per byte of source).
// With Go's default (GOGC=100) the collector runs whenever the heap doubles
// that small live set: on a 10,000-file scan it took about a sixth of the
// CPU. Letting the heap grow to four times the live set (GOGC=300) removes
// most of that for some 60-70 MiB more resident memory (GOGC=400 saved no
// more CPU and cost 25 MiB more; 200 saved a third less), and the soft
// memory limit keeps a scan whose live set is large (a huge plan, one
// enormous root) from growing without bound: near the limit the collector
// runs as often as it must. BENCHMARKS.md has the figures.
package gcpolicy

import "runtime/debug"

const (
	// Percent is the GOGC a command runs with.
	Percent = 300
	// Limit is the soft memory limit (GOMEMLIMIT) a command runs with.
	Limit = 512 << 20
)

// Apply sets Percent and Limit, each unless the environment (getenv) sets
// GOGC or GOMEMLIMIT: the runtime has applied those already, and a user's
// setting wins.
func Apply(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(Limit)
	}
}

// LargeLiveHeap puts the collector back to Go's default (GOGC=100) for a
// phase whose live heap is large, unless the environment sets GOGC: letting
// the heap grow to four times a large live set costs far more memory than
// the collections it saves (an HTML report of 50,000 files peaked at 440 MiB
// under Percent).
func LargeLiveHeap(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
}
