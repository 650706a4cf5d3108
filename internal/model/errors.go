package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

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

// Under names e's fields as parts of prefix (prefix.field), for input nested in a larger document.
func (e *ValidationError) Under(prefix string) *ValidationError {
	out := &ValidationError{Fields: make([]FieldError, len(e.Fields))}
	for i, f := range e.Fields {
		out.Fields[i] = FieldError{Field: prefix + "." + f.Field, Message: f.Message}
	}
	return out
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

// CheckText rejects text PostgreSQL cannot store (NUL characters, invalid UTF-8), so both engines
// answer alike.
func CheckText(field, s string) *ValidationError {
	if strings.ContainsRune(s, 0) {
		return Invalid(field, "must not contain NUL characters")
	}
	if !utf8.ValidString(s) {
		return Invalid(field, "must be valid UTF-8")
	}
	return nil
}

// CheckName trims s and checks it is 1 to max characters of storable text.
func CheckName(field, s string, max int) (string, *ValidationError) {
	s = strings.TrimSpace(s)
	if err := CheckText(field, s); err != nil {
		return s, err
	}
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return s, Invalid(field, "must not be empty")
	case n > max:
		return s, Invalid(field, fmt.Sprintf("must be at most %d characters", max))
	}
	return s, nil
}

// CheckContent checks free text (a prompt, a message): storable, not blank, at most max characters.
// The text is kept as written.
func CheckContent(field, s string, max int) *ValidationError {
	if err := CheckText(field, s); err != nil {
		return err
	}
	if strings.TrimSpace(s) == "" {
		return Invalid(field, "must not be empty")
	}
	if utf8.RuneCountInString(s) > max {
		return Invalid(field, fmt.Sprintf("must be at most %d characters", max))
	}
	return nil
}

// NotFoundError names what was not found, for errors the route alone cannot name (e.g. the
// conversation of a chat request).
type NotFoundError struct {
	What string
}

func (e *NotFoundError) Error() string { return e.What + " not found" }

// UnauthorizedError: the credentials (or an end user's signature) could not be verified; a 401.
type UnauthorizedError struct {
	Detail string
}

func (e *UnauthorizedError) Error() string { return e.Detail }

// ForbiddenError: the caller is known but may not do this (a missing key scope, an origin a
// publishable key does not allow, a key on a user-only operation); a 403.
type ForbiddenError struct {
	Detail string
}

func (e *ForbiddenError) Error() string { return e.Detail }

// LimitError: a quota is used up until RetryAfter has passed; a 429.
type LimitError struct {
	Detail     string
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return e.Detail }

// ConflictError: the request does not fit the resource's current state (e.g. turning on what is
// already on); a 409.
type ConflictError struct {
	Detail string
}

func (e *ConflictError) Error() string { return e.Detail }
