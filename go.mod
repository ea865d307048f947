module github.com/kunci/kunci

go 1.26.0

require github.com/patrickmn/go-cache v2.1.0+incompatible
