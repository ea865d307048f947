//go:build !race

package throttle

// floodScale divides the number of keys the flood tests use; see
// throttle_race_internal_test.go.
const floodScale = 1
