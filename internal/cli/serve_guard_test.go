package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagefence/sagefence/internal/testutil"
)

// lockedBuffer is a bytes.Buffer safe for the server goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs `serve` in-process until the test ends and returns its
// address and standard error.
func startServe(t *testing.T, opts *ServeOptions) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrCh := make(chan string, 1)
	done := make(chan error, 1)
	stderr := &lockedBuffer{}
	io := &IO{Out: &bytes.Buffer{}, ErrOut: stderr, Getenv: func(string) string { return "" }}
	opts.ready = func(a string) { addrCh <- a }
	if opts.MaxRuns == 0 {
		opts.MaxRuns = 100
	}
	go func() { done <- runServe(ctx, io, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addrCh:
		return a, stderr
	case err := <-done:
		t.Fatalf("serve ended: %v (%s)", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil
}

// get requests path from addr with the Host header host and the header
// values given, and returns status, body and the response.
func get(t *testing.T, addr, host, path string, header map[string]string) (int, string, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp
}

// TestServeHostAndToken: a Host header that is not the listen host or a
// loopback name gets 421 (DNS rebinding), with --token every request needs
// the token (header, query or the cookie the query sets), and the pages are
// served only then.
func TestServeHostAndToken(t *testing.T) {
	store := filepath.Join(t.TempDir(), "evidence.db")
	serveHistory(t, store)
	const token = "0123456789abcdef-test-token"
	addr, stderr := startServe(t, &ServeOptions{StoreOptions: StoreOptions{Store: store},
		Listen: fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)), Token: token, AllowHosts: []string{"evidence.internal"}})
	port := addr[strings.LastIndex(addr, ":")+1:]
	bearer := map[string]string{"Authorization": "Bearer " + token}

	for _, host := range []string{"attacker.example:" + port, "attacker.example", "127.0.0.1.attacker.example:" + port, "localhost.attacker.example"} {
		if code, body, _ := get(t, addr, host, "/", bearer); code != http.StatusMisdirectedRequest || strings.Contains(body, "Chain verified") {
			t.Errorf("Host %s: %d %q, want 421 and no evidence", host, code, body)
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST", "evidence.internal:" + port} {
		if code, body, _ := get(t, addr, host, "/", bearer); code != http.StatusOK || !strings.Contains(body, "Chain verified: 10 runs") {
			t.Errorf("Host %s with the token: %d, want 200 and the index", host, code)
		}
	}
	local := "127.0.0.1:" + port
	for name, h := range map[string]map[string]string{"none": nil, "wrong": {"Authorization": "Bearer " + token + "x"},
		"basic": {"Authorization": "Basic " + token}, "wrong cookie": {"Cookie": tokenCookie + "=nope"}} {
		if code, body, _ := get(t, addr, local, "/", h); code != http.StatusUnauthorized || strings.Contains(body, "Chain verified") {
			t.Errorf("%s token: %d, want 401 and no evidence", name, code)
		}
	}
	if code, _, _ := get(t, addr, local, "/?token=wrong", nil); code != http.StatusUnauthorized {
		t.Errorf("wrong query token: %d", code)
	}
	code, _, resp := get(t, addr, local, "/?token="+token, nil)
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == tokenCookie {
			cookie = c
		}
	}
	if code != http.StatusOK || cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("query token: %d, cookie %+v", code, cookie)
	}
	if code, _, _ := get(t, addr, local, "/", map[string]string{"Cookie": cookie.String()}); code != http.StatusOK {
		t.Errorf("with the cookie: %d", code)
	}
	if strings.Contains(stderr.String(), "WARNING") {
		t.Errorf("a warning on a loopback address: %s", stderr.String())
	}
}

// TestServeNonLoopbackWarns: --listen on every interface warns, more so
// without a token; a token shorter than 16 characters is refused.
func TestServeNonLoopbackWarns(t *testing.T) {
	store := filepath.Join(t.TempDir(), "evidence.db")
	serveHistory(t, store)
	addr, stderr := startServe(t, &ServeOptions{StoreOptions: StoreOptions{Store: store}, Listen: fmt.Sprintf("0.0.0.0:%d", testutil.FreePort(t))})
	if !strings.Contains(stderr.String(), "WARNING: --listen 0.0.0.0:") || !strings.Contains(stderr.String(), "no --token is required") {
		t.Errorf("stderr: %q", stderr.String())
	}
	port := addr[strings.LastIndex(addr, ":")+1:]
	if code, _, _ := get(t, "127.0.0.1:"+port, "127.0.0.1:"+port, "/", nil); code != http.StatusOK {
		t.Errorf("loopback Host on a wildcard listener: %d", code)
	}
	err := runServe(context.Background(), &IO{Out: io.Discard, ErrOut: io.Discard, Getenv: func(string) string { return "" }},
		&ServeOptions{StoreOptions: StoreOptions{Store: store}, Listen: "127.0.0.1:0", Token: "short"})
	if err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("short token: %v", err)
	}
}

// TestServePostgresPasswordNotShown: a password given as ?password= in a
// postgres:// store appears neither on stderr nor on the index page.
func TestServePostgresPasswordNotShown(t *testing.T) {
	pg := testutil.StartPostgres(t)
	const secret = "SEKRET-pw-4711"
	store := pg.URL + "&password=" + secret
	serveHistory(t, store)
	addr, stderr := startServe(t, &ServeOptions{StoreOptions: StoreOptions{Store: store}, Listen: "127.0.0.1:0"})
	code, body, _ := get(t, addr, addr, "/", nil)
	if code != http.StatusOK || !strings.Contains(body, "password=xxxxx") {
		t.Errorf("index: %d, want the store named with the password redacted", code)
	}
	if strings.Contains(body, secret) || strings.Contains(stderr.String(), secret) {
		t.Errorf("the password is shown: stderr %q", stderr.String())
	}
	// A store that cannot be reached: the error does not show it either.
	_, _, errOut := runWith(t, cliRun{}, "evidence", "list", "--store", "postgres://sagefence@127.0.0.1:1/none?password="+secret)
	if !strings.Contains(errOut, "password=xxxxx") || strings.Contains(errOut, secret) {
		t.Errorf("connection error: %q", errOut)
	}
}
