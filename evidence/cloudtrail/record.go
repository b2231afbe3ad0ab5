// Package cloudtrail reads the change history of SageMaker notebook
// instances and Studio domains from AWS CloudTrail, for an audit period:
// from the LookupEvents API (the last 90 days of one region), from a trail's
// log files in S3 (account and organization trails) or from a local
// directory of them. It turns the events into one history per resource and
// derives the violation windows in the period: when a notebook had direct
// internet access or no subnet, or a domain was not VpcOnly, who opened the
// window and who closed it.
//
// Contract:
//   - Events are SageMaker's (eventSource sagemaker.amazonaws.com) Create,
//     Update and Delete calls on notebook instances and domains, with
//     eventTime in [From, To). Keys of requestParameters and
//     responseElements are matched case-insensitively (their spelling is not
//     documented). An event seen twice (an account trail and an
//     organization trail, or S3 and LookupEvents) counts once, by eventID.
//   - Failed calls (errorCode, e.g. AccessDenied from a guardrail) are in the
//     history and never change a resource's state.
//   - An omitted DirectInternetAccess on create is the API default Enabled,
//     an omitted AppNetworkAccessType on CreateDomain is PublicInternetOnly;
//     UpdateDomain without it leaves it unchanged. UpdateNotebookInstance
//     cannot change the network settings.
//   - Time before a resource's first event in the period, when that event
//     is not its creation, is a gap (state unknown), never compliant; so is
//     time LookupEvents cannot reach (older than 90 days) and a day whose
//     log files could not be read.
package cloudtrail

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Resource types, as AWS Config and live findings name them.
const (
	TypeNotebook = "AWS::SageMaker::NotebookInstance"
	TypeDomain   = "AWS::SageMaker::Domain"
)

// eventSource is SageMaker's CloudTrail event source.
const eventSource = "sagemaker.amazonaws.com"

// actions maps the event names read to the change they make.
var actions = map[string]struct{ typ, action string }{
	"CreateNotebookInstance": {TypeNotebook, "created"},
	"UpdateNotebookInstance": {TypeNotebook, "updated"},
	"DeleteNotebookInstance": {TypeNotebook, "deleted"},
	"CreateDomain":           {TypeDomain, "created"},
	"UpdateDomain":           {TypeDomain, "updated"},
	"DeleteDomain":           {TypeDomain, "deleted"},
}

// Event is one change call on a notebook or domain.
type Event struct {
	Time      time.Time `json:"time"`
	EventID   string    `json:"event_id"`
	EventName string    `json:"event_name"`
	// Action is created, updated or deleted.
	Action       string `json:"action"`
	ResourceType string `json:"resource_type"`
	// Resource is the notebook name or the domain ID (the domain name when a
	// failed CreateDomain never got an ID).
	Resource string `json:"resource"`
	// DomainName is the domain's name when the event carries it.
	DomainName string `json:"domain_name,omitempty"`
	ARN        string `json:"arn,omitempty"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	// Principal is userIdentity.arn (or the invoking service); PrincipalType
	// is userIdentity.type.
	Principal     string `json:"principal"`
	PrincipalType string `json:"principal_type,omitempty"`
	SourceIP      string `json:"source_ip,omitempty"`
	UserAgent     string `json:"user_agent,omitempty"`
	// The network settings the request carried; nil when the request did
	// not carry them.
	DirectInternetAccess *string  `json:"direct_internet_access"`
	SubnetID             *string  `json:"subnet_id"`
	SecurityGroupIDs     []string `json:"security_group_ids"`
	AppNetworkAccessType *string  `json:"app_network_access_type"`
	// ErrorCode and ErrorMessage are set on a failed call.
	ErrorCode    string `json:"error_code,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
	// Source is where the event was read: "lookup-events REGION", an S3 URI
	// or a file path.
	Source string `json:"source"`
}

// Failed reports whether the call was refused or failed.
func (e Event) Failed() bool { return e.ErrorCode != "" }

// key identifies the resource an event is about.
func (e Event) key() string {
	return e.Account + "|" + e.Region + "|" + e.ResourceType + "|" + strings.ToLower(e.Resource)
}

// record is a CloudTrail record, the fields read.
type record struct {
	EventID            string          `json:"eventID"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	RecipientAccountID string          `json:"recipientAccountId"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	UserIdentity       struct {
		Type      string `json:"type"`
		ARN       string `json:"arn"`
		AccountID string `json:"accountId"`
		InvokedBy string `json:"invokedBy"`
		UserName  string `json:"userName"`
	} `json:"userIdentity"`
}

// parseRecord turns one CloudTrail record into an Event; ok is false for a
// record of another service or call. A SageMaker change record that cannot
// be read (no time, no resource) is an error.
func parseRecord(raw json.RawMessage, source string) (Event, bool, error) {
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return Event{}, false, fmt.Errorf("%s: a record is not a CloudTrail event: %w", source, err)
	}
	act, ok := actions[r.EventName]
	if !ok || r.EventSource != eventSource {
		return Event{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, r.EventTime)
	if err != nil {
		return Event{}, false, fmt.Errorf("%s: event %s: eventTime %q is not RFC 3339", source, r.EventID, r.EventTime)
	}
	req, resp := object(r.RequestParameters), object(r.ResponseElements)
	e := Event{
		Time: t.UTC(), EventID: r.EventID, EventName: r.EventName, Action: act.action, ResourceType: act.typ,
		Account: r.RecipientAccountID, Region: r.AWSRegion, PrincipalType: r.UserIdentity.Type,
		Principal: r.UserIdentity.ARN, SourceIP: r.SourceIPAddress, UserAgent: r.UserAgent,
		ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage, Source: source,
	}
	if e.Account == "" {
		e.Account = r.UserIdentity.AccountID
	}
	if e.Principal == "" {
		e.Principal = cmp.Or(r.UserIdentity.InvokedBy, r.UserIdentity.UserName, r.UserIdentity.Type)
	}
	if act.typ == TypeNotebook {
		e.Resource = str(req, "notebookInstanceName")
		e.ARN = str(resp, "notebookInstanceArn")
		e.DirectInternetAccess = optStr(req, "directInternetAccess")
		e.SubnetID = optStr(req, "subnetId")
		e.SecurityGroupIDs = strList(req, "securityGroupIds")
	} else {
		e.DomainName = str(req, "domainName")
		e.Resource = cmp.Or(str(req, "domainId"), str(resp, "domainId"), domainIDFromARN(str(resp, "domainArn")))
		e.ARN = str(resp, "domainArn")
		e.AppNetworkAccessType = optStr(req, "appNetworkAccessType")
		if ids := strList(req, "subnetIds"); len(ids) > 0 {
			joined := strings.Join(ids, ",")
			e.SubnetID = &joined
		}
		if e.Resource == "" && e.Failed() {
			e.Resource = e.DomainName // a failed create never got an ID
		}
	}
	if e.Resource == "" {
		return Event{}, false, fmt.Errorf("%s: event %s (%s at %s) names no resource", source, r.EventID, r.EventName, r.EventTime)
	}
	if e.EventID == "" {
		e.EventID = r.EventName + "@" + r.EventTime + "@" + e.Resource
	}
	return e, true, nil
}

// object decodes a JSON object; nil for null, absent or another type.
func object(raw json.RawMessage) map[string]any {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// lookup finds key in m case-insensitively (an exact match first).
func lookup(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func str(m map[string]any, key string) string {
	v, _ := lookup(m, key)
	s, _ := v.(string)
	return s
}

func optStr(m map[string]any, key string) *string {
	v, ok := lookup(m, key)
	if !ok || v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		s = fmt.Sprint(v)
	}
	return &s
}

func strList(m map[string]any, key string) []string {
	v, _ := lookup(m, key)
	switch v := v.(type) {
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

func domainIDFromARN(arn string) string {
	if i := strings.LastIndex(arn, ":domain/"); i >= 0 {
		return arn[i+len(":domain/"):]
	}
	return ""
}
