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
	"strings"
	"time"

	"github.com/kunci/kunci/authserver"
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
	compatList := fs.String("compat", "", "comma-separated seed behaviours to turn on: "+compatUsage)
	pairwiseHex := fs.String("pairwise-key", os.Getenv(pairwiseKeyEnv),
		"hex secret (at least 64 digits) pairwise subjects are derived with (default $"+pairwiseKeyEnv+", else fresh per run)")
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
	compat, err := parseCompat(*compatList)
	if err != nil {
		return err
	}
	pairwiseKey, err := parsePairwiseKey(*pairwiseHex)
	if err != nil {
		return err
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
	keyFile := ""
	if data == nil {
		d, file, remove, err := defaultDataWithFAPIClient(*issuer)
		if err != nil {
			return err
		}
		defer remove()
		data, keyFile = &d, file
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	app, err := demo.New(ctx, demo.Config{
		Issuer: *issuer,
		Data:   data,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		Compat: compat,

		PairwiseKey: pairwiseKey,
	})
	if err != nil {
		return err
	}
	defer app.Close()

	fmt.Fprintf(stdout, "listening on %s\n\n", app.Issuer())
	if *compatList != "" {
		fmt.Fprintf(stdout, "compatibility behaviours: %s\n\n", *compatList)
	}
	if err := demo.WriteWalkthrough(stdout, app.Issuer(), app.Data(), keyFile); err != nil {
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

// compatUsage names the behaviours -compat takes, for -h.
const compatUsage = "nuid-v1 (code exchange without grant_type, revocation with only the token), " +
	"apigee (extended token response)"

// parseCompat turns the -compat list into the server's compatibility
// switches (authserver.Compat): nuid-v1 is version 1 of the NU.ID API, which
// sends its code exchange without grant_type and revokes with only the
// token; apigee is Apigee's token response with its extra fields. The
// empty list keeps the server's defaults; an unknown name is an error that
// names it.
func parseCompat(list string) (authserver.Compat, error) {
	var c authserver.Compat
	if list == "" {
		return c, nil
	}
	for name := range strings.SplitSeq(list, ",") {
		switch strings.TrimSpace(name) {
		case "nuid-v1":
			c.AcceptMissingGrantType = true
			c.AcceptTokenOnlyRevocation = true
		case "apigee":
			c.ExtendedTokenResponse = true
		default:
			return c, fmt.Errorf("example: -compat: unknown behaviour %q (known: nuid-v1, apigee)", name)
		}
	}
	return c, nil
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
