//go:build race

package throttle

// floodScale divides the number of keys the flood tests use. The race
// detector makes each operation about ten times slower; the properties do
// not depend on the count once the table has been cycled a few times, which
// a sixteenth of the keys still does.
const floodScale = 16
