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
Listens on loopback by default; stop it with Ctrl-C.`,
		Example: "  sagefence serve\n  sagefence serve --listen 127.0.0.1:9000 --store postgres://evidence@db/evidence",
		Args:    exactArgs(0),
		RunE:    func(cmd *cobra.Command, args []string) error { return runServe(cmd.Context(), io, opts) },
	}
	opts.StoreOptions.addFlags(cmd)
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "`ADDRESS` to listen on")
	cmd.Flags().IntVar(&opts.MaxRuns, "max-runs", 500, "chart and list at most the newest `N` runs")
	return cmd
}

func runServe(ctx context.Context, io *IO, opts *ServeOptions) error {
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
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(io.ErrOut, "sagefence: serving %s on http://%s/\n", st.Location(), ln.Addr())
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
