// Package guardrail builds the preventive policies for SageMaker network
// isolation: a service control policy (SCP) for AWS Organizations and an
// identity-based IAM policy, both made of Deny statements only, so they can
// be attached beside existing permissions without granting anything.
//
// Contract: the statements deny
//   - sagemaker:CreateNotebookInstance unless sagemaker:DirectInternetAccess
//     is exactly "Disabled" (StringNotEquals, which also matches when the key
//     is absent from the request);
//   - sagemaker:CreateNotebookInstance when sagemaker:VpcSubnets or
//     sagemaker:VpcSecurityGroupIds is absent (Null: true), one statement each,
//     because conditions inside a statement are ANDed;
//   - sagemaker:CreateDomain unless sagemaker:AppNetworkAccessType is exactly
//     "VpcOnly" (StringNotEquals; an omitted value defaults to
//     PublicInternetOnly);
//   - sagemaker:UpdateDomain when sagemaker:AppNetworkAccessType equals
//     "PublicInternetOnly" (StringEquals: an update that omits the key leaves
//     the setting unchanged and is not denied).
//
// The condition keys and the actions they apply to are those of the Service
// Authorization Reference. Not verified against AWS: whether a request that
// omits a parameter carries the key with the service default. UnverifiedNote
// states it for the documentation and the rendered output.
package guardrail

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/sagefence/sagefence/awsfacts"
)

// Kind selects which policy to build.
type Kind string

const (
	// SCP is a service control policy for AWS Organizations.
	SCP Kind = "scp"
	// IAM is an identity-based IAM policy.
	IAM Kind = "iam"
)

// PolicyVersion is the IAM policy language version.
const PolicyVersion = "2012-10-17"

// Condition keys and values the statements use.
const (
	KeyDirectInternetAccess = "sagemaker:DirectInternetAccess"
	KeyVpcSubnets           = "sagemaker:VpcSubnets"
	KeyVpcSecurityGroupIds  = "sagemaker:VpcSecurityGroupIds"
	KeyAppNetworkAccessType = "sagemaker:AppNetworkAccessType"

	ActionCreateNotebookInstance = "sagemaker:CreateNotebookInstance"
	ActionCreateDomain           = "sagemaker:CreateDomain"
	ActionUpdateDomain           = "sagemaker:UpdateDomain"
)

// UnverifiedNote is the honest limit of these policies, printed with them.
const UnverifiedNote = "Not verified against AWS: whether a request that omits DirectInternetAccess or " +
	"AppNetworkAccessType carries the condition key with the service default. The create statements deny " +
	"either way (an absent key matches StringNotEquals; a defaulted Enabled/PublicInternetOnly does too). " +
	"The UpdateDomain statement lets through an update that omits the key (the setting stays as it is); " +
	"if AWS populated the key with PublicInternetOnly on such a request, those updates would be denied too. " +
	"Existing public notebooks and domains are not changed by a guardrail: find them with `sagefence audit`."

// Document is an IAM policy document. Field order is the rendering order.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement. Condition maps operator → key → values.
type Statement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  string                         `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition"`
}

// statements are the deny rules shared by both kinds.
func statements() []Statement {
	deny := func(sid, action, op, key string, values ...string) Statement {
		return Statement{
			Sid: sid, Effect: "Deny", Action: []string{action}, Resource: "*",
			Condition: map[string]map[string][]string{op: {key: values}},
		}
	}
	return []Statement{
		deny("DenyNotebookDirectInternetAccess", ActionCreateNotebookInstance, "StringNotEquals", KeyDirectInternetAccess, awsfacts.DirectInternetAccessDisabled),
		deny("DenyNotebookWithoutVpcSubnet", ActionCreateNotebookInstance, "Null", KeyVpcSubnets, "true"),
		deny("DenyNotebookWithoutSecurityGroups", ActionCreateNotebookInstance, "Null", KeyVpcSecurityGroupIds, "true"),
		deny("DenyDomainNotVpcOnly", ActionCreateDomain, "StringNotEquals", KeyAppNetworkAccessType, "VpcOnly"),
		deny("DenyDomainUpdateToPublicInternet", ActionUpdateDomain, "StringEquals", KeyAppNetworkAccessType, awsfacts.AppNetworkAccessPublicInternetOnly),
	}
}

// Policy returns the document of the given kind. Both kinds hold the same
// Deny statements today; the kind changes how the document is attached (an
// organization policy or an identity policy) and how it is rendered.
func Policy(kind Kind) (Document, error) {
	switch kind {
	case SCP, IAM:
		return Document{Version: PolicyVersion, Statement: statements()}, nil
	}
	return Document{}, fmt.Errorf("unknown policy kind %q (want %q or %q)", kind, SCP, IAM)
}

// JSON renders the document indented, with a trailing newline.
func (d Document) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encoding policy: %w", err)
	}
	return buf.Bytes(), nil
}

// MinifiedSize is the document's length without insignificant whitespace,
// which is what the SCP size quota (5,120 characters) is measured on.
func (d Document) MinifiedSize() (int, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return 0, fmt.Errorf("encoding policy: %w", err)
	}
	return len(b), nil
}
