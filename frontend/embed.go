// Package frontend holds the built dashboard, chat page and API docs (dist/, built by `npm run build` and
// committed) so that `go build` embeds them without Node.
package frontend

import (
	"embed"
	"io/fs"
)

// all: keeps dist/.keep, the tracked file that stops go:embed from failing on an empty folder.
//
//go:embed all:dist
var dist embed.FS

// Dist returns the built files rooted at dist/: index.html, dashboard.html, chat.html, docs.html, redoc.html,
// favicon.svg and assets/ (content-hashed names).
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // fs.Sub fails only on an invalid literal path.
	}
	return sub
}
