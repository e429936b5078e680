package config

import "reflect"

// UsesDemoSecrets reports whether any secret in the config is a published
// demo value (demo:). The server refuses such a config outside loopback.
// It walks the whole config, so a provider's new settings are covered
// without being listed here.
func (cfg *Config) UsesDemoSecrets() bool { return hasDemoSecret(reflect.ValueOf(cfg)) }

var secretType = reflect.TypeFor[Secret]()

func hasDemoSecret(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasDemoSecret(v.Elem())
	case reflect.Struct:
		if v.Type() == secretType {
			return v.Interface().(Secret).IsDemo()
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && hasDemoSecret(v.Field(i)) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if hasDemoSecret(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if hasDemoSecret(v.MapIndex(k)) {
				return true
			}
		}
	}
	return false
}
