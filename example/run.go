package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/kunci/kunci/example/internal/demo"
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// after a signal.
const shutdownTimeout = 10 * time.Second

// run parses args, serves the demo until ctx is done, then shuts the HTTP
// server down gracefully and closes the store. It prints the address it
// listens on, as "listening on <issuer>", before the walkthrough, so a
// caller that passed -addr 127.0.0.1:0 learns the port.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	// A bad flag is returned as an error, which main prints on stderr;
	// only -h writes, the usage, to stdout.
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	issuer := fs.String("issuer", "", "issuer identifier and public base URL (default: http://<addr>)")
	clients := fs.String("clients", "", `JSON file {"clients": [...], "users": [...]} replacing the demo data`)
	verbose := fs.Bool("v", false, "log requests the server refuses, at debug level, to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: example [flags]")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return fmt.Errorf("example: %w (-h lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("example: unexpected arguments %q", fs.Args())
	}
	var data *demo.Data
	if *clients != "" {
		d, err := demo.LoadData(*clients)
		if err != nil {
			return err
		}
		data = &d
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("example: %w", err)
	}
	defer ln.Close()
	if *issuer == "" {
		*issuer = "http://" + issuerHost(ln.Addr())
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	app, err := demo.New(ctx, demo.Config{
		Issuer: *issuer,
		Data:   data,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	defer app.Close()

	fmt.Fprintf(stdout, "listening on %s\n\n", app.Issuer())
	if err := demo.WriteWalkthrough(stdout, app.Issuer(), app.Data()); err != nil {
		return fmt.Errorf("example: %w", err)
	}

	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("example: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("example: shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("example: %w", err)
	}
	return nil
}

// issuerHost is the host:port of the default issuer: the bound address,
// with an unspecified IP (":8080", "0.0.0.0:8080") replaced by 127.0.0.1,
// since an http issuer must be a loopback address.
func issuerHost(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
