package cloudformation

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParameterFileFormats(t *testing.T) {
	tests := []struct {
		name, body string
		want       map[string]string
		errLine    int
		errText    string
	}{
		{"create-stack list", `[{"ParameterKey":"A","ParameterValue":"1"},{"ParameterKey":"B","ParameterValue":"x,y"}]`,
			map[string]string{"A": "1", "B": "x,y"}, 0, ""},
		{"UsePreviousValue is skipped", `[{"ParameterKey":"A","UsePreviousValue":true}]`, map[string]string{}, 0, ""},
		{"deploy string list", `["A=1", "B=two=2"]`, map[string]string{"A": "1", "B": "two=2"}, 0, ""},
		{"codepipeline object", `{"Parameters":{"A":"1","N":5},"Tags":{"t":"v"}}`, map[string]string{"A": "1", "N": "5"}, 0, ""},
		{"flat object", `{"A":"1","L":["a","b"]}`, map[string]string{"A": "1", "L": "a,b"}, 0, ""},
		{"key=value lines", "# comment\n\nA=1\n B = \"quoted value\" \nC=\n", map[string]string{"A": "1", "B": "quoted value", "C": ""}, 0, ""},
		{"bad line", "A=1\nnot a pair\n", nil, 2, "line 2 is not Key=Value"},
		{"bad json", "[\n{\"ParameterKey\": \"A\",\n}\n]", nil, 3, "invalid JSON"},
		{"list item without key", `[{"ParameterValue":"1"}]`, nil, 0, "no ParameterKey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, line, err := parseParameterFile([]byte(tc.body))
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) || (tc.errLine != 0 && line != tc.errLine) {
					t.Fatalf("err %v line %d, want %q at line %d", err, line, tc.errText, tc.errLine)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParameterFilesLaterWinsAndErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.txt", "Access=Enabled\nSubnet=subnet-1\n")
	b := write("b.json", `[{"ParameterKey":"Access","ParameterValue":"Disabled"}]`)
	bad := write("bad.txt", "oops\n")
	got, errs := readParameterFiles(context.Background(), []string{a, b})
	if got["Access"].value != "Disabled" || got["Subnet"].value != "subnet-1" || len(errs) != 0 {
		t.Errorf("values %+v, errors %+v", got, errs)
	}
	if got["Access"].file != b {
		t.Errorf("file %q, want %q", got["Access"].file, b)
	}
	// A file that fails after the others makes everything it may set
	// failed (unknown), never the earlier value; a later good file sets
	// its own keys again.
	c := write("c.txt", "Subnet=subnet-3\n")
	got, errs = readParameterFiles(context.Background(), []string{a, b, bad, filepath.Join(dir, "missing.json"), c})
	if len(errs) != 2 || errs[0].File != bad || errs[0].Line != 1 || errs[1].File != filepath.Join(dir, "missing.json") {
		t.Errorf("errors %+v", errs)
	}
	if got["Access"].failed == "" || !strings.Contains(got["Access"].failed, "missing.json") || got[failedKey].failed == "" {
		t.Errorf("Access after a failed file: %+v", got["Access"])
	}
	if got["Subnet"].value != "subnet-3" || got["Subnet"].failed != "" {
		t.Errorf("Subnet set by a later file: %+v", got["Subnet"])
	}
}

// TestParameterLines: every file shape gives the line its value is written
// on (the last one when a key repeats), so fix can edit it there.
func TestParameterLines(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]int
	}{
		{"key=value lines", "# env\nAccess=Enabled\n\nSubnet = subnet-1\nAccess=Disabled\n", map[string]int{"Access": 5, "Subnet": 4}},
		{"create-stack list", "[\n  {\"ParameterKey\": \"Access\",\n   \"ParameterValue\": \"Enabled\"},\n  {\"ParameterKey\": \"Subnet\", \"ParameterValue\": \"s\"}\n]\n", map[string]int{"Access": 3, "Subnet": 4}},
		{"list of Key=Value", "[\n \"Access=Enabled\",\n \"Subnet=s\"\n]", map[string]int{"Access": 2, "Subnet": 3}},
		{"CodePipeline object", "{\n  \"Parameters\": {\n    \"Access\": \"Enabled\"\n  }\n}\n", map[string]int{"Access": 3}},
		{"flat object with BOM", "\ufeff{\"Access\": \"Enabled\",\n\"Subnet\": \"s\"}", map[string]int{"Access": 1, "Subnet": 2}},
	}
	for _, tc := range tests {
		if got := parameterLines([]byte(tc.body)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: lines %v, want %v", tc.name, got, tc.want)
		}
	}
}
