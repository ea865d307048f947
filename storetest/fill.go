package storetest

import (
	"fmt"
	"reflect"
	"time"
)

// filled returns a T whose every exported field holds a non-zero value that
// no other field holds: strings and lists name their field, numbers and
// times differ by field index. It reflects over the struct, so a field
// added to a record later is filled, saved and compared by
// checkRecordsRoundTrip without anyone touching the suite. A field of a
// kind it cannot fill is an error, so that the suite is taught the kind
// instead of skipping the field. Callers then set the fields a store
// checks (keys, expiries) to values the store accepts.
func filled[T any](base time.Time) (T, error) {
	var v T
	rv := reflect.ValueOf(&v).Elem()
	tag := randomID("")
	for i := range rv.NumField() {
		f, sf := rv.Field(i), rv.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Name + tag
		switch {
		case sf.Type == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(base.Add(time.Duration(i+1) * (time.Second + time.Microsecond))))
		case f.Kind() == reflect.String:
			f.SetString(name)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.CanInt():
			f.SetInt(int64(1000 + i))
		case sf.Type == reflect.TypeFor[[]string]():
			f.Set(reflect.ValueOf([]string{name + "-1", name + "-2"}))
		case sf.Type == reflect.TypeFor[[]byte]():
			f.SetBytes(fmt.Appendf(nil, `{"field":%q}`, name))
		default:
			var zero T
			return zero, fmt.Errorf("storetest: cannot fill %T.%s of type %s; teach filled that type", v, sf.Name, sf.Type)
		}
	}
	return v, nil
}
