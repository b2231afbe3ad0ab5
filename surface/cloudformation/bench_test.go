package cloudformation

import (
	"context"
	"os"
	"testing"

	"github.com/sagefence/sagefence/surface"
)

// BenchmarkLoadTemplate measures parsing and evaluating the full private
// network template (about 150 lines, 25 resources).
func BenchmarkLoadTemplate(b *testing.B) {
	data, err := os.ReadFile("../../testdata/cases/cfn-private-network/template.yaml")
	if err != nil {
		b.Fatal(err)
	}
	l, _ := NewLoader(context.Background(), surface.Options{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if r := l.Load(context.Background(), "t.yaml", data, Stack{}); len(r.Sets) != 1 {
			b.Fatal("no set")
		}
	}
}
