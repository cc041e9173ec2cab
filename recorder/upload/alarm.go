package upload

import (
	"errors"
	"fmt"
)

// alarm is an error that needs a person: text, in Chinese, becomes the
// Status's Alarm; kind is ErrRefused, ErrDiverged or ErrSpool.
type alarm struct {
	kind error
	text string
	err  error
}

func newAlarm(kind error, err error, format string, a ...any) *alarm {
	return &alarm{kind: kind, text: fmt.Sprintf(format, a...), err: err}
}

func (a *alarm) Error() string {
	if a.err == nil {
		return fmt.Sprintf("%v: %s", a.kind, a.text)
	}
	return fmt.Sprintf("%v: %s: %v", a.kind, a.text, a.err)
}

func (a *alarm) Unwrap() []error {
	if a.err == nil {
		return []error{a.kind}
	}
	return []error{a.kind, a.err}
}

// refusalAlarm turns an answer that refuses the request for good into an
// alarm naming what was refused (and the archive's message); any other
// error is returned as it is.
func refusalAlarm(err error, what string) error {
	var ae *apiError
	if !errors.As(err, &ae) || !ae.refusal() {
		return err
	}
	msg := ae.message
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", ae.status)
	}
	return newAlarm(ErrRefused, err, "归档服务器拒收%s：%s（本机保留原文件，稍后重试）", what, msg)
}
