package manifest

import (
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// maxSafeInt is the largest integer RFC 8785 (IEEE 754 doubles) carries
// exactly.
const maxSafeInt = 1<<53 - 1

// object is a JSON object under construction; member order does not
// matter, appendCanonical sorts it.
type object map[string]any

// appendCanonical appends the RFC 8785 canonical encoding of v, which
// holds only object, []any, string, int64, bool. It fails on invalid
// UTF-8 and on integers outside ±(2^53−1).
func appendCanonical(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case object:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendCanonical(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonical(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case string:
		return appendString(b, x)
	case int64:
		if x > maxSafeInt || x < -maxSafeInt {
			return nil, fmt.Errorf("%w: integer %d outside ±(2^53−1)", ErrInvalid, x)
		}
		return strconv.AppendInt(b, x, 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	}
	return nil, fmt.Errorf("%w: no canonical form for %T", ErrInvalid, v)
}

// appendString appends s as RFC 8785 serialises a string.
func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: string %q is not valid UTF-8", ErrInvalid, s)
	}
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"'), nil
}
