package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/chatbot-platform/chatbot/internal/model"
	"github.com/chatbot-platform/chatbot/internal/store"
)

// defaultLimit is the page size when a request names none; api/openapi.yaml's Limit parameter states it
// (with the maximum, which the validator enforces), and a test keeps the two equal.
const defaultLimit = 100

// pageOf reads a request's limit and cursor. The store is asked for one row more than the limit, so
// nextCursor can tell whether another page follows without a count.
func pageOf(limit *int, cursor *string) (store.Page, error) {
	p := store.Page{Limit: defaultLimit}
	if limit != nil {
		p.Limit = *limit
	}
	if cursor != nil {
		b, err := base64.RawURLEncoding.DecodeString(*cursor)
		if err != nil || json.Unmarshal(b, &p.After) != nil || p.After.ID < 1 {
			return p, model.Invalid("cursor", "is not a cursor this list gave (X-Next-Cursor)")
		}
	}
	p.Limit++
	return p, nil
}

// nextCursor trims rows to the page asked for and returns the cursor of the page after it, or nil
// on the last page. key names a row by its sort key.
func nextCursor[T any](page store.Page, rows []T, key func(T) store.Cursor) ([]T, *string) {
	limit := page.Limit - 1
	if len(rows) <= limit {
		return rows, nil
	}
	rows = rows[:limit]
	b, _ := json.Marshal(key(rows[limit-1]))
	c := base64.RawURLEncoding.EncodeToString(b)
	return rows, &c
}

// nextLink is the Link header of a page with a next one: path with query, the same limit and the next
// cursor (nil on the last page). query holds the request's filters.
func nextLink(path string, query url.Values, page store.Page, next *string) *string {
	if next == nil {
		return nil
	}
	if query == nil {
		query = url.Values{}
	}
	query.Set("limit", strconv.Itoa(page.Limit-1))
	query.Set("cursor", *next)
	link := "<" + path + "?" + query.Encode() + `>; rel="next"`
	return &link
}

// addQuery sets name in q when v is given.
func addQuery[T any](q url.Values, name string, v *T) url.Values {
	if v != nil {
		q.Set(name, fmt.Sprint(*v))
	}
	return q
}
