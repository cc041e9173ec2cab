package errtext

import "errors"

// fieldError marks an error as being about one input field.
type fieldError struct {
	err   error
	field string
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// Field marks err as being about the input field named field (its JSON
// name), so that a form can show the message beside that field. Is and
// As see through it; a nil err stays nil.
func Field(err error, field string) error {
	if err == nil {
		return nil
	}
	return &fieldError{err: err, field: field}
}

// FieldOf returns the field named by the outermost Field wrapping err,
// or "".
func FieldOf(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.field
	}
	return ""
}
