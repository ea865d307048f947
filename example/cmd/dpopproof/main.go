// Command dpopproof prints a DPoP proof (RFC 9449 §4.2) for one request of
// the kunci demo's DPoP-bound client: a JWT of type dpop+jwt signed with
// the client's private key, its public half in the jwk header, a random
// jti, htm and htu the request's method and URL, iat now, and with -ath
// the hash of the access token the request presents. The demo's
// walkthrough prints the command lines with the key file it drew for the
// run:
//
//	P=$(go run ./example/cmd/dpopproof -key FILE -htm POST -htu http://127.0.0.1:8080/oauth/token)
//	curl -s http://127.0.0.1:8080/oauth/token -H "DPoP: $P" ...
//	P=$(go run ./example/cmd/dpopproof -key FILE -htm GET -htu http://127.0.0.1:8080/api/me -ath TOKEN)
//	curl -s http://127.0.0.1:8080/api/me -H "Authorization: DPoP TOKEN" -H "DPoP: $P"
//
// Each proof is good for one request: servers refuse a jti twice.
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

// run parses args and prints one proof, made at now, to stdout.
func run(args []string, stdout io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("dpopproof", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	keyFile := fs.String("key", "", "file with the client's private JWK (the demo's walkthrough names it)")
	htm := fs.String("htm", "", "the request's HTTP method, such as POST")
	htu := fs.String("htu", "", "the request's URL, such as http://127.0.0.1:8080/oauth/token")
	ath := fs.String("ath", "", "the access token the request presents, to a resource server")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: dpopproof -key FILE -htm METHOD -htu URL [-ath TOKEN]")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return fmt.Errorf("dpopproof: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("dpopproof: unexpected arguments %q", fs.Args())
	}
	for _, f := range []struct{ name, value string }{{"-key", *keyFile}, {"-htm", *htm}, {"-htu", *htu}} {
		if f.value == "" {
			return fmt.Errorf("dpopproof: %s is required", f.name)
		}
	}
	key, err := demo.ReadClientKey(*keyFile)
	if err != nil {
		return err
	}
	p, err := demo.DPoPProof(key, *htm, *htu, *ath, now)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, p)
	return err
}
