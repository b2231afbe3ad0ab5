// Package configruletest holds what the tests of the AWS Config rule share:
// a moto account seeded with notebooks, a VPC and domains, AWS Config rule
// events in the shapes AWS sends (shared/aws-facts.md §8.1), and a loopback
// proxy in front of moto that records every PutEvaluations request (moto
// accepts it only with TestMode=true and stores nothing).
package configruletest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/sagefence/sagefence/internal/testutil"
)

// Account is moto's account for the default credentials; Region is where
// everything is seeded.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Evaluation is one evaluation as sent on the wire.
type Evaluation struct {
	ComplianceResourceType string
	ComplianceResourceId   string
	ComplianceType         string
	Annotation             string
	OrderingTimestamp      float64
}

// PutEvaluations is one recorded request.
type PutEvaluations struct {
	ResultToken string
	TestMode    bool
	Evaluations []Evaluation
}

// Recorder is a loopback proxy in front of moto recording PutEvaluations.
type Recorder struct {
	URL  string
	mu   sync.Mutex
	puts []PutEvaluations
}

// StartRecorder serves the proxy until the test ends.
func StartRecorder(t *testing.T, moto string) *Recorder {
	t.Helper()
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	r := &Recorder{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("X-Amz-Target") == "StarlingDoveService.PutEvaluations" {
			body, _ := io.ReadAll(req.Body)
			var p PutEvaluations
			if err := json.Unmarshal(body, &p); err != nil {
				http.Error(w, "recorder: "+err.Error(), http.StatusBadRequest)
				return
			}
			r.mu.Lock()
			r.puts = append(r.puts, p)
			r.mu.Unlock()
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Take returns the requests recorded since the last Take.
func (r *Recorder) Take() []PutEvaluations {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.puts
	r.puts = nil
	return out
}

// Flatten joins the evaluations of requests, keyed by resource ID.
func Flatten(puts []PutEvaluations) map[string]Evaluation {
	out := map[string]Evaluation{}
	for _, p := range puts {
		for _, e := range p.Evaluations {
			out[e.ComplianceResourceId] = e
		}
	}
	return out
}

// Seeded names what Seed created.
type Seeded struct {
	VPC, PrivateSubnet, SecurityGroup string
	// OpenNotebook has direct internet access (the API default);
	// PrivateNotebook is in PrivateSubnet without it.
	OpenNotebook, PrivateNotebook string
	// PublicDomain is PublicInternetOnly; VpcOnlyDomain is VpcOnly.
	PublicDomain, VpcOnlyDomain string
}

// Seed creates the scenario in moto at endpoint.
func Seed(t *testing.T, endpoint string) Seeded {
	t.Helper()
	ctx := context.Background()
	cfg := testutil.MotoSDKConfig(t, endpoint, Region)
	e := ec2.NewFromConfig(cfg)
	sm := sagemaker.NewFromConfig(cfg)
	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: sdkaws.String("10.20.0.0/16")})
	if err != nil {
		t.Fatalf("create vpc: %v", err)
	}
	s := Seeded{VPC: *vpc.Vpc.VpcId, OpenNotebook: "nb-open", PrivateNotebook: "nb-private"}
	sub, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: sdkaws.String("10.20.1.0/24")})
	if err != nil {
		t.Fatalf("create subnet: %v", err)
	}
	s.PrivateSubnet = *sub.Subnet.SubnetId
	sg, err := e.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId,
		GroupName: sdkaws.String("notebooks"), Description: sdkaws.String("notebooks")})
	if err != nil {
		t.Fatalf("create security group: %v", err)
	}
	s.SecurityGroup = *sg.GroupId
	for _, n := range []struct {
		name string
		in   sagemaker.CreateNotebookInstanceInput
	}{
		{s.OpenNotebook, sagemaker.CreateNotebookInstanceInput{}},
		{s.PrivateNotebook, sagemaker.CreateNotebookInstanceInput{DirectInternetAccess: smtypes.DirectInternetAccessDisabled,
			SubnetId: sdkaws.String(s.PrivateSubnet), SecurityGroupIds: []string{s.SecurityGroup}}},
	} {
		in := n.in
		in.NotebookInstanceName = sdkaws.String(n.name)
		in.InstanceType = smtypes.InstanceTypeMlT2Medium
		in.RoleArn = sdkaws.String("arn:aws:iam::" + Account + ":role/notebook")
		if _, err := sm.CreateNotebookInstance(ctx, &in); err != nil && !testutil.CreatedByEarlierAttempt(err) {
			t.Fatalf("create notebook %s: %v", n.name, err)
		}
	}
	for i, access := range []smtypes.AppNetworkAccessType{smtypes.AppNetworkAccessTypePublicInternetOnly, smtypes.AppNetworkAccessTypeVpcOnly} {
		out, err := sm.CreateDomain(ctx, &sagemaker.CreateDomainInput{
			DomainName: sdkaws.String(fmt.Sprintf("studio-%d", i)), AuthMode: smtypes.AuthModeIam,
			DefaultUserSettings: &smtypes.UserSettings{ExecutionRole: sdkaws.String("arn:aws:iam::" + Account + ":role/studio")},
			VpcId:               vpc.Vpc.VpcId, SubnetIds: []string{s.PrivateSubnet}, AppNetworkAccessType: access,
		})
		if err != nil {
			t.Fatalf("create domain: %v", err)
		}
		id := sdkaws.ToString(out.DomainId)
		if id == "" { // moto answers only the ARN
			arn := sdkaws.ToString(out.DomainArn)
			id = arn[strings.LastIndex(arn, "/")+1:]
		}
		if i == 0 {
			s.PublicDomain = id
		} else {
			s.VpcOnlyDomain = id
		}
	}
	return s
}

// Time is the fixed notification/capture time of the events.
var Time = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// ruleParameters encodes {"sagefence_control": controlID}.
func ruleParameters(controlID string) string {
	b, _ := json.Marshal(map[string]string{"sagefence_control": controlID})
	return string(b)
}

// event wraps an invoking event in the Lambda event AWS Config sends.
func event(invoking map[string]any, controlID string, leftScope bool) []byte {
	inv, _ := json.Marshal(invoking)
	b, _ := json.Marshal(map[string]any{
		"version":          "1.0",
		"invokingEvent":    string(inv),
		"ruleParameters":   ruleParameters(controlID),
		"resultToken":      "token-" + controlID,
		"eventLeftScope":   leftScope,
		"executionRoleArn": "arn:aws:iam::" + Account + ":role/config-role",
		"configRuleArn":    "arn:aws:config:" + Region + ":" + Account + ":config-rule/config-rule-abc123",
		"configRuleName":   "sagefence-" + controlID,
		"configRuleId":     "config-rule-abc123",
		"accountId":        Account,
	})
	return b
}

// ScheduledEvent is a periodic rule's event.
func ScheduledEvent(controlID string) []byte {
	return event(map[string]any{
		"awsAccountId": Account, "notificationCreationTime": Time.Format(time.RFC3339Nano),
		"messageType": "ScheduledNotification", "recordVersion": "1.0",
	}, controlID, false)
}

// ChangeEvent is a ConfigurationItemChangeNotification for one resource
// (status OK, ResourceDiscovered, ResourceDeleted, ...).
func ChangeEvent(controlID, resourceType, resourceID, status string, configuration map[string]any) []byte {
	return event(map[string]any{
		"configurationItemDiff": nil,
		"configurationItem": map[string]any{
			"relatedEvents": []string{}, "relationships": []any{}, "configuration": configuration,
			"supplementaryConfiguration": map[string]any{}, "tags": map[string]any{},
			"configurationItemVersion": "1.3", "configurationItemCaptureTime": Time.Format("2006-01-02T15:04:05.000Z"),
			"configurationStateId": 1, "awsAccountId": Account, "configurationItemStatus": status,
			"resourceType": resourceType, "resourceId": resourceID, "resourceName": resourceID,
			"ARN": "arn:aws:ec2:" + Region + ":" + Account + ":" + resourceID, "awsRegion": Region,
			"availabilityZone": "Not Applicable", "configurationStateMd5Hash": "",
		},
		"notificationCreationTime": Time.Format(time.RFC3339Nano),
		"messageType":              "ConfigurationItemChangeNotification", "recordVersion": "1.3",
	}, controlID, false)
}

// OversizedEvent is an OversizedConfigurationItemChangeNotification (a
// configurationItemSummary, no configuration).
func OversizedEvent(controlID, resourceType, resourceID, status string) []byte {
	return event(map[string]any{
		"configurationItemSummary": map[string]any{
			"changeType": "UPDATE", "configurationItemVersion": "1.3",
			"configurationItemCaptureTime": Time.Format("2006-01-02T15:04:05.000Z"), "configurationStateId": 2,
			"awsAccountId": Account, "configurationItemStatus": status, "resourceType": resourceType,
			"resourceId": resourceID, "resourceName": resourceID, "awsRegion": Region,
			"availabilityZone": "Not Applicable", "configurationStateMd5Hash": "", "resourceCreationTime": Time.Add(-time.Hour).Format("2006-01-02T15:04:05.000Z"),
		},
		"s3DeliverySummary":        map[string]any{"s3BucketLocation": "config-bucket/oversized.json"},
		"notificationCreationTime": Time.Format(time.RFC3339Nano),
		"messageType":              "OversizedConfigurationItemChangeNotification", "recordVersion": "1.0",
	}, controlID, false)
}
