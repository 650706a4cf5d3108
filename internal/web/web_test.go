package web

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"

	"github.com/chatbot-platform/chatbot/frontend"
)

var (
	bigJS    = []byte("console.log('" + strings.Repeat("hello dashboard ", 400) + "');")
	widgetJS = []byte("(function(){" + strings.Repeat("chat bubble; ", 200) + "})();")
	noise    = randomBytes(4096)
	testApp  = fstest.MapFS{
		"index.html":             {Data: []byte("<!doctype html><title>sign in</title>")},
		"dashboard.html":         {Data: []byte("<!doctype html><title>dashboard</title>")},
		"chat.html":              {Data: []byte("<!doctype html><title>chat</title>")},
		"account.html":           {Data: []byte("<!doctype html><title>account</title>")},
		"recover.html":           {Data: []byte("<!doctype html><title>recover</title>")},
		"docs.html":              {Data: []byte("<!doctype html><title>swagger</title>")},
		"redoc.html":             {Data: []byte("<!doctype html><title>redoc</title>")},
		"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"widget.js":              {Data: widgetJS},
		"assets/app-abc123.js":   {Data: bigJS},
		"assets/tiny-abc123.css": {Data: []byte("body{margin:0}")},
		"assets/noise-abc123.js": {Data: noise},
	}
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func newTestEcho(t *testing.T, fsys fs.FS) *echo.Echo {
	t.Helper()
	site, err := New(fsys)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	site.Register(e)
	return e
}

func do(e *echo.Echo, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestPages_SendSecurityHeadersAndNoCache(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	tests := []struct {
		path, title     string
		wantInlineStyle bool
	}{
		{"/", "sign in", false},
		{"/dashboard", "dashboard", false},
		{"/chat", "chat", false},
		{"/account", "account", false},
		{"/docs", "swagger", false},
		{"/redoc", "redoc", true}, // styled-components: the one documented exception
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			rec := do(e, http.MethodGet, tt.path)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), tt.title) {
				t.Fatalf("GET %s = %d %q", tt.path, rec.Code, rec.Body.String())
			}
			h := rec.Header()
			want := map[string]string{
				"Content-Type":           "text/html; charset=utf-8",
				"Cache-Control":          "no-cache",
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"X-Frame-Options":        "DENY",
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'self'", "script-src 'self';", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows eval: %q", csp)
			}
			if got := strings.Contains(csp, "'unsafe-inline'"); got != tt.wantInlineStyle {
				t.Errorf("CSP %q: unsafe-inline present = %v, want %v", csp, got, tt.wantInlineStyle)
			}
			if m := regexp.MustCompile(`script-src [^;]*`).FindString(csp); strings.Contains(m, "unsafe") {
				t.Errorf("script-src allows unsafe sources: %q", m)
			}
		})
	}
}

func TestAssets_AreCachedForAYear(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	rec := do(e, http.MethodGet, "/assets/tiny-abc123.css")
	if rec.Code != http.StatusOK || rec.Body.String() != "body{margin:0}" {
		t.Fatalf("GET = %d %q", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/css; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if rec := do(e, http.MethodGet, "/favicon.ico"); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon.ico = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestAssets_GzipWhenAcceptedAndWorthIt(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	tests := []struct {
		name, path, acceptEncoding string
		wantGzip                   bool
		want                       []byte
	}{
		{"accepted", "/assets/app-abc123.js", "gzip, deflate, br", true, bigJS},
		{"accepted with quality", "/assets/app-abc123.js", "br;q=1.0, gzip;q=0.8", true, bigJS},
		{"wildcard", "/assets/app-abc123.js", "*", true, bigJS},
		{"not accepted", "/assets/app-abc123.js", "", false, bigJS},
		{"refused with q=0", "/assets/app-abc123.js", "gzip;q=0, *", false, bigJS},
		{"too small to pay", "/assets/tiny-abc123.css", "gzip", false, []byte("body{margin:0}")},
		{"incompressible", "/assets/noise-abc123.js", "gzip", false, noise},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := do(e, http.MethodGet, tt.path, "Accept-Encoding", tt.acceptEncoding)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.Bytes()
			gotGzip := rec.Header().Get("Content-Encoding") == "gzip"
			if gotGzip != tt.wantGzip {
				t.Fatalf("Content-Encoding = %q, want gzip: %v", rec.Header().Get("Content-Encoding"), tt.wantGzip)
			}
			if gotGzip {
				if len(body) >= len(tt.want) {
					t.Errorf("gzip body %d bytes, original %d", len(body), len(tt.want))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, tt.want) {
				t.Error("body differs from the file")
			}
			if rec.Header().Get("Content-Length") == "" {
				t.Error("no Content-Length")
			}
			if strings.HasSuffix(tt.path, ".js") && len(tt.want) >= minCompressSize && rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary = %q", rec.Header().Get("Vary"))
			}
		})
	}
}

func TestETag_AnswersNotModified(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	for _, enc := range []string{"", "gzip"} {
		first := do(e, http.MethodGet, "/assets/app-abc123.js", "Accept-Encoding", enc)
		etag := first.Header().Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		again := do(e, http.MethodGet, "/assets/app-abc123.js", "Accept-Encoding", enc, "If-None-Match", etag)
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("encoding %q: revalidation = %d with %d bytes", enc, again.Code, again.Body.Len())
		}
	}
	plain := do(e, http.MethodGet, "/assets/app-abc123.js").Header().Get("ETag")
	zipped := do(e, http.MethodGet, "/assets/app-abc123.js", "Accept-Encoding", "gzip").Header().Get("ETag")
	if plain == zipped {
		t.Error("the gzip variant must have its own ETag")
	}
	if rec := do(e, http.MethodGet, "/", "If-None-Match", `W/"other", `+do(e, http.MethodGet, "/").Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("page revalidation = %d", rec.Code)
	}
}

func TestHEAD_SendsHeadersWithoutBody(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	for _, path := range []string{"/", "/chat", "/assets/app-abc123.js"} {
		rec := do(e, http.MethodHead, path, "Accept-Encoding", "gzip")
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "" {
			t.Errorf("HEAD %s = %d, %d body bytes, Content-Length %q", path, rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
		}
	}
}

func TestUnknownAndEscapingPaths_NotFound(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	for _, path := range []string{"/assets/missing.js", "/assets/../index.html", "/assets/..%2findex.html", "/assets/", "/index.html"} {
		if rec := do(e, http.MethodGet, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
}

func TestOnlyGetAndHead_LeavePostChatToTheAPI(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	e.POST("/chat", func(c echo.Context) error { return c.String(http.StatusOK, "api") })
	if rec := do(e, http.MethodPost, "/chat"); rec.Body.String() != "api" {
		t.Errorf("POST /chat = %d %q, want the API's handler", rec.Code, rec.Body.String())
	}
	if rec := do(e, http.MethodGet, "/chat"); !strings.Contains(rec.Body.String(), "<title>chat") {
		t.Errorf("GET /chat = %q", rec.Body.String())
	}
	if rec := do(e, http.MethodDelete, "/dashboard"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /dashboard = %d, want 405", rec.Code)
	}
}

func TestOwns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path string
		want         bool
	}{
		{"GET", "/", true},
		{"HEAD", "/dashboard", true},
		{"GET", "/chat", true},
		{"POST", "/chat", false},
		{"GET", "/chat/stream", false},
		{"GET", "/assets/app.js", true},
		{"GET", "/docs", true},
		{"GET", "/redoc", true},
		{"GET", "/favicon.ico", true},
		{"GET", "/widget.js", true},
		{"HEAD", "/widget.js", true},
		{"POST", "/widget.js", false},
		{"GET", "/widget.js/x", false},
		{"GET", "/assets", false},
		{"GET", "/projects", false},
		{"GET", "/openapi.json", false},
	}
	for _, tt := range tests {
		if got := Owns(tt.method, tt.path); got != tt.want {
			t.Errorf("Owns(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestNew_FailsOnAnIncompleteBuild(t *testing.T) {
	t.Parallel()
	if _, err := New(fstest.MapFS{"index.html": {Data: []byte("x")}}); err == nil {
		t.Fatal("New accepted a build without dashboard.html")
	}
	noWidget := fstest.MapFS{}
	for name, f := range testApp {
		if name != "widget.js" {
			noWidget[name] = f
		}
	}
	if _, err := New(noWidget); err == nil || !strings.Contains(err.Error(), "widget.js") {
		t.Fatalf("New without widget.js: err = %v", err)
	}
}

func TestWidget_IsServedForOtherSitesWithAShortCache(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for _, enc := range []string{"", "gzip"} {
			rec := do(e, method, "/widget.js", "Accept-Encoding", enc)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s /widget.js (%q) = %d", method, enc, rec.Code)
			}
			h := rec.Header()
			want := map[string]string{
				"Content-Type":                 "text/javascript; charset=utf-8",
				"Cache-Control":                "public, max-age=300",
				"Cross-Origin-Resource-Policy": "cross-origin",
				"X-Content-Type-Options":       "nosniff",
				"Vary":                         "Accept-Encoding",
				"Content-Encoding":             enc,
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s (%q): %s = %q, want %q", method, enc, k, got, v)
				}
			}
			if strings.Contains(h.Get("Cache-Control"), "immutable") {
				t.Error("the widget's name is not hashed: it must not be cached as immutable")
			}
			if method == http.MethodHead {
				if rec.Body.Len() != 0 {
					t.Errorf("HEAD sent %d body bytes", rec.Body.Len())
				}
				continue
			}
			body := rec.Body.Bytes()
			if enc == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, widgetJS) {
				t.Errorf("%q: body differs from widget.js", enc)
			}
		}
	}
	etag := do(e, http.MethodGet, "/widget.js").Header().Get("ETag")
	if rec := do(e, http.MethodGet, "/widget.js", "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("revalidation = %d, want 304", rec.Code)
	}
	// Only the widget is meant for other sites.
	if got := do(e, http.MethodGet, "/").Header().Get("Cross-Origin-Resource-Policy"); got != "" {
		t.Errorf("the sign-in page sends Cross-Origin-Resource-Policy %q", got)
	}
}

// Routes is the list the API server checks routes against: each must be registered and owned here.
func TestRoutes_AreExactlyWhatRegisterAdds(t *testing.T) {
	t.Parallel()
	e := newTestEcho(t, testApp)
	registered := map[string]bool{}
	for _, r := range e.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	routes := Routes()
	if !slices.Contains(routes, "/widget.js") || !slices.Contains(routes, "/assets/*") {
		t.Fatalf("Routes() = %v", routes)
	}
	for _, route := range routes {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if !registered[method+" "+route] {
				t.Errorf("%s %s is listed but not registered", method, route)
			}
			delete(registered, method+" "+route)
		}
		if !Owns(http.MethodGet, strings.Replace(route, "*", "app-abc123.js", 1)) {
			t.Errorf("Owns(GET %s) = false", route)
		}
	}
	if len(registered) > 0 {
		t.Errorf("registered but not listed by Routes: %v", registered)
	}
	routes[0] = "changed"
	if Routes()[0] == "changed" {
		t.Error("Routes returns the package's own slice")
	}
}

// The committed widget stays small: sites load it on every page. 35 KiB gzipped is the ceiling.
func TestEmbeddedWidget_IsAtMost35KiBGzipped(t *testing.T) {
	t.Parallel()
	const limit = 35 * 1024
	body, err := fs.ReadFile(frontend.Dist(), "widget.js")
	if err != nil {
		t.Fatalf("dist/widget.js missing (npm --prefix frontend run build): %v", err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	t.Logf("widget.js: %d bytes, %d gzipped (limit %d)", len(body), buf.Len(), limit)
	if buf.Len() > limit {
		t.Errorf("widget.js is %d bytes gzipped, more than %d", buf.Len(), limit)
	}
	if bytes.Contains(body, []byte("innerHTML")) {
		t.Error("widget.js uses innerHTML")
	}
}

// The committed build: every page is there, and every file a page links to is served.
func TestEmbeddedBuild_PagesAndTheirAssetsResolve(t *testing.T) {
	t.Parallel()
	e := echo.New()
	Register(e)
	ref := regexp.MustCompile(`(?:src|href)="(/[^"]*)"`)
	for _, page := range []string{"/", "/dashboard", "/chat", "/account", "/docs", "/redoc"} {
		rec := do(e, http.MethodGet, page)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", page, rec.Code)
		}
		refs := ref.FindAllStringSubmatch(rec.Body.String(), -1)
		if len(refs) < 2 {
			t.Errorf("%s links only %d files", page, len(refs))
		}
		for _, m := range refs {
			target := m[1]
			if !Owns(http.MethodGet, target) {
				continue // /openapi.yaml and the pages: served by the API server or tested above
			}
			if rec := do(e, http.MethodGet, target); rec.Code != http.StatusOK {
				t.Errorf("%s links %s, which answers %d", page, target, rec.Code)
			}
		}
	}
	if rec := do(e, http.MethodGet, "/widget.js"); rec.Code != http.StatusOK || rec.Header().Get("Cross-Origin-Resource-Policy") != "cross-origin" {
		t.Errorf("GET /widget.js = %d, CORP %q", rec.Code, rec.Header().Get("Cross-Origin-Resource-Policy"))
	}
	if _, err := fs.Stat(frontend.Dist(), ".keep"); err != nil {
		t.Errorf("dist/.keep (keeps go:embed working on a clean build) is missing: %v", err)
	}
}
