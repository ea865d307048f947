module github.com/kunci/kunci/example/browsertest

go 1.26.0

// Inside this repository the root module is the working tree two levels up.
// A replace directive applies only while this module is the main module (its
// own tests here); a program that requires this module ignores it and
// resolves github.com/kunci/kunci at the release required above, which is
// tagged together with this module (see README.md, "Modules").
replace github.com/kunci/kunci => ../..

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/coreos/go-oidc/v3 v3.21.0
	github.com/kunci/kunci v1.0.0
	github.com/stretchr/testify v1.12.1
	golang.org/x/oauth2 v0.37.0
)

require (
	github.com/go-jose/go-jose/v4 v4.1.8 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/patrickmn/go-cache v2.1.0+incompatible // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
