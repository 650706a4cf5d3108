package apitest

import (
	"bufio"
	"io"
	"strings"
)

// Event is one Server-Sent Event; heartbeats (comment lines) are events named ":".
type Event struct {
	Name, Data string
}

// ReadEvents reads a whole event stream.
func ReadEvents(r io.Reader) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var ev Event
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Name != "" || ev.Data != "" {
				out = append(out, ev)
			}
			ev = Event{}
		case strings.HasPrefix(line, ":"):
			out = append(out, Event{Name: ":"})
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data += strings.TrimPrefix(line, "data: ")
		}
	}
	return out, sc.Err()
}
