package guardrail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// DefaultName names the rendered Terraform resources and the policies.
const DefaultName = "sagefence-sagemaker-network"

// description is the policies' description in AWS (at most 512 characters for
// an organization policy).
const description = "sagefence: deny SageMaker notebook instances with direct internet access or outside a VPC, " +
	"and Studio domains that are not VpcOnly"

// Terraform renders the policies of the given kinds as Terraform resources,
// each policy a jsonencode() of its document, formatted like `terraform fmt`
// and preceded by UnverifiedNote as a comment: an aws_organizations_policy of
// type SERVICE_CONTROL_POLICY for SCP, an aws_iam_policy for IAM. name is the
// policy name and, with hyphens turned into underscores, the resource name
// (the two resource types never collide).
func Terraform(kinds []Kind, name string) ([]byte, error) {
	if name == "" {
		name = DefaultName
	}
	label := strings.ReplaceAll(name, "-", "_")
	if !hclsyntax.ValidIdentifier(label) {
		return nil, fmt.Errorf("policy name %q does not make a valid Terraform resource name", name)
	}
	var b strings.Builder
	for _, line := range wrap(UnverifiedNote, 100) {
		b.WriteString("# " + line + "\n")
	}
	for _, kind := range kinds {
		doc, err := Policy(kind)
		if err != nil {
			return nil, err
		}
		var body bytes.Buffer
		if err := jsonToHCL(&body, doc); err != nil {
			return nil, err
		}
		b.WriteString("\n")
		switch kind {
		case SCP:
			fmt.Fprintf(&b, "resource \"aws_organizations_policy\" %q {\n", label)
			fmt.Fprintf(&b, "name = %s\n", hclString(name))
			fmt.Fprintf(&b, "description = %s\n", hclString(description))
			b.WriteString("type = \"SERVICE_CONTROL_POLICY\"\n")
			fmt.Fprintf(&b, "content = jsonencode(%s)\n}\n", body.String())
		case IAM:
			fmt.Fprintf(&b, "resource \"aws_iam_policy\" %q {\n", label)
			fmt.Fprintf(&b, "name = %s\n", hclString(name))
			fmt.Fprintf(&b, "description = %s\n", hclString(description))
			fmt.Fprintf(&b, "policy = jsonencode(%s)\n}\n", body.String())
		}
	}
	src := hclwrite.Format([]byte(b.String()))
	if _, diags := hclsyntax.ParseConfig(src, "guardrail.tf", hcl.InitialPos); diags.HasErrors() {
		return nil, fmt.Errorf("rendered Terraform does not parse: %w", diags)
	}
	return src, nil
}

// hclString renders s as a quoted HCL string, escaping ${ and %{.
func hclString(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}

// jsonToHCL writes v's JSON encoding as an HCL expression, keeping the key
// order of the JSON encoding (struct field order).
func jsonToHCL(w io.Writer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding policy: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return writeHCLValue(w, dec)
}

func writeHCLValue(w io.Writer, dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("re-reading policy JSON: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			io.WriteString(w, "{\n")
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return fmt.Errorf("re-reading policy JSON: %w", err)
				}
				key := kt.(string)
				if hclsyntax.ValidIdentifier(key) {
					io.WriteString(w, key)
				} else {
					io.WriteString(w, hclString(key))
				}
				io.WriteString(w, " = ")
				if err := writeHCLValue(w, dec); err != nil {
					return err
				}
				io.WriteString(w, "\n")
			}
			_, err = dec.Token() // '}'
			io.WriteString(w, "}")
			return err
		case '[':
			var items []string
			for dec.More() {
				var item bytes.Buffer
				if err := writeHCLValue(&item, dec); err != nil {
					return err
				}
				items = append(items, item.String())
			}
			if _, err := dec.Token(); err != nil { // ']'
				return fmt.Errorf("re-reading policy JSON: %w", err)
			}
			if len(items) > 0 && strings.HasPrefix(items[0], "{") {
				// a list of objects: one element per line, like terraform fmt leaves it
				io.WriteString(w, "[\n"+strings.Join(items, ",\n")+",\n]")
			} else {
				io.WriteString(w, "["+strings.Join(items, ", ")+"]")
			}
			return nil
		}
	case string:
		io.WriteString(w, hclString(t))
	case json.Number:
		io.WriteString(w, t.String())
	case bool:
		fmt.Fprint(w, t)
	case nil:
		io.WriteString(w, "null")
	}
	return nil
}

// wrap splits text into lines of at most width characters at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
