package gcpolicy

import (
	"math"
	"runtime/debug"
	"testing"
)

// current reads the collector's settings without changing them.
func current() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func TestApply(t *testing.T) {
	p0, l0 := current()
	defer func() {
		debug.SetGCPercent(p0)
		debug.SetMemoryLimit(l0)
	}()
	for _, tc := range []struct {
		env         map[string]string
		wantPercent int
		wantLimit   int64
	}{
		{nil, Percent, Limit},
		{map[string]string{"GOGC": "50"}, 77, Limit},                      // the user's GOGC stays
		{map[string]string{"GOMEMLIMIT": "1GiB"}, Percent, math.MaxInt64}, // the user's limit stays
		{map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, 77, math.MaxInt64},
	} {
		// What the runtime would have applied from the environment.
		debug.SetGCPercent(77)
		debug.SetMemoryLimit(math.MaxInt64)
		Apply(func(k string) string { return tc.env[k] })
		if p, l := current(); p != tc.wantPercent || l != tc.wantLimit {
			t.Errorf("env %v: GOGC %d, limit %d; want %d, %d", tc.env, p, l, tc.wantPercent, tc.wantLimit)
		}
	}
}

func TestLargeLiveHeap(t *testing.T) {
	p0, _ := current()
	defer debug.SetGCPercent(p0)
	debug.SetGCPercent(Percent)
	LargeLiveHeap(func(string) string { return "" })
	if p, _ := current(); p != 100 {
		t.Errorf("GOGC %d after LargeLiveHeap, want 100", p)
	}
	debug.SetGCPercent(77) // the user's, from the environment
	LargeLiveHeap(func(k string) string { return map[string]string{"GOGC": "77"}[k] })
	if p, _ := current(); p != 77 {
		t.Errorf("GOGC %d after LargeLiveHeap with GOGC set, want 77", p)
	}
}
