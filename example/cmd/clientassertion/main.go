// Command clientassertion prints a client assertion for the kunci demo's
// private_key_jwt client (RFC 7523 §2.2, OpenID Connect Core §9): a JWT
// signed with the client's private key, iss and sub the client ID, aud the
// server's issuer identifier, a random jti and an exp two minutes ahead.
// The demo's walkthrough prints the command line with the key file it drew
// for the run:
//
//	A=$(go run ./example/cmd/clientassertion -key FILE -client fapi-client -aud http://127.0.0.1:8080)
//	curl -s http://127.0.0.1:8080/oauth/par -d client_id=fapi-client \
//	  -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
//	  --data-urlencode "client_assertion=$A" ...
//
// Each assertion is good for one request: the server refuses a jti twice.
// The key is a demo key; a real client keeps its key in its own secret
// store.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kunci/kunci/example/internal/demo"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run parses args and prints one assertion, made at now, to stdout.
func run(args []string, stdout io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("clientassertion", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	keyFile := fs.String("key", "", "file with the client's private JWK (the demo's walkthrough names it)")
	client := fs.String("client", demo.FAPIClientID, "client_id, the assertion's iss and sub")
	aud := fs.String("aud", "http://127.0.0.1:8080", "the authorization server's issuer identifier")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: clientassertion -key FILE [-client ID] [-aud ISSUER]")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return fmt.Errorf("clientassertion: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("clientassertion: unexpected arguments %q", fs.Args())
	}
	if *keyFile == "" {
		return errors.New("clientassertion: -key is required")
	}
	key, err := demo.ReadClientKey(*keyFile)
	if err != nil {
		return err
	}
	a, err := demo.ClientAssertion(key, *client, *aud, now)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, a)
	return err
}
