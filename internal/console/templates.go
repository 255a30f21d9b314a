package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/region"
)

// funcs are the helpers every template may call; words come from the
// page's Locale (.L), never from here.
var funcs = template.FuncMap{
	"money": Money,
	// asset is a static file's content-hashed URL: asset "app.css".
	"asset": assetURL,
	"num": func(v any) string {
		switch n := v.(type) {
		case int:
			return Num(int64(n))
		case int64:
			return Num(n)
		}
		return fmt.Sprint(v)
	},
	"pct":        Pct,
	"regionName": regionName,
	"past":       func(t time.Time) bool { return !t.IsZero() && t.Before(time.Now()) },
	"field":      func(prefix string, i int, name string) string { return fmt.Sprintf("%s[%d].%s", prefix, i, name) },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	// noteHref is the page of what a notification is about: a case, or a
	// village proposal (usl-…) or an objection (sgh-…).
	"noteHref": func(id string) string {
		switch {
		case strings.HasPrefix(id, "usl-"):
			return "/proposals/" + id
		case strings.HasPrefix(id, "sgh-"):
			return "/objections/" + id
		}
		return "/cases/" + id
	},
	"join":      strings.Join,
	"hasPrefix": strings.HasPrefix,
	"inc":       func(i int) int { return i + 1 },
	"add3":      func(a, b, c int) int { return a + b + c },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// regionName is "Senyiur (64.08.01.2001)", or the code when unknown.
func regionName(code string) string {
	if r, ok := region.Lookup(code); ok {
		return r.Name
	}
	return code
}

// parsePages parses each page with the layout and the shared partials.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	shared := []string{"templates/layout.html", "templates/partials.html"}
	out := map[string]*template.Template{}
	for _, n := range names {
		if n == shared[0] || n == shared[1] {
			continue
		}
		t, err := template.New("").Funcs(funcs).ParseFS(templateFS, append(shared, n)...)
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", n, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return out, nil
}
