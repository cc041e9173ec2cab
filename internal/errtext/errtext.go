// Package errtext finds, in a wrapped error's text, the detail meant for
// users: what follows a sentinel's own text when it is Chinese. English
// detail is for the log and is never returned.
package errtext

import (
	"strings"
	"unicode"
)

// After returns what err's text says after the sentinel's own text
// ("expertpool: invalid input: 身份证号校验位错误" → "身份证号校验位错误"),
// or "" when there is none or it holds no Chinese.
func After(err, sentinel error) string {
	msg := err.Error()
	i := strings.Index(msg, sentinel.Error()+": ")
	if i < 0 {
		return ""
	}
	d := strings.TrimSpace(msg[i+len(sentinel.Error())+2:])
	for _, r := range d {
		if unicode.Is(unicode.Han, r) {
			return d
		}
	}
	return ""
}
