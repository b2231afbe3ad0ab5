package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/evidence"
)

// ServeOptions are `sagefence serve`'s inputs.
type ServeOptions struct {
	StoreOptions
	Listen  string
	MaxRuns int
	// AllowHosts are Host header names accepted besides the listen host and
	// the loopback names (serveGuard).
	AllowHosts []string
	// Token, when set, is required on every request (serveGuard).
	Token string
	// ready, when set (tests), receives the bound address.
	ready func(addr string)
}

func newServeCmd(io *IO) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a read-only local web view of the evidence history",
		Long: `Serve the evidence store as web pages: the chain's verify status, a pass/fail/unknown trend per
control, the runs and their findings, and per-resource timelines. Read-only, no external assets.
Listens on loopback by default; stop it with Ctrl-C.

Anyone who can reach the address can read the evidence (findings, resource names, accounts).
Requests are answered only when their Host header is the listen host, localhost, 127.0.0.1 or
[::1] (or a name given with --allow-host), which defeats DNS rebinding from a web page. --token
(or $SAGEFENCE_SERVE_TOKEN) requires a token on every request: "Authorization: Bearer TOKEN", or
open http://HOST:PORT/?token=TOKEN once in a browser (a cookie keeps it for the other pages).
A --listen address that is not loopback prints a warning, and more so without --token. A password
in a postgres:// --store is never shown (stderr, errors or the pages).`,
		Example: "  sagefence serve\n  sagefence serve --listen 127.0.0.1:9000 --store postgres://evidence@db/evidence\n" +
			"  SAGEFENCE_SERVE_TOKEN=$(openssl rand -hex 16) sagefence serve --listen 10.0.0.5:8080 --allow-host evidence.internal",
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd.Context(), io, opts) },
	}
	opts.StoreOptions.addFlags(cmd)
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "`ADDRESS` to listen on")
	cmd.Flags().IntVar(&opts.MaxRuns, "max-runs", 500, "chart and list at most the newest `N` runs")
	cmd.Flags().StringArrayVar(&opts.AllowHosts, "allow-host", nil, "also accept requests whose Host header is `NAME` (repeatable)")
	cmd.Flags().StringVar(&opts.Token, "token", "", "require this `TOKEN` on every request (default $SAGEFENCE_SERVE_TOKEN)")
	return cmd
}

func runServe(ctx context.Context, io *IO, opts *ServeOptions) error {
	token := opts.Token
	if token == "" && io.Getenv != nil {
		token = io.Getenv("SAGEFENCE_SERVE_TOKEN")
	}
	if token != "" && len(token) < 16 {
		return usagef("--token: use at least 16 characters (such as the output of openssl rand -hex 16)")
	}
	st, err := opts.open(ctx, io)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := evidence.NewHandler(st, opts.MaxRuns)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return usagef("--listen %s: %v", opts.Listen, err)
	}
	srv := &http.Server{Handler: newServeGuard(h, ln.Addr().String(), append([]string{listenHost(opts.Listen)}, opts.AllowHosts...), token),
		ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(io.ErrOut, "sagefence: serving %s on http://%s/\n", st.Location(), ln.Addr())
	if !isLoopbackListen(opts.Listen) {
		warning := "anyone who can reach it can read the evidence"
		if token == "" {
			warning += "; no --token is required"
		}
		fmt.Fprintf(io.ErrOut, "sagefence: WARNING: --listen %s is not a loopback address: %s\n", opts.Listen, warning)
	}
	if opts.ready != nil {
		opts.ready(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
