module github.com/kunci/kunci/store/postgres

go 1.26.0

require (
	github.com/jackc/pgx/v5 v5.12.0
	github.com/kunci/kunci v1.0.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/go-jose/go-jose/v4 v4.1.8 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/patrickmn/go-cache v2.1.0+incompatible // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

// Inside this repository the root module is the working tree two levels up.
// A replace directive applies only while this module is the main module (its
// own tests here); a program that requires this module ignores it and
// resolves github.com/kunci/kunci at the release required above, which is
// tagged together with this module (see README.md, "Modules").
replace github.com/kunci/kunci => ../..
