package fix

import (
	"os"
	"path/filepath"
	"strings"
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

// A DirectInternetAccess written over several lines: a quoted value is
// replaced whole; a plain or block one is refused (its extent is the
// indentation of the lines after it), and the file is left as it is.
func TestTemplateFixMultiLineValues(t *testing.T) {
	const head = "Resources:\n  Notebook:\n    Type: AWS::SageMaker::NotebookInstance\n    Properties:\n      InstanceType: ml.t3.medium\n"
	const tail = "  Other:\n    Type: AWS::S3::Bucket\n"
	for _, tc := range []struct {
		name, value string
		fixed       bool
	}{
		{"double-quoted over two lines", "      DirectInternetAccess: \"Ena\n        bled\"\n", true},
		{"single-quoted over two lines", "      DirectInternetAccess: 'Ena\n        bled'\n", true},
		{"plain over two lines", "      DirectInternetAccess: Ena\n        bled\n", false},
		{"literal block", "      DirectInternetAccess: |\n        Enabled\n", false},
		{"one line", "      DirectInternetAccess: Enabled # open\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "template.yaml")
			src := head + tc.value + tail
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			type template struct {
				Resources map[string]struct {
					Properties map[string]any `yaml:"Properties"`
				} `yaml:"Resources"`
			}
			var before, after template
			if err := yaml.Unmarshal([]byte(src), &before); err != nil {
				t.Fatal(err)
			}
			res := planPaths(path)
			if len(res.Files) != 1 {
				t.Fatalf("want the file fixed (the network controls add properties too); unfixable %+v, errors %+v", res.Unfixable, res.Errors)
			}
			if err := yaml.Unmarshal(res.Files[0].New, &after); err != nil {
				t.Fatalf("fixed template does not parse: %v\n%s", err, res.Files[0].New)
			}
			if _, ok := after.Resources["Other"]; !ok {
				t.Fatalf("the next resource was lost:\n%s", res.Files[0].New)
			}
			got := after.Resources["Notebook"].Properties["DirectInternetAccess"]
			if tc.fixed {
				if got != "Disabled" {
					t.Fatalf("DirectInternetAccess %v after the fix:\n%s", got, res.Files[0].New)
				}
				return
			}
			if was := before.Resources["Notebook"].Properties["DirectInternetAccess"]; got != was {
				t.Fatalf("DirectInternetAccess %q became %q, want it left for a person:\n%s", was, got, res.Files[0].New)
			}
			refused := false
			for _, u := range res.Unfixable {
				refused = refused || strings.Contains(u.Reason, "DirectInternetAccess") && strings.Contains(u.Reason, "by hand")
			}
			if !refused {
				t.Fatalf("no refusal for DirectInternetAccess: %+v", res.Unfixable)
			}
		})
	}
}
