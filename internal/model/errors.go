package model

import "strings"

// FieldError is one invalid input field.
type FieldError struct {
	Field   string
	Message string
}

// ValidationError reports invalid input; the HTTP layer turns it into a 400 with a detail.
type ValidationError struct {
	Fields []FieldError
}

// Invalid returns a ValidationError for one field.
func Invalid(field, message string) *ValidationError {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message}}}
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}
