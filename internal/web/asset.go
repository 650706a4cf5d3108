package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"strconv"
	"strings"
	"sync"
)

// Compression is worth it only above this size (one TCP packet of headers plus body) ...
const minCompressSize = 1024

// ... and only when it saves at least a tenth of the bytes.
const maxCompressedRatio = 0.9

// asset is one file as served: its headers, and — read at its first request, not at start-up — its bytes,
// ETag and gzip variant. Reading lazily keeps the docs bundles and every chunk out of memory (and out of
// the process's resident pages) until a browser asks for them, and keeps start-up (and every test that
// builds a server) free of the ≈150 ms that BestCompression of the 3 MB docs bundles costs; after that the
// bytes stay in memory for all requests.
type asset struct {
	fsys        fs.FS
	name        string
	contentType string
	cache       string
	csp         string
	crossOrigin bool // other sites load it: Cross-Origin-Resource-Policy: cross-origin

	loadOnce     sync.Once
	body         []byte
	etag, gzETag string
	compressible bool

	gzipOnce sync.Once
	gz       []byte // nil when compression does not pay
}

// read loads the file's bytes and ETag once. The file was found at start-up and an embedded build
// cannot change, so a failure here is a broken build: it is served empty rather than crashing.
func (a *asset) read() {
	a.loadOnce.Do(func() {
		a.body, _ = fs.ReadFile(a.fsys, a.name)
		sum := sha256.Sum256(a.body)
		tag := hex.EncodeToString(sum[:12])
		a.etag, a.gzETag = `"`+tag+`"`, `"`+tag+`-gzip"`
		a.compressible = isTextual(a.contentType) && len(a.body) >= minCompressSize
	})
}

// gzipped returns the gzip variant and its ETag, or nil when compression does not pay.
func (a *asset) gzipped() ([]byte, string) {
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // Only fails for an invalid level.
		_, _ = zw.Write(a.body)                                  // Writes to a bytes.Buffer do not fail.
		_ = zw.Close()
		if float64(buf.Len()) <= float64(len(a.body))*maxCompressedRatio {
			a.gz = buf.Bytes()
		}
	})
	if a.gz == nil {
		return nil, ""
	}
	return a.gz, a.gzETag
}

func isTextual(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") ||
		strings.HasPrefix(contentType, "image/svg+xml") ||
		strings.HasPrefix(contentType, "application/json")
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip with a non-zero quality: "gzip" (or
// "x-gzip") when listed, else "*".
func acceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		q := quality(params)
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			gzipQ = max(gzipQ, q)
		case "*":
			starQ = max(starQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// quality reads q= from a coding's parameters; 1 when absent or malformed.
func quality(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return f
			}
		}
	}
	return 1
}
