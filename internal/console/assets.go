package console

// The console's static files and how they travel: each under a name that
// carries a hash of its content (/static/app.<hash>.css), kept by browsers
// for a year without asking again, gzipped once when the console starts;
// pages gzipped as they are written, revalidated with an ETag.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// asset is one embedded static file as it is served.
type asset struct {
	// URL is the file's content-hashed path, e.g. /static/app.3f2a1b9c0d.css.
	URL         string
	contentType string
	body        []byte
	// gz is body gzipped, nil when gzip would not make it smaller.
	gz   []byte
	etag string
}

// assetSet is every embedded static file by its name under static/
// ("app.css") and by its hashed file name ("app.3f2a1b9c0d.css").
type assetSet struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// hashLen is how many hex digits of a file's SHA-256 its URL carries.
const hashLen = 10

// assets are the embedded static files, read and compressed once.
var assets = sync.OnceValue(func() assetSet {
	s := assetSet{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hash + ext
		a := &asset{URL: "/static/" + hashed, contentType: contentTypes[ext], body: b, etag: `"` + hash + `"`}
		if compressible(a.contentType) {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(b)
			_ = zw.Close()
			if buf.Len() < len(b) {
				a.gz = buf.Bytes()
			}
		}
		s.byName[name], s.byHashed[hashed] = a, a
		return nil
	})
	return s
})

// contentTypes are the types of the static files, by extension.
var contentTypes = map[string]string{
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".json": "application/json; charset=utf-8",
}

// assetURL is the content-hashed URL of the static file name ("app.css"),
// the template function "asset"; the service worker's list of files to
// keep is built from it too. An unknown name is a programming error: its
// plain path is returned, which answers 404.
func assetURL(name string) string {
	if a, ok := assets().byName[name]; ok {
		return a.URL
	}
	return "/static/" + name
}

// static serves a static file. Under its hashed name it never changes, so
// a browser keeps it a year and never asks again; under its plain name
// (a page saved before a release, a script importing another) it is
// revalidated every time.
func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	set := assets()
	a, hashed := set.byHashed[name]
	if !hashed {
		a = set.byName[name]
	}
	if a == nil {
		c.notFound(w, r)
		return
	}
	h := w.Header()
	if a.contentType != "" {
		h.Set("Content-Type", a.contentType)
	}
	if hashed {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", a.etag)
	if a.gz != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	if gw, ok := w.(*gzipWriter); ok {
		gw.bypass() // already compressed, or not worth it
	}
	_, _ = w.Write(body)
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if coding = strings.TrimSpace(coding); !strings.EqualFold(coding, "gzip") && coding != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// compressible reports whether a body of the content type shrinks under
// gzip (text does; PNG, already compressed, does not).
func compressible(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	switch strings.TrimSpace(ct) {
	case "text/html", "text/css", "text/javascript", "text/csv", "text/plain", "image/svg+xml",
		"application/json", "application/manifest+json", "application/problem+json":
		return true
	}
	return false
}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return zw
}}

// gzipWriter compresses what a handler writes when the request accepts
// gzip and the answer is text with a body.
type gzipWriter struct {
	http.ResponseWriter
	zw      *gzip.Writer
	decided bool
	skip    bool
}

// withGzip serves h, compressing its answers for clients that accept gzip.
func withGzip(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r) || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		h.ServeHTTP(gw, r)
	})
}

// bypass makes the writer pass the body through as it is written.
func (g *gzipWriter) bypass() {
	if !g.decided {
		g.decided, g.skip = true, true
	}
}

func (g *gzipWriter) decide(status int) {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified ||
		h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) {
		g.skip = true
		return
	}
	h.Set("Content-Encoding", "gzip")
	h.Del("Content-Length")
	// A strong validator names these very bytes; compressed, they differ.
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		h.Set("ETag", "W/"+et)
	}
	g.zw = gzipWriters.Get().(*gzip.Writer)
	g.zw.Reset(g.ResponseWriter)
}

func (g *gzipWriter) WriteHeader(status int) {
	g.decide(status)
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.skip {
		return g.ResponseWriter.Write(b)
	}
	return g.zw.Write(b)
}

// Flush sends what is compressed so far (a long answer streamed).
func (g *gzipWriter) Flush() {
	if g.zw != nil {
		_ = g.zw.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.zw == nil {
		return
	}
	_ = g.zw.Close()
	g.zw.Reset(nil)
	gzipWriters.Put(g.zw)
	g.zw = nil
}
