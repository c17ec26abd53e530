package artifact

import (
	"fmt"
	"strings"
)

const maxKeyLen = 512

// CheckKey reports whether key is acceptable for every Store: a relative,
// slash-separated path whose segments use only [A-Za-z0-9._-], none empty, "."
// or "..", and none starting with "." (which keeps our sidecar names and
// temporary files out of the key space).
func CheckKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return fmt.Errorf("%w: %q: length must be 1..%d", ErrInvalidKey, key, maxKeyLen)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" {
			return fmt.Errorf("%w: %q: empty segment (leading, trailing or double slash)", ErrInvalidKey, key)
		}
		if seg[0] == '.' {
			return fmt.Errorf("%w: %q: segment %q starts with a dot", ErrInvalidKey, key, seg)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("%w: %q: character %q not allowed", ErrInvalidKey, key, c)
			}
		}
		if strings.HasSuffix(seg, sumSuffix) {
			return fmt.Errorf("%w: %q: suffix %s is reserved", ErrInvalidKey, key, sumSuffix)
		}
	}
	return nil
}
