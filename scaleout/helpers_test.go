package scaleout_test

import (
	"encoding/json"
	"fmt"
)

func jsonUnmarshal(v any, out any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("not a string: %T", v)
	}
	return json.Unmarshal([]byte(s), out)
}
