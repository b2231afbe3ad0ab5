package testutil

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Moto is a moto_server process on a free loopback port.
type Moto struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL string
	cmd *exec.Cmd
}

// StartMoto starts moto_server for the test and stops it at cleanup. It sets
// fake credentials in the test's environment (t.Setenv), so tests using it
// cannot be parallel. It takes a testing.TB so that benchmarks can use it too.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	bin := RequireTool(t, "moto_server")
	port := FreePort(t)
	logPath := filepath.Join(t.TempDir(), "moto.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto_server: %v", err)
	}
	m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/moto-api/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			break
		}
		if ctx.Err() != nil {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("moto_server did not start on %s: %v\n%s", m.URL, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
		"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return m
}

// Reset clears all of moto's state.
func (m *Moto) Reset(t testing.TB) {
	t.Helper()
	resp, err := http.Post(m.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("resetting moto: %v", err)
	}
	resp.Body.Close()
}

// MotoSDKConfig is the AWS SDK configuration tests use to seed and read moto
// at endpoint, in region, with fake static credentials.
func MotoSDKConfig(t testing.TB, endpoint, region string) sdkaws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithBaseEndpoint(endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "testing")))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// CreatedByEarlierAttempt reports whether err is moto refusing a create
// because the resource already exists. In a test that names what it seeds
// once, that is the SDK having retried a create whose first attempt moto
// carried out although the answer did not arrive (seen under load): the
// resource is the one asked for, and the caller looks it up by name.
func CreatedByEarlierAttempt(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "Cannot create a duplicate") || strings.Contains(msg, "InvalidGroup.Duplicate") ||
		strings.Contains(msg, "already exists")
}
