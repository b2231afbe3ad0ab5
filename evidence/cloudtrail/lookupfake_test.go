package cloudtrail

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// lookupFake serves CloudTrail's LookupEvents, which moto lacks, in the
// JSON 1.1 protocol (X-Amz-Target
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents) with
// the members of the CloudTrail API reference: the request's
// LookupAttributes (exactly one), StartTime and EndTime (epoch seconds),
// MaxResults (1-50) and NextToken; the answer's Events (EventId, EventName,
// ReadOnly, EventTime, EventSource, Username, Resources, CloudTrailEvent as a
// JSON string), newest first, and NextToken.
type lookupFake struct {
	url    string
	mu     sync.Mutex
	events []map[string]any
	calls  int
	// tokens are the NextTokens requested ("" for the first page), once
	// each: an SDK retry of a page repeats its token.
	tokens     map[string]bool
	badRequest string
}

func startLookupFake(t *testing.T) *lookupFake {
	f := &lookupFake{}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *lookupFake) client(t *testing.T) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(f.url),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
}

func (f *lookupFake) reject(w http.ResponseWriter, code, msg string) {
	f.badRequest = code + ": " + msg
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}

func (f *lookupFake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), "CloudTrail_20131101.LookupEvents") {
		f.reject(w, "UnknownOperationException", r.Header.Get("X-Amz-Target"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        float64
		EndTime          float64
		MaxResults       int
		NextToken        string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		f.reject(w, "SerializationException", err.Error())
		return
	}
	if len(in.LookupAttributes) != 1 {
		f.reject(w, "InvalidLookupAttributesException", "exactly one lookup attribute")
		return
	}
	if in.MaxResults < 1 || in.MaxResults > 50 {
		f.reject(w, "InvalidMaxResultsException", "MaxResults 1-50")
		return
	}
	attr := in.LookupAttributes[0]
	start, end := time.Unix(int64(in.StartTime), 0), time.Unix(int64(in.EndTime), 0)
	type item struct {
		when time.Time
		raw  map[string]any
	}
	var matched []item
	for _, e := range f.events {
		when, _ := time.Parse(time.RFC3339, e["eventTime"].(string))
		if when.Before(start) || when.After(end) {
			continue
		}
		if attr.AttributeKey == "EventSource" && e["eventSource"] != attr.AttributeValue {
			continue
		}
		matched = append(matched, item{when, e})
	}
	sort.SliceStable(matched, func(i, j int) bool { return matched[i].when.After(matched[j].when) })
	if f.tokens == nil {
		f.tokens = map[string]bool{}
	}
	f.tokens[in.NextToken] = true
	from, _ := strconv.Atoi(in.NextToken)
	to := min(from+in.MaxResults, len(matched))
	events := []map[string]any{}
	for _, m := range matched[from:to] {
		raw, _ := json.Marshal(m.raw)
		req, _ := m.raw["requestParameters"].(map[string]any)
		events = append(events, map[string]any{
			"EventId": m.raw["eventID"], "EventName": m.raw["eventName"], "ReadOnly": "false",
			"AccessKeyId": "ASIAEXAMPLE", "EventTime": float64(m.when.Unix()), "EventSource": m.raw["eventSource"],
			"Username": "alice", "Resources": []map[string]any{{"ResourceType": "AWS::SageMaker::NotebookInstance", "ResourceName": req["notebookInstanceName"]}},
			"CloudTrailEvent": string(raw),
		})
	}
	out := map[string]any{"Events": events}
	if to < len(matched) {
		out["NextToken"] = strconv.Itoa(to)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}
