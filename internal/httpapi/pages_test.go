package httpapi

import (
	"net/url"
	"testing"
	"time"

	"github.com/chatbot-platform/chatbot/internal/store"
)

// TestPages_CursorsRoundTripAndLinksKeepFilters: a cursor reads back as the row it names, anything else
// is a 400, and the next link repeats the request's filters and limit.
func TestPages_CursorsRoundTripAndLinksKeepFilters(t *testing.T) {
	limit := 2
	page, err := pageOf(&limit, nil)
	if err != nil || page.Limit != 3 {
		t.Fatalf("page = %+v, %v; want one row more than the limit", page, err)
	}
	at := time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC)
	rows, next := nextCursor(page, []int64{1, 2, 3}, func(id int64) store.Cursor { return store.Cursor{ID: id, Time: at} })
	if len(rows) != 2 || next == nil {
		t.Fatalf("rows %v, next %v: want two rows and a cursor", rows, next)
	}
	again, err := pageOf(&limit, next)
	if err != nil || again.After.ID != 2 || !again.After.Time.Equal(at) {
		t.Fatalf("cursor read back as %+v, %v", again.After, err)
	}
	if _, last := nextCursor(page, []int64{1, 2}, func(id int64) store.Cursor { return store.Cursor{ID: id} }); last != nil {
		t.Fatal("a short page has a next cursor")
	}
	for _, bad := range []string{"bm90LWpzb24", "e30", "!!"} { // not JSON, no id, not base64url
		if _, err := pageOf(nil, &bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
	user := "alice & co"
	link := nextLink("/projects/1/conversations", addQuery(url.Values{}, "user", &user), page, next)
	want := `</projects/1/conversations?cursor=` + *next + `&limit=2&user=alice+%26+co>; rel="next"`
	if link == nil || *link != want {
		t.Fatalf("link = %v, want %s", *link, want)
	}
}
