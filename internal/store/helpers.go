package store

import (
	"encoding/json"

	"github.com/chatbot-platform/chatbot/internal/model"
)

// NullString maps "" to SQL NULL.
func NullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Deref maps SQL NULL to "".
func Deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// NonNil makes a nil slice encode as [] rather than null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// DecodeCitations reads a message's stored citations; a malformed value reads as none.
func DecodeCitations(s string) []model.Citation {
	var out []model.Citation
	if json.Unmarshal([]byte(s), &out) != nil {
		return []model.Citation{}
	}
	return NonNil(out)
}

// EncodeList stores a list of strings (scopes, origins) as a JSON array.
func EncodeList(items []string) string {
	b, _ := json.Marshal(NonNil(items))
	return string(b)
}

// DecodeList reads a list stored by EncodeList; a malformed value reads as empty.
func DecodeList(s string) []string {
	var out []string
	if json.Unmarshal([]byte(s), &out) != nil {
		return []string{}
	}
	return NonNil(out)
}
