package tfplan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/sagefence/sagefence/awsfacts"
)

// instance is one resource instance the model cares about, from a plan's
// resource_changes or a state's values.
type instance struct {
	Address       string
	ModuleAddress string
	Type          string
	Name          string
	// Index is the instance key: float64 for count, string for for_each, nil.
	Index   any
	Actions tfjson.Actions
	// After is the planned (or, for a state, current) value.
	After map[string]any
	// Unknown mirrors after_unknown: true where the value is known only after apply.
	Unknown map[string]any
	// Sensitive mirrors after_sensitive.
	Sensitive    map[string]any
	ReplacePaths []any
}

// document is what one file holds once decoded.
type document struct {
	// State is true for `terraform show -json` on a state (a "values" key).
	State     bool
	Instances []*instance
	// Managed holds the address of every managed instance that will exist
	// after the plan (or exists in the state), of any type: reference
	// resolution needs it to expand references without an instance key.
	Managed []string
	Config  *tfjson.Config
}

// modelTypes are the resource types whose values are decoded. The others of
// the plan are only counted by address.
var modelTypes = map[string]bool{
	typeNotebook: true, typeDomain: true, typeLifecycle: true,
	typeSubnet: true, typeRouteTable: true, typeDefaultRouteTable: true, typeRoute: true,
	typeRouteTableAssoc: true, typeMainRouteTableAssoc: true, typeNAT: true,
	typeVPCEndpoint: true, typeVPCEndpointRTAssoc: true, typeVPCEndpointSubnetAssoc: true,
	typeVPCEndpointSGAssoc: true,
	typeSecurityGroup:      true, typeDefaultSecurityGroup: true, typeSGRule: true, typeSGEgressRule: true,
	// decoded only so that their identifiers link (vpc_id; route targets below).
	"aws_vpc": true,
}

// Route targets are decoded so that a route's gateway_id links to what it
// names, whatever kind of target awsfacts says it is.
func init() {
	for _, a := range awsfacts.RouteTargetAttributes {
		for _, t := range a.ResourceTypes() {
			modelTypes[t] = true
		}
	}
}

// syntaxError is a malformed input with the byte offset where it was found.
// When Walk is set the offset is not reliable (encoding/json reports errors
// inside a decoded value relative to the value), and the position must be
// found again by walking the input (LoadFile does).
type syntaxError struct {
	Offset int64
	Walk   bool
	Err    error
}

func (e *syntaxError) Error() string { return e.Err.Error() }
func (e *syntaxError) Unwrap() error { return e.Err }

// decode streams a `terraform show -json` document. Only the keys it needs
// are decoded; everything else is validated and skipped (skipValue).
func decode(r io.Reader) (*document, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	dec.UseNumber()
	doc := &document{}
	wrap := func(err error) error {
		if err == nil {
			return nil
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &syntaxError{Offset: se.Offset, Walk: true, Err: err}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &syntaxError{Offset: dec.InputOffset(), Walk: true, Err: fmt.Errorf("unexpected end of JSON: %w", io.ErrUnexpectedEOF)}
		}
		return &syntaxError{Offset: dec.InputOffset(), Err: err}
	}
	if err := expectDelim(dec, '{'); err != nil {
		return nil, wrap(fmt.Errorf("not a terraform show -json document: %w", err))
	}
	sawFormat := false
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, wrap(err)
		}
		switch key {
		case "format_version":
			var v string
			if err := dec.Decode(&v); err != nil {
				return nil, wrap(fmt.Errorf("format_version: %w", err))
			}
			if major, _, _ := strings.Cut(v, "."); major != "1" {
				return nil, fmt.Errorf("unsupported format_version %q (this reader knows 1.x)", v)
			}
			sawFormat = true
		case "resource_changes":
			err = decodeChanges(dec, doc)
		case "configuration":
			doc.Config = &tfjson.Config{}
			err = dec.Decode(doc.Config)
		case "values":
			doc.State = true
			err = decodeStateValues(dec, doc)
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return nil, wrap(fmt.Errorf("%s: %w", key, err))
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, wrap(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, wrap(errors.New("unexpected data after the JSON document"))
	}
	if !sawFormat {
		return nil, errors.New("not a terraform show -json document: no format_version")
	}
	return doc, nil
}

// rawChange is a resource_changes element with its change left raw, so that
// only the changes of model types are decoded into maps.
type rawChange struct {
	Address       string              `json:"address"`
	ModuleAddress string              `json:"module_address"`
	Mode          tfjson.ResourceMode `json:"mode"`
	Type          string              `json:"type"`
	Name          string              `json:"name"`
	Index         any                 `json:"index"`
	Deposed       string              `json:"deposed"`
	Change        json.RawMessage     `json:"change"`
}

func decodeChanges(dec *json.Decoder, doc *document) error {
	return eachElement(dec, func() error {
		var rc rawChange
		if err := dec.Decode(&rc); err != nil {
			return err
		}
		if rc.Mode != tfjson.ManagedResourceMode || rc.Deposed != "" || rc.Address == "" {
			return nil
		}
		var ch tfjson.Change
		if modelTypes[rc.Type] {
			d := json.NewDecoder(bytes.NewReader(rc.Change))
			d.UseNumber()
			if err := d.Decode(&ch); err != nil {
				return fmt.Errorf("%s: change: %w", rc.Address, err)
			}
		} else {
			// Only the actions matter for the address index.
			var a struct {
				Actions tfjson.Actions `json:"actions"`
			}
			if err := json.Unmarshal(rc.Change, &a); err != nil {
				return fmt.Errorf("%s: change: %w", rc.Address, err)
			}
			ch.Actions = a.Actions
		}
		if gone(ch.Actions) {
			return nil
		}
		doc.Managed = append(doc.Managed, rc.Address)
		if !modelTypes[rc.Type] {
			return nil
		}
		after, _ := ch.After.(map[string]any)
		unknown, _ := ch.AfterUnknown.(map[string]any)
		sensitive, _ := ch.AfterSensitive.(map[string]any)
		doc.Instances = append(doc.Instances, &instance{
			Address: rc.Address, ModuleAddress: rc.ModuleAddress, Type: rc.Type, Name: rc.Name,
			Index: normalizeIndex(rc.Index), Actions: ch.Actions,
			After: orEmpty(after), Unknown: orEmpty(unknown), Sensitive: orEmpty(sensitive),
			ReplacePaths: ch.ReplacePaths,
		})
		return nil
	})
}

// gone reports whether the instance will not exist after the plan.
func gone(a tfjson.Actions) bool {
	return a.Delete() || a.Forget() || len(a) == 0
}

// decodeStateValues streams {"root_module": {...}, "outputs": ...}.
func decodeStateValues(dec *json.Decoder, doc *document) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return err
		}
		if key == "root_module" {
			err = decodeStateModule(dec, doc, "")
		} else {
			err = skipValue(dec)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return expectDelim(dec, '}')
}

type rawStateResource struct {
	Address string              `json:"address"`
	Mode    tfjson.ResourceMode `json:"mode"`
	Type    string              `json:"type"`
	Name    string              `json:"name"`
	Index   any                 `json:"index"`
	Values  json.RawMessage     `json:"values"`
	// SensitiveValues mirrors after_sensitive.
	SensitiveValues json.RawMessage `json:"sensitive_values"`
}

func decodeStateModule(dec *json.Decoder, doc *document, module string) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	// "address" comes before "resources" in Terraform's output, but do not
	// rely on it: resources are collected and given the address at the end.
	var pending []*instance
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return err
		}
		switch key {
		case "address":
			err = dec.Decode(&module)
		case "resources":
			err = eachElement(dec, func() error {
				var r rawStateResource
				if err := dec.Decode(&r); err != nil {
					return err
				}
				if r.Mode != tfjson.ManagedResourceMode || r.Address == "" {
					return nil
				}
				doc.Managed = append(doc.Managed, r.Address)
				if !modelTypes[r.Type] {
					return nil
				}
				var values, sensitive map[string]any
				if err := unmarshalNumber(r.Values, &values); err != nil {
					return fmt.Errorf("%s: values: %w", r.Address, err)
				}
				if len(r.SensitiveValues) > 0 {
					if err := unmarshalNumber(r.SensitiveValues, &sensitive); err != nil {
						return fmt.Errorf("%s: sensitive_values: %w", r.Address, err)
					}
				}
				pending = append(pending, &instance{
					Address: r.Address, Type: r.Type, Name: r.Name, Index: normalizeIndex(r.Index),
					Actions: tfjson.Actions{tfjson.ActionNoop},
					After:   orEmpty(values), Unknown: map[string]any{}, Sensitive: orEmpty(sensitive),
				})
				return nil
			})
		case "child_modules":
			err = eachElement(dec, func() error { return decodeStateModule(dec, doc, "") })
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	for _, in := range pending {
		in.ModuleAddress = module
	}
	doc.Instances = append(doc.Instances, pending...)
	return expectDelim(dec, '}')
}

func unmarshalNumber(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}

// normalizeIndex turns a decoded instance key into float64 (count) or string (for_each).
func normalizeIndex(v any) any {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		if err != nil {
			return n.String()
		}
		return f
	}
	return v
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

func readKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected an object key, found %v", tok)
	}
	return k, nil
}

// eachElement calls fn for every element of the array the decoder is at;
// a null is an empty array.
func eachElement(dec *json.Decoder, fn func() error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("expected an array, found %v", tok)
	}
	for dec.More() {
		if err := fn(); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

// skipValue consumes one JSON value without building it: the decoder
// validates and buffers the value's bytes (so a skipped section costs its own
// size in memory once, transiently) and discard ignores them. This is several
// times faster than walking the value token by token.
func skipValue(dec *json.Decoder) error {
	return dec.Decode(&discard{})
}

// discard is a json.Unmarshaler that keeps nothing.
type discard struct{}

func (*discard) UnmarshalJSON([]byte) error { return nil }
