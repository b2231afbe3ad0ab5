package testutil

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// listensOn tells this process's listener from another process's.
func TestListensOn(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp: listensOn cannot tell (StartMoto then trusts the answer)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	if mine, known := listensOn(os.Getpid(), port); !known || !mine {
		t.Fatalf("own listener on %d: mine=%v known=%v", port, mine, known)
	}
	other := exec.Command("sleep", "30")
	if err := other.Start(); err != nil {
		t.Skipf("no second process to compare with: %v", err)
	}
	defer func() { _ = other.Process.Kill(); _ = other.Wait() }()
	if mine, known := listensOn(other.Process.Pid, port); !known || mine {
		t.Fatalf("another process's view of our listener on %d: mine=%v known=%v", port, mine, known)
	}
	free := FreePort(t)
	if mine, _ := listensOn(os.Getpid(), free); mine {
		t.Fatalf("no listener on %d, yet mine", free)
	}
}

// A port another process already serves on is not taken for this test's
// moto: startMotoOnce gives up on it (StartMoto then takes another port).
func TestStartMotoRefusesAForeignServer(t *testing.T) {
	bin := RequireTool(t, "moto_server")
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp: listensOn cannot tell")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { _ = http.Serve(l, http.NotFoundHandler()) }() // answers, as another test's moto would
	m, reason := startMotoOnce(t, bin, l.Addr().(*net.TCPAddr).Port)
	if m != nil {
		t.Fatalf("took a port served by another process: %s", m.URL)
	}
	if !strings.Contains(reason, "exited before answering") && !strings.Contains(reason, "not from this test's moto_server") {
		t.Fatalf("reason: %s", reason)
	}
	if m := StartMoto(t); m == nil || m.URL == "" {
		t.Fatal("StartMoto")
	}
}
