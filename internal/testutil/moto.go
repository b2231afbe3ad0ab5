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
}

// StartMoto starts moto_server for the test and stops it at cleanup. It sets
// fake credentials in the test's environment (t.Setenv), so tests using it
// cannot be parallel. It takes a testing.TB so that benchmarks can use it too.
//
// The port is found free and then given to moto, so another test process
// (go test runs packages in parallel) may take it in between: then moto
// cannot listen, and the server answering on the port is the other test's,
// whose state and lifetime are not this test's. StartMoto makes sure the
// server answering is its own (see listensOn) and otherwise starts again on
// another port.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	bin := RequireTool(t, "moto_server")
	var why string
	for attempt := 0; attempt < 5; attempt++ {
		m, reason := startMotoOnce(t, bin, FreePort(t))
		if m != nil {
			for k, v := range map[string]string{
				"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
				"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
				"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
			} {
				t.Setenv(k, v)
			}
			return m
		}
		why = reason
	}
	t.Fatalf("moto_server did not start: %s", why)
	return nil
}

// startMotoOnce starts moto on port and waits until it answers; nil and the
// reason when it exited first or another process answers there.
func startMotoOnce(t testing.TB, bin string, port int) (*Moto, string) {
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
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
		logFile.Close()
	}
	failed := func(reason string) (*Moto, string) {
		stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Sprintf("%s\n%s", reason, log)
	}
	m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		select {
		case <-exited:
			return failed(fmt.Sprintf("moto_server exited before answering on port %d", port))
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/moto-api/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			break
		}
		if ctx.Err() != nil {
			return failed(fmt.Sprintf("moto_server did not answer on %s: %v", m.URL, err))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if mine, known := listensOn(cmd.Process.Pid, port); known && !mine {
		return failed(fmt.Sprintf("port %d answers, but not from this test's moto_server (another test took the port)", port))
	}
	t.Cleanup(stop)
	return m, ""
}

// listensOn reports whether process pid holds the socket listening on the
// loopback TCP port (Linux: /proc/net/tcp and the process's descriptors);
// known is false where that cannot be told.
func listensOn(pid, port int) (mine, known bool) {
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false, false
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false, false
	}
	sockets := map[string]bool{}
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil {
			if inode, ok := strings.CutPrefix(target, "socket:["); ok {
				sockets[strings.TrimSuffix(inode, "]")] = true
			}
		}
	}
	// Lines: sl local_address rem_address st ... inode; a listener is st 0A.
	local := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || !strings.HasSuffix(f[1], local) || f[3] != "0A" {
			continue
		}
		if sockets[f[9]] {
			return true, true
		}
		return false, true
	}
	return false, true
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
