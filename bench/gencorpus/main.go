// Command gencorpus writes the synthetic Terraform corpus the benchmarks use
// (see package bench/synth):
//
//	go run ./bench/gencorpus -files 10000 -out /tmp/corpus
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sagefence/sagefence/bench/synth"
)

func main() {
	files := flag.Int("files", 10000, "number of .tf files to write (rounded up to whole roots)")
	out := flag.String("out", "bench/corpus", "output directory (created; existing files are overwritten)")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()
	n, err := synth.Generate(*out, *files, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d .tf files in %d roots under %s\n", n, (n+synth.FilesPerRoot-1)/synth.FilesPerRoot, *out)
}
