package testutil

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ConfigFake is a loopback AWS endpoint for the AWS Config calls moto 5.2
// lacks (shared/aws-facts.md §9): GetComplianceDetailsByConfigRule and
// GetAggregateComplianceDetailsByConfigRule, served in the JSON 1.1 protocol
// (X-Amz-Target StarlingDoveService.<Operation>) with the request and
// response members of the AWS Config API reference, timestamps as epoch
// seconds. Every other request is forwarded unchanged to Next (moto), so one
// endpoint serves a whole audit. Fail lets a test answer any request with an
// AWS error instead, and Answer with a body of its own (for other calls
// moto lacks, in the shape of their API reference).
type ConfigFake struct {
	URL string

	mu      sync.Mutex
	results map[string][]ConfigEvaluation // by rule name
	// PageSize is the number of results per page (NextToken pagination); 0 means 100.
	PageSize int
	// Fail, when set, is asked first for every request; a non-empty code
	// answers HTTP 400 with that error code (the JSON error shape of both
	// protocols: {"__type": code, "message": ...}).
	Fail func(r *http.Request) (code string)
	// Answer, when set, is asked after Fail; ok answers HTTP 200 with body
	// (JSON).
	Answer func(r *http.Request) (body string, ok bool)
	calls  []string
}

// ConfigEvaluation is one EvaluationResult (or AggregateEvaluationResult).
type ConfigEvaluation struct {
	Account, Region   string
	ResourceType      string
	ResourceID        string
	Compliance        string // COMPLIANT | NON_COMPLIANT | NOT_APPLICABLE | INSUFFICIENT_DATA
	Invoked, Recorded time.Time
	Annotation        string
	EvaluationMode    string // DETECTIVE when empty
	OrderingTimestamp time.Time
}

// StartConfigFake serves the fake on a free loopback port in front of next.
func StartConfigFake(t *testing.T, next string) *ConfigFake {
	t.Helper()
	target, err := url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	f := &ConfigFake{results: map[string][]ConfigEvaluation{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		f.mu.Lock()
		f.calls = append(f.calls, op+" "+r.URL.Path)
		fail, answer := f.Fail, f.Answer
		f.mu.Unlock()
		if fail != nil {
			if code := fail(r); code != "" {
				writeAWSError(w, code, "denied by the test")
				return
			}
		}
		if answer != nil {
			if body, ok := answer(r); ok {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, body)
				return
			}
		}
		switch op {
		case "StarlingDoveService.GetComplianceDetailsByConfigRule":
			f.serve(w, r, false)
		case "StarlingDoveService.GetAggregateComplianceDetailsByConfigRule":
			f.serve(w, r, true)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Add stores evaluation results of a rule.
func (f *ConfigFake) Add(rule string, evs ...ConfigEvaluation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results[rule] = append(f.results[rule], evs...)
}

// Calls are the X-Amz-Target (or "") and path of every request received.
func (f *ConfigFake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func writeAWSError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, message)
}

// serve answers one compliance-details request. The single-account form
// answers the caller's account (moto's default, 123456789012) and region
// (from the SigV4 credential scope); the aggregate form requires AccountId
// and AwsRegion, as the API does.
func (f *ConfigFake) serve(w http.ResponseWriter, r *http.Request, aggregate bool) {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		ConfigRuleName              string
		ConfigurationAggregatorName string
		AccountId, AwsRegion        string
		ComplianceTypes             []string
		ComplianceType              string
		Limit                       int
		NextToken                   string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeAWSError(w, "SerializationException", err.Error())
		return
	}
	account, region := "123456789012", credentialRegion(r)
	if aggregate {
		if in.ConfigurationAggregatorName == "" || in.AccountId == "" || in.AwsRegion == "" {
			writeAWSError(w, "InvalidParameterValueException", "ConfigurationAggregatorName, AccountId and AwsRegion are required")
			return
		}
		account, region = in.AccountId, in.AwsRegion
		if in.ComplianceType != "" {
			in.ComplianceTypes = []string{in.ComplianceType}
		}
	}
	if in.Limit < 0 || in.Limit > 100 {
		writeAWSError(w, "InvalidLimitException", "Limit must be 0-100")
		return
	}
	f.mu.Lock()
	all, ok := f.results[in.ConfigRuleName]
	pageSize := f.PageSize
	f.mu.Unlock()
	if !ok {
		writeAWSError(w, "NoSuchConfigRuleException", "The ConfigRule '"+in.ConfigRuleName+"' provided in the request is invalid.")
		return
	}
	var matched []ConfigEvaluation
	for _, e := range all {
		if e.Account != account || e.Region != region {
			continue
		}
		if len(in.ComplianceTypes) > 0 && !containsString(in.ComplianceTypes, e.Compliance) {
			continue
		}
		matched = append(matched, e)
	}
	if pageSize <= 0 {
		pageSize = 100
	}
	if in.Limit > 0 && in.Limit < pageSize {
		pageSize = in.Limit
	}
	start, _ := strconv.Atoi(in.NextToken)
	end := min(start+pageSize, len(matched))
	if start > len(matched) {
		start = len(matched)
	}
	var items []map[string]any
	for _, e := range matched[start:end] {
		mode := e.EvaluationMode
		if mode == "" {
			mode = "DETECTIVE"
		}
		item := map[string]any{
			"ComplianceType": e.Compliance,
			"EvaluationResultIdentifier": map[string]any{
				"EvaluationResultQualifier": map[string]any{
					"ConfigRuleName": in.ConfigRuleName, "ResourceType": e.ResourceType,
					"ResourceId": e.ResourceID, "EvaluationMode": mode,
				},
				"OrderingTimestamp": epoch(e.OrderingTimestamp),
			},
			"ResultRecordedTime":    epoch(e.Recorded),
			"ConfigRuleInvokedTime": epoch(e.Invoked),
		}
		if e.Annotation != "" {
			item["Annotation"] = e.Annotation
		}
		if aggregate {
			item["AccountId"], item["AwsRegion"] = e.Account, e.Region
		}
		items = append(items, item)
	}
	key := "EvaluationResults"
	if aggregate {
		key = "AggregateEvaluationResults"
	}
	out := map[string]any{key: items}
	if items == nil {
		out[key] = []any{}
	}
	if end < len(matched) {
		out["NextToken"] = strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func epoch(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

// credentialRegion is the region of a SigV4 Authorization header's scope.
func credentialRegion(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	parts := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
