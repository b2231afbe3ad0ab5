package awsconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// MaxResponseBytes bounds the body of one successful AWS answer that
// ValidateResponses reads; a larger answer is a MalformedResponseError.
const MaxResponseBytes = 64 << 20

// MalformedResponseError is a 2xx answer whose body is not a response of the
// call's protocol: empty where the call reads data, HTML (a proxy's or
// captive portal's page), truncated or otherwise not well-formed, or XML
// whose root is not the operation's response element. It is an API error
// (code MalformedResponse) so that callers render it like any other, and it
// is retryable: a garbled answer is often transient.
type MalformedResponseError struct {
	Service, Operation string
	// Reason says what is wrong with the body ("an HTML page", "an empty body", ...).
	Reason string
}

func (e *MalformedResponseError) Error() string {
	return fmt.Sprintf("%s %s answered 200 with %s, not a %s response", e.Service, e.Operation, e.Reason, e.Service)
}

// ErrorCode, ErrorMessage and ErrorFault make it a smithy.APIError.
func (e *MalformedResponseError) ErrorCode() string { return "MalformedResponse" }
func (e *MalformedResponseError) ErrorMessage() string {
	return fmt.Sprintf("answered 200 with %s, not a %s response", e.Reason, e.Service)
}
func (e *MalformedResponseError) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// RetryableError marks the error as retryable for the SDK's retryer.
func (e *MalformedResponseError) RetryableError() bool { return true }

// protocols are the services whose answers ValidateResponses checks, by
// the SDK's service ID: the query protocols answer an XML document whose root
// is <OperationResponse>, the JSON protocols a JSON object. Any other service
// passes unchecked, neither buffered nor parsed: S3 in particular, whose
// GetObject body is the object itself (evidence cloudtrail reads gzip log
// files) and whose XML roots differ; its own decoders and the caller check it.
var protocols = map[string]string{
	"EC2": "xml", "STS": "xml", "IAM": "xml",
	"SageMaker": "json", "Organizations": "json", "SecurityHub": "json", "CloudTrail": "json", "Config Service": "json",
}

// ValidateResponses is an API option that checks the body of every 2xx
// answer of the services in protocols before the SDK decodes it, because the SDK's decoders accept an
// empty body as an empty answer and an XML decoder finds no fields (rather
// than an error) in an HTML page. A body that is HTML, truncated or not
// well-formed for the service's protocol, or empty for a read call
// (Describe*, List*, Get*), or a listing without its list (listMembers),
// is a MalformedResponseError naming service and
// operation. Other answers pass unchanged (the body is buffered, at most
// MaxResponseBytes).
func ValidateResponses(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("sagefenceValidateResponse",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 || resp.Body == nil {
				return out, md, err
			}
			service, operation := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			if protocols[service] == "" {
				return out, md, err
			}
			body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
			resp.Body.Close()
			if readErr != nil {
				// A connection cut mid-body: the transport's error, retryable as such.
				return out, md, fmt.Errorf("reading the %s %s answer: %w", service, operation, readErr)
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			if reason := malformed(body, service, operation); reason != "" {
				return out, md, &MalformedResponseError{Service: service, Operation: operation, Reason: reason}
			}
			return out, md, nil
		}), middleware.After)
}

// malformed says what is wrong with a 2xx body, or "" when it is acceptable.
func malformed(body []byte, service, operation string) string {
	if protocols[service] == "" {
		return ""
	}
	if len(body) > MaxResponseBytes {
		return fmt.Sprintf("a body larger than %d bytes", MaxResponseBytes)
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		if readsData(operation) {
			return "an empty body"
		}
		return ""
	}
	if looksHTML(trimmed) {
		return "an HTML page"
	}
	if protocols[service] == "xml" {
		return malformedXML(trimmed, operation+"Response")
	}
	if trimmed[0] != '{' {
		return "a body that is not a JSON object"
	}
	if !json.Valid(trimmed) {
		return "a truncated or malformed JSON body"
	}
	if member := listMembers[service+" "+operation]; member != "" {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &top); err != nil || top[member] == nil {
			return fmt.Sprintf("a body without its %s list", member)
		}
	}
	return ""
}

// listMembers are the list each listing answer carries, even when empty: an
// answer without it (`{}`) is not "nothing there" but not an answer.
var listMembers = map[string]string{
	"SageMaker ListNotebookInstances": "NotebookInstances",
	"SageMaker ListDomains":           "Domains",
	"Organizations ListAccounts":      "Accounts",
}

// readsData reports whether an operation's answer carries the data asked for.
func readsData(operation string) bool {
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(operation, p) {
			return true
		}
	}
	return false
}

func looksHTML(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 512)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html") ||
		strings.Contains(head, "<html") && strings.Contains(head, "<body")
}

// malformedXML checks that b is one well-formed XML document whose root
// element is root.
func malformedXML(b []byte, root string) string {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	depth, gotRoot := 0, ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "a truncated or malformed XML body"
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if gotRoot != "" {
					return "an XML body with two root elements"
				}
				gotRoot = t.Name.Local
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return "a body that is not XML"
			}
		}
	}
	switch {
	case gotRoot == "":
		return "a body that is not XML"
	case depth != 0:
		return "a truncated XML body"
	case gotRoot != root:
		return fmt.Sprintf("an XML body whose root is <%s>, not <%s>", gotRoot, root)
	}
	return ""
}
