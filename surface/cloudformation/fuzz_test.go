package cloudformation

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/surface"
)

// FuzzLoadTemplate feeds arbitrary bytes to the loader, seeded with every
// case template (and the broken ones). It must never panic, and a template
// it accepts must give exactly one Set.
func FuzzLoadTemplate(f *testing.F) {
	for _, rel := range caseTemplates(f) {
		if data, err := os.ReadFile(filepath.Join("../../testdata/cases", rel)); err == nil {
			f.Add(data)
		}
	}
	for rel := range deliberatelyBroken {
		if data, err := os.ReadFile(filepath.Join("../../testdata/cases", rel)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("Resources:\n  A: &a\n    Type: AWS::EC2::Subnet\n    Properties: {VpcId: *a}\n"))
	// The hostile templates (testdata/hostile) and nesting past the parser's limit.
	hostile, _ := filepath.Glob("../../testdata/hostile/*/*.yaml")
	hostileCFN, _ := filepath.Glob("../../testdata/hostile/*/*/*.yaml")
	for _, p := range append(hostile, hostileCFN...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("Resources:\n  X:\n    Type: AWS::SageMaker::NotebookInstance\n    Properties:\n      Tags: " + strings.Repeat("[", 10001) + "\n"))
	f.Add([]byte(`{"Resources": {"X": {"Type": "AWS::SageMaker::NotebookInstance", "Properties": {"Tags": ` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}}}}`))
	f.Add([]byte(`{"Resources":{"N":{"Type":"AWS::SageMaker::NotebookInstance","Properties":{"DirectInternetAccess":{"Fn::If":["C",{"Fn::Sub":"${!x}${AWS::Region}"},{"Ref":"AWS::NoValue"}]}}}},"Conditions":{"C":{"Fn::Not":[{"Condition":"C"}]}}}`))
	l, _ := NewLoader(context.Background(), surface.Options{Parameters: map[string]string{"Env": "prod"}})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := l.Load(context.Background(), "fuzz.yaml", data, Stack{})
		if len(r.Sets) > 1 {
			t.Fatalf("one template gave %d sets", len(r.Sets))
		}
	})
}
