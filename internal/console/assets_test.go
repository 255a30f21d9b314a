package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// fetch gets path from h as a browser that accepts gzip does, sending
// ifNoneMatch when given, and returns the answer with its body unzipped.
func fetch(t *testing.T, h http.Handler, path, ifNoneMatch string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "https://tuntas.test"+path, nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body := rec.Body.Bytes()
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: gzip: %v", path, err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: gzip: %v", path, err)
		}
	}
	return resp, body
}

func TestPagesAreGzippedAndRevalidatedWithTheirETag(t *testing.T) {
	c, _ := newTestConsole(t, true)
	resp, body := fetch(t, c, "/signin", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "</html>") {
		t.Fatalf("sign-in page: %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("the page's Content-Encoding is %q, want gzip", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("the page's Cache-Control is %q", got)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("the page has no ETag")
	}
	// The same page asked again with its validator: 304, no body. (The
	// sign-in page is the same for a browser that holds no cookie.)
	again, body := fetch(t, c, "/signin", etag)
	if again.StatusCode == http.StatusNotModified {
		if len(body) != 0 {
			t.Errorf("a 304 carries %d bytes", len(body))
		}
	} else if again.Header.Get("ETag") == etag {
		t.Errorf("the same page with its ETag answered %d", again.StatusCode)
	}
	if resp, _ := fetch(t, c, "/signin", `W/"not-this-one"`); resp.StatusCode != http.StatusOK {
		t.Errorf("a stale ETag answered %d", resp.StatusCode)
	}
}

func TestStaticFilesHaveContentHashedURLsKeptAYear(t *testing.T) {
	c, _ := newTestConsole(t, true)
	_, page := fetch(t, c, "/signin", "")
	refs := regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 3 {
		t.Fatalf("the page links %d static files", len(refs))
	}
	hashed := regexp.MustCompile(`^/static/[a-z0-9-]+\.[0-9a-f]{10}\.(css|js|svg)$`)
	for _, m := range refs {
		url := m[1]
		if !hashed.MatchString(url) {
			t.Errorf("%s carries no content hash", url)
			continue
		}
		resp, body := fetch(t, c, url, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", url, resp.StatusCode)
		}
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", url, got)
		}
		name := regexp.MustCompile(`\.[0-9a-f]{10}\.`).ReplaceAllString(strings.TrimPrefix(url, "/static/"), ".")
		want, _ := staticFS.ReadFile("static/" + name)
		if !bytes.Equal(body, want) {
			t.Errorf("%s is not static/%s", url, name)
		}
		if strings.HasSuffix(url, ".css") || strings.HasSuffix(url, ".js") {
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("%s is not gzipped", url)
			}
		}
		if assetURL(name) != url {
			t.Errorf("asset %q is %s, the page links %s", name, assetURL(name), url)
		}
	}
	// The plain name still answers (a page saved before a release), but
	// is asked for again each time; a hash no build made is not found.
	if resp, _ := fetch(t, c, "/static/app.css", ""); resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("/static/app.css: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := fetch(t, c, "/static/app.0000000000.css", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown hash answered %d", resp.StatusCode)
	}
}

func TestAClientThatRefusesGzipGetsThePlainPage(t *testing.T) {
	c, _ := newTestConsole(t, true)
	for _, accept := range []string{"", "identity", "gzip;q=0"} {
		req := httptest.NewRequest(http.MethodGet, "https://tuntas.test/signin", nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "" || !strings.HasPrefix(rec.Body.String(), "<!DOCTYPE html>") {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", accept, rec.Header().Get("Content-Encoding"))
		}
	}
}
