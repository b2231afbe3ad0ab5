package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagefence/sagefence/configrule"
	"github.com/sagefence/sagefence/configrule/configruletest"
	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/cli"
	"github.com/sagefence/sagefence/internal/testutil"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// invocation is one event handed to the function and what it answered.
type invocation struct {
	id       string
	event    []byte
	deadline time.Time
	done     chan struct{}
	// outcome is "response" or "error"; body is what was posted.
	outcome string
	body    []byte
}

// runtimeAPI is a loopback implementation of the Lambda Runtime API
// (2018-06-01): GET /runtime/invocation/next hands out queued events with
// the documented headers, POST .../{id}/response and .../{id}/error record
// the outcome.
type runtimeAPI struct {
	addr    string
	queue   chan *invocation
	mu      sync.Mutex
	byID    map[string]*invocation
	nextSeq int
}

func startRuntimeAPI(t *testing.T) *runtimeAPI {
	t.Helper()
	r := &runtimeAPI{queue: make(chan *invocation, 16), byID: map[string]*invocation{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, req *http.Request) {
		select {
		case inv := <-r.queue:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:sagefence-config-rule")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(inv.event)
		case <-req.Context().Done():
		}
	})
	outcome := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			body, _ := io.ReadAll(req.Body)
			r.mu.Lock()
			inv := r.byID[req.PathValue("id")]
			r.mu.Unlock()
			if inv == nil || inv.outcome != "" {
				http.Error(w, "unknown or answered invocation", http.StatusBadRequest)
				return
			}
			inv.outcome, inv.body = kind, body
			close(inv.done)
			w.WriteHeader(http.StatusAccepted)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", outcome("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", outcome("error"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r.addr = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// invoke queues event and waits for its outcome (at most wait).
func (r *runtimeAPI) invoke(t *testing.T, event []byte, timeout, wait time.Duration) *invocation {
	t.Helper()
	r.mu.Lock()
	r.nextSeq++
	inv := &invocation{id: fmt.Sprintf("req-%d", r.nextSeq), event: event, deadline: time.Now().Add(timeout), done: make(chan struct{})}
	r.byID[inv.id] = inv
	r.mu.Unlock()
	r.queue <- inv
	select {
	case <-inv.done:
	case <-time.After(wait):
		t.Fatalf("invocation %s: no response or error within %s", inv.id, wait)
	}
	return inv
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildBootstrap builds the function once per test binary as the release
// does, plus the configrule_testmode tag (PutEvaluations TestMode, which
// moto needs).
func buildBootstrap(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "sagefence-bootstrap"); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc,configrule_testmode", "-o", filepath.Join(buildDir, "bootstrap"), ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building bootstrap: %v\n%s", err, b)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "bootstrap")
}

// startFunction runs the bootstrap binary as Lambda would, against api, with
// every AWS call going to endpoint.
func startFunction(t *testing.T, bin string, api *runtimeAPI, endpoint string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + api.addr, "AWS_REGION=" + configruletest.Region,
		"AWS_ENDPOINT_URL=" + endpoint, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SESSION_TOKEN=testing", "AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME=sagefence-config-rule", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_VERSION=1", "HOME=" + t.TempDir(),
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("function output:\n%s", logs.String())
		}
	})
	return cmd
}

// alive fails the test when the function process has exited.
func alive(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if cmd.ProcessState != nil {
		t.Fatalf("the function exited: %v", cmd.ProcessState)
	}
	if err := cmd.Process.Signal(syscallZero()); err != nil {
		t.Fatalf("the function is not running: %v", err)
	}
}

func TestBootstrapAgainstRuntimeAPI(t *testing.T) {
	moto := testutil.StartMoto(t)
	seeded := configruletest.Seed(t, moto.URL)
	rec := configruletest.StartRecorder(t, moto.URL)
	fake := testutil.StartConfigFake(t, rec.URL) // GetComplianceDetailsByConfigRule, which moto lacks
	for _, c := range control.All() {            // the rules exist, without results yet
		fake.Add("sagefence-" + c.ID)
	}
	bin := buildBootstrap(t)
	api := startRuntimeAPI(t)
	fn := startFunction(t, bin, api, fake.URL)
	const wait = 60 * time.Second

	t.Run("one invocation per event kind", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			event []byte
			want  map[string]string
		}{
			{"scheduled", configruletest.ScheduledEvent(control.DirectInternetAccessID),
				map[string]string{seeded.OpenNotebook: "NON_COMPLIANT", seeded.PrivateNotebook: "COMPLIANT"}},
			{"change", configruletest.ChangeEvent(control.DomainVpcOnlyID, awssurface.TypeDomain, seeded.VpcOnlyDomain, "OK",
				map[string]any{"AppNetworkAccessType": "VpcOnly"}), map[string]string{seeded.VpcOnlyDomain: "COMPLIANT"}},
			{"change, deleted", configruletest.ChangeEvent(control.InVPCID, awssurface.TypeNotebook, "nb-deleted", "ResourceDeleted", nil),
				map[string]string{"nb-deleted": "NOT_APPLICABLE"}},
			{"oversized", configruletest.OversizedEvent(control.InVPCID, "AWS::EC2::RouteTable", "rtb-0123", "OK"),
				map[string]string{seeded.OpenNotebook: "NON_COMPLIANT", seeded.PrivateNotebook: "COMPLIANT"}},
		} {
			inv := api.invoke(t, tc.event, 30*time.Second, wait)
			if inv.outcome != "response" {
				t.Errorf("%s: %s %s", tc.name, inv.outcome, inv.body)
				continue
			}
			got := configruletest.Flatten(rec.Take())
			if len(got) != len(tc.want) {
				t.Errorf("%s: sent %+v, want %v", tc.name, got, tc.want)
			}
			for id, c := range tc.want {
				if got[id].ComplianceType != c {
					t.Errorf("%s: %s = %+v, want %s", tc.name, id, got[id], c)
				}
			}
		}
	})
	t.Run("a malformed event is an error response, and the function keeps serving", func(t *testing.T) {
		for _, ev := range [][]byte{[]byte(`{"invokingEvent": 42`), []byte(`{"invokingEvent":"{}","resultToken":"t","ruleParameters":"{\"sagefence_control\":\"sagemaker_notebook_instance_in_vpc\"}"}`)} {
			inv := api.invoke(t, ev, 10*time.Second, wait)
			if inv.outcome != "error" || !bytes.Contains(inv.body, []byte("errorMessage")) {
				t.Errorf("malformed event %s: %s %s", ev, inv.outcome, inv.body)
			}
			alive(t, fn)
		}
		if puts := rec.Take(); len(puts) != 0 {
			t.Errorf("a malformed event sent evaluations: %+v", puts)
		}
		inv := api.invoke(t, configruletest.ScheduledEvent(control.InVPCID), 30*time.Second, wait)
		if inv.outcome != "response" {
			t.Errorf("after malformed events: %s %s", inv.outcome, inv.body)
		}
		rec.Take()
	})
}

func TestBootstrapHonoursDeadline(t *testing.T) {
	// An endpoint that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	bin := buildBootstrap(t)
	api := startRuntimeAPI(t)
	fn := startFunction(t, bin, api, "http://"+ln.Addr().String())
	start := time.Now()
	inv := api.invoke(t, configruletest.ScheduledEvent(control.InVPCID), 2*time.Second, 20*time.Second)
	took := time.Since(start)
	if inv.outcome != "error" {
		t.Fatalf("a hanging AWS endpoint past the deadline gave %s %s", inv.outcome, inv.body)
	}
	if took > 8*time.Second {
		t.Errorf("the error came %s after the invocation, deadline was 2s", took)
	}
	alive(t, fn)
}

// TestSameVerdictsAsAudit runs every control as a Config rule (the built
// function) and `sagefence audit` on the same moto account: each
// notebook's and domain's evaluation is what configrule.Verdict makes of
// audit's finding, and no resource is missing on either side.
func TestSameVerdictsAsAudit(t *testing.T) {
	moto := testutil.StartMoto(t)
	configruletest.Seed(t, moto.URL)
	rec := configruletest.StartRecorder(t, moto.URL)
	fake := testutil.StartConfigFake(t, rec.URL)
	for _, c := range control.All() { // the rules exist, without results yet
		fake.Add("sagefence-" + c.ID)
	}
	api := startRuntimeAPI(t)
	startFunction(t, buildBootstrap(t), api, fake.URL)

	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), &cli.IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }},
		[]string{"audit", "--endpoint-url", moto.URL, "--region", configruletest.Region, "--format", "json"})
	if code != 0 && code != 1 {
		t.Fatalf("audit exited %d: %s", code, errOut.String())
	}
	var res struct{ Findings []finding.Finding }
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, c := range control.All() {
		inv := api.invoke(t, configruletest.ScheduledEvent(c.ID), 30*time.Second, 60*time.Second)
		if inv.outcome != "response" {
			t.Fatalf("%s: %s %s", c.ID, inv.outcome, inv.body)
		}
		got := configruletest.Flatten(rec.Take())
		want := map[string]string{}
		for _, f := range res.Findings {
			if f.ControlID != c.ID || (f.Resource.Type != awssurface.TypeNotebook && f.Resource.Type != awssurface.TypeDomain) {
				continue
			}
			compliance, annotation := configrule.Verdict(f)
			want[f.Resource.Address] = string(compliance)
			e, ok := got[f.Resource.Address]
			switch {
			case !ok:
				t.Errorf("%s %s: audit says %s, the rule sent nothing", c.ID, f.Resource.Address, f.Status)
			case e.ComplianceType != string(compliance) || e.Annotation != configrule.Truncate(annotation, configrule.MaxAnnotation):
				t.Errorf("%s %s: audit %s %q, rule %s %q", c.ID, f.Resource.Address, compliance, annotation, e.ComplianceType, e.Annotation)
			default:
				compared++
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				t.Errorf("%s %s: the rule sent %+v, audit has no finding", c.ID, id, got[id])
			}
		}
	}
	if compared < 8 {
		t.Errorf("only %d verdicts compared: the scenario should give at least 8", compared)
	}
}
