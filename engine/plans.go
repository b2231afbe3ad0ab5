package engine

import (
	"context"
	"runtime"
	"sync"

	"github.com/sagefence/sagefence/surface"
	"github.com/sagefence/sagefence/surface/tfplan"
)

// scanPlanFiles loads the Terraform plan/state JSON files concurrently, at
// most parallelism at a time (GOMAXPROCS when zero), and hands each result
// to collect.
func scanPlanFiles(ctx context.Context, files []string, opts surface.Options, parallelism int, collect func(surface.Result)) {
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for _, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			collect(tfplan.LoadFile(ctx, f, opts))
		}()
	}
	wg.Wait()
}
