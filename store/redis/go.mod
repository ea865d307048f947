module github.com/kunci/kunci/store/redis

go 1.26.0

require (
	github.com/kunci/kunci v1.0.0
	github.com/redis/go-redis/v9 v9.23.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-jose/go-jose/v4 v4.1.8 // indirect
	github.com/patrickmn/go-cache v2.1.0+incompatible // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

// Inside this repository the root module is the working tree two levels up.
// A replace directive applies only while this module is the main module (its
// own tests here); a program that requires this module ignores it and
// resolves github.com/kunci/kunci at the release required above, which is
// tagged together with this module (see README.md, "Modules").
replace github.com/kunci/kunci => ../..
