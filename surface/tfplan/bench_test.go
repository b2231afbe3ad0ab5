package tfplan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// largePlan builds a plan JSON of about the given size by repeating the
// resource changes of the plan-network case under distinct module keys,
// with filler resources (which the reader only indexes) in between.
func largePlan(b *testing.B, target int) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(casesDir, "plan-network", "plan.json"))
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		b.Fatal(err)
	}
	changes := doc["resource_changes"].([]any)
	var out []any
	size := 0
	for i := 0; size < target; i++ {
		mod := fmt.Sprintf(`module.env["%d"]`, i)
		for _, c := range changes {
			rc := map[string]any{}
			for k, v := range c.(map[string]any) {
				rc[k] = v
			}
			rc["address"] = mod + "." + rc["address"].(string)
			rc["module_address"] = mod
			out = append(out, rc)
			filler := map[string]any{"address": fmt.Sprintf("%s.aws_s3_object.f%d", mod, len(out)), "mode": "managed",
				"type": "aws_s3_object", "name": "f", "change": rc["change"]}
			out = append(out, filler)
			size += 2 * 1500
		}
	}
	doc["resource_changes"] = out
	doc["planned_values"] = map[string]any{"root_module": map[string]any{"resources": out}}
	data, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkLoadLargePlan measures streaming a large plan (MB/s in the
// output; allocations per load with -benchmem).
func BenchmarkLoadLargePlan(b *testing.B) {
	data := largePlan(b, 16<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := Load(context.Background(), bytes.NewReader(data), "plan.json")
		if len(res.Errors) > 0 || len(res.Sets[0].Notebooks) == 0 {
			b.Fatalf("errors %v", res.Errors)
		}
	}
}
