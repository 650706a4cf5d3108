// Package web serves the dashboard pages (/, /dashboard, /chat), their content-hashed assets (/assets/*), the
// offline API docs (/docs with Swagger UI, /redoc with ReDoc), the favicon and the embeddable chat widget
// (/widget.js) from the embedded frontend build, with security headers, cache headers and gzip when the client
// accepts it and it pays.
//
// The API (including POST /chat) and /openapi.json|yaml belong to the API server: only GET and HEAD are
// registered here.
package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/frontend"
)

// Content-Security-Policy of each kind of page. No page allows 'unsafe-eval' or inline scripts; the app pages
// allow no inline styles either (React sets styles through the CSSOM, which CSP does not govern).
const (
	cspBase = "default-src 'self'; script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// CSPApp is sent with the sign-in, dashboard and chat pages.
	CSPApp = cspBase + "; style-src 'self'; img-src 'self'"
	// CSPSwagger is sent with /docs: Swagger UI's CSS draws its icons from data: URLs.
	CSPSwagger = cspBase + "; style-src 'self'; img-src 'self' data:"
	// CSPRedoc is sent with /redoc. ReDoc styles itself with styled-components, which inserts <style> elements
	// at run time, so this one page needs style-src 'unsafe-inline' (styles only; scripts stay 'self'). Its
	// search index runs in a worker created from a blob: URL.
	CSPRedoc = cspBase + "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:"
	// cspAsset is sent with assets: it matters only if one (an SVG, say) is opened on its own.
	cspAsset = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
)

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
	cacheFavicon    = "public, max-age=86400"
	// The widget keeps one URL that sites embed, so it cannot be immutable; five minutes bounds how long a
	// release takes to reach every visitor.
	cacheWidget = "public, max-age=300"
)

// pages maps each page route to its file in the build and its CSP.
var pages = []struct{ route, file, csp string }{
	{"/", "index.html", CSPApp},
	{"/dashboard", "dashboard.html", CSPApp},
	{"/chat", "chat.html", CSPApp},
	{"/account", "account.html", CSPApp},
	{"/forgot-password", "recover.html", CSPApp},
	{"/reset-password", "recover.html", CSPApp},
	{"/verify-email", "recover.html", CSPApp},
	{"/docs", "docs.html", CSPSwagger},
	{"/redoc", "redoc.html", CSPRedoc},
}

// files maps the other fixed routes to their file in the build. crossOrigin files are loaded by other sites
// (the widget's <script src>): they say so with Cross-Origin-Resource-Policy, which sites isolated by
// Cross-Origin-Embedder-Policy require.
var files = []struct {
	route, file, cache string
	crossOrigin        bool
}{
	{"/favicon.svg", "favicon.svg", cacheFavicon, false},
	{"/favicon.ico", "favicon.svg", cacheFavicon, false},
	{"/widget.js", "widget.js", cacheWidget, true},
}

// assetsRoute serves the content-hashed build assets.
const assetsRoute = "/assets/*"

// Site is the set of files served, loaded once from a build folder.
type Site struct {
	routes map[string]*asset // by URL path
}

// Register adds the routes of the embedded frontend build to e. It panics if the build is incomplete (a page
// missing from frontend/dist), which is a build error caught by this package's tests.
func Register(e *echo.Echo) {
	site, err := New(frontend.Dist())
	if err != nil {
		panic(err)
	}
	site.Register(e)
}

// New loads the pages, fixed files (favicon, widget) and assets of a frontend build (a folder laid out like
// frontend/dist). It fails when a page or a fixed file is missing.
func New(fsys fs.FS) (*Site, error) {
	s := &Site{routes: map[string]*asset{}}
	for _, p := range pages {
		a, err := load(fsys, p.file, cacheRevalidate, p.csp)
		if err != nil {
			return nil, err
		}
		s.routes[p.route] = a
	}
	byFile := map[string]*asset{} // the favicon's two routes share one asset
	for _, f := range files {
		a, ok := byFile[f.file]
		if !ok {
			var err error
			if a, err = load(fsys, f.file, f.cache, cspAsset); err != nil {
				return nil, err
			}
			a.crossOrigin = f.crossOrigin
			byFile[f.file] = a
		}
		s.routes[f.route] = a
	}
	err := fs.WalkDir(fsys, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		a, err := load(fsys, name, cacheImmutable, cspAsset)
		if err != nil {
			return err
		}
		s.routes["/"+name] = a
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("web: walk assets: %w", err)
	}
	return s, nil
}

// Register adds GET and HEAD routes for every page, fixed file and /assets/*: exactly the paths of Routes.
func (s *Site) Register(e *echo.Echo) {
	methods := []string{http.MethodGet, http.MethodHead}
	for _, p := range pages {
		e.Match(methods, p.route, s.serve(s.routes[p.route]))
	}
	for _, f := range files {
		e.Match(methods, f.route, s.serve(s.routes[f.route]))
	}
	e.Match(methods, assetsRoute, func(c echo.Context) error {
		a, ok := s.routes["/assets/"+c.Param("*")]
		if !ok {
			return echo.ErrNotFound
		}
		return s.serve(a)(c)
	})
}

// routes are the Echo paths Register adds, in registration order.
var routes = func() []string {
	r := make([]string, 0, len(pages)+len(files)+1)
	for _, p := range pages {
		r = append(r, p.route)
	}
	for _, f := range files {
		r = append(r, f.route)
	}
	return append(r, assetsRoute)
}()

// Routes returns the Echo paths Register adds (each for GET and HEAD only): the pages, the favicon, /widget.js
// and "/assets/*". They are public and outside the OpenAPI document, so API middleware can tell them apart.
func Routes() []string {
	return slices.Clone(routes)
}

// Owns reports whether a request is for this package's routes, so that API middleware (the OpenAPI request
// validator, which answers 404 for paths missing from the spec; a gzip middleware) can skip it.
func Owns(method, urlPath string) bool {
	if method != http.MethodGet && method != http.MethodHead {
		return false
	}
	for _, route := range routes {
		if prefix, wild := strings.CutSuffix(route, "*"); wild {
			if strings.HasPrefix(urlPath, prefix) {
				return true
			}
		} else if route == urlPath {
			return true
		}
	}
	return false
}

// Skipper adapts Owns to Echo middleware configs (`Skipper: web.Skipper`).
func Skipper(c echo.Context) bool {
	return Owns(c.Request().Method, c.Request().URL.Path)
}

func (s *Site) serve(a *asset) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, r := c.Response(), c.Request()
		h := w.Header()
		h.Set("Content-Security-Policy", a.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", a.cache)
		h.Set("Content-Type", a.contentType)
		if a.crossOrigin {
			h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		}

		a.read()
		body, etag := a.body, a.etag
		if a.compressible {
			h.Add("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header.Get("Accept-Encoding")) {
				if gz, gzETag := a.gzipped(); gz != nil {
					body, etag = gz, gzETag
					h.Set("Content-Encoding", "gzip")
				}
			}
		}
		h.Set("ETag", etag)
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Type")
			h.Del("Content-Encoding")
			return c.NoContent(http.StatusNotModified)
		}
		// Set by hand: http.ServeContent would drop Content-Length for an encoded body. No Range support: the
		// files are small enough to fetch whole.
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body) // A failed write means the client went away; nothing to report to it.
		}
		return nil
	}
}

// etagMatches implements If-None-Match's weak comparison: "*" or any listed tag, with or without W/.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// load finds a file of the build; its bytes are read at its first request.
func load(fsys fs.FS, name, cache, csp string) (*asset, error) {
	if _, err := fs.Stat(fsys, name); err != nil {
		return nil, fmt.Errorf("web: frontend build incomplete (run `npm --prefix frontend run build`): %w", err)
	}
	return &asset{fsys: fsys, name: name, contentType: contentType(name), cache: cache, csp: csp}, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".map":
		return "application/json"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	case ".txt":
		return "text/plain; charset=utf-8"
	default:
		return "application/octet-stream"
	}
}
