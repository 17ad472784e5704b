package frontend

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

const (
	testScript      = "assets/main-Ab12Cd34.js"
	testStyle       = "assets/main-Ef56Gh78.css"
	testChunk       = "assets/vendor-Ij90Kl12.js"
	testChunkStyle  = "assets/vendor-Mn34Op56.css"
	placeholderBody = "SPA not built: run `make run`"
)

// testTemplate is a trimmed public/index.html with the same data contract.
const testTemplate = `<!doctype html>
<html><head>
<script type="application/json" id="config__json">{{ .Config }}</script>
{{- if .Dev }}
<script type="module" src="{{ .DevServer }}/src/main.tsx"></script>
{{- else }}
{{- range .Styles }}<link rel="stylesheet" href="/{{ . }}">{{ end }}
{{- range .Preloads }}<link rel="modulepreload" href="/{{ . }}">{{ end }}
<script type="module" src="/{{ .Script }}"></script>
{{- end }}
</head><body><div id="root"></div></body></html>`

const testManifest = `{
  "src/main.tsx": {"file": "` + testScript + `", "src": "src/main.tsx", "isEntry": true,
    "css": ["` + testStyle + `"], "imports": ["_vendor.js"]},
  "_vendor.js": {"file": "` + testChunk + `", "css": ["` + testChunkStyle + `"]}
}`

func testConfig() Config {
	return Config{
		Mode:        ModeDemo,
		Version:     "1.2.3",
		GraphQLPath: "/graphql",
		CSRFHeader:  "X-Mailbridge-CSRF",
		DemoSignIn:  true,
	}
}

// unbuiltFS is a fresh clone: no dist/app.
func unbuiltFS() fstest.MapFS {
	return fstest.MapFS{
		"dist/placeholder.html": {Data: []byte("<!doctype html><h1>" + placeholderBody + "</h1>")},
		"public/index.html":     {Data: []byte(testTemplate)},
	}
}

// builtFS is a tree after `npm run build`.
func builtFS() fstest.MapFS {
	fsys := unbuiltFS()
	fsys["dist/app/index.html"] = &fstest.MapFile{Data: []byte(testTemplate)}
	fsys["dist/app/.vite/manifest.json"] = &fstest.MapFile{Data: []byte(testManifest)}
	fsys["dist/app/"+testScript] = &fstest.MapFile{Data: []byte("console.log('mailbridge');")}
	fsys["dist/app/"+testStyle] = &fstest.MapFile{Data: []byte("body{}")}
	fsys["dist/app/"+testChunk] = &fstest.MapFile{Data: []byte("export const vendor = 1;")}
	fsys["dist/app/"+testChunkStyle] = &fstest.MapFile{Data: []byte("main{}")}
	fsys["dist/app/favicon.svg"] = &fstest.MapFile{Data: []byte("<svg/>")}
	return fsys
}

// recordingHandler keeps the log records a handler emits.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) messages(level slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Level == level {
			out = append(out, r.Message)
		}
	}
	return out
}

const acceptBrowser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func serve(t *testing.T, h http.Handler, method, target, accept string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var configScript = regexp.MustCompile(`(?s)<script type="application/json" id="config__json">(.*?)</script>`)

// renderedConfig decodes the configuration the page carries, as the SPA does.
func renderedConfig(t *testing.T, page string) map[string]any {
	t.Helper()
	match := configScript.FindStringSubmatch(page)
	require.Len(t, match, 2, "page has no config__json script")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(match[1])), &got))
	return got
}

func TestHandler_ServeHTTP(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		handler *handler
		log     *recordingHandler
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		log := &recordingHandler{}
		h, err := newHandler(builtFS(), testConfig(), slog.New(log))
		require.NoError(t, err)
		return &testBundle{handler: h, log: log}
	}

	t.Run("ServesHashedAssetsImmutable", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		rec := serve(t, bundle.handler, http.MethodGet, "/"+testScript, "*/*")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "console.log('mailbridge');", rec.Body.String())
		require.Equal(t, "public, max-age=31536000, immutable", rec.Header().Get("Cache-Control"))
		require.Equal(t, "text/javascript; charset=utf-8", rec.Header().Get("Content-Type"))
		require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
		require.NotEmpty(t, rec.Header().Get("ETag"))

		rec = serve(t, bundle.handler, http.MethodGet, "/"+testStyle, "text/css,*/*;q=0.1")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "text/css; charset=utf-8", rec.Header().Get("Content-Type"))
		require.Equal(t, "public, max-age=31536000, immutable", rec.Header().Get("Cache-Control"))
	})

	t.Run("ServesOtherFilesRevalidated", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		rec := serve(t, bundle.handler, http.MethodGet, "/favicon.svg", "image/*")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "<svg/>", rec.Body.String())
		require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"))
		tag := rec.Header().Get("ETag")
		require.NotEmpty(t, tag)

		req := httptest.NewRequest(http.MethodGet, "/favicon.svg", nil)
		req.Header.Set("If-None-Match", tag)
		revalidated := httptest.NewRecorder()
		bundle.handler.ServeHTTP(revalidated, req)
		require.Equal(t, http.StatusNotModified, revalidated.Code)
	})

	t.Run("ServesFilesWhateverTheAcceptHeader", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, accept := range []string{"", "application/json", acceptBrowser} {
			rec := serve(t, bundle.handler, http.MethodGet, "/"+testChunk, accept)
			require.Equal(t, http.StatusOK, rec.Code, "Accept %q", accept)
			require.Empty(t, rec.Header().Values("Vary"), "Accept %q", accept)
		}
	})

	t.Run("HeadServesHeadersOnly", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		rec := serve(t, bundle.handler, http.MethodHead, "/"+testScript, "*/*")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, rec.Body.String())
		require.Equal(t, "26", rec.Header().Get("Content-Length"))

		rec = serve(t, bundle.handler, http.MethodHead, "/settings/mailboxes", acceptBrowser)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, rec.Body.String())
		require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"))
		require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	})

	t.Run("DeepLinksServeIndex", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, target := range []string{"/settings/mailboxes", "/settings/sequence-states", "/sign-in?next=%2F", "/no/such/page"} {
			rec := serve(t, bundle.handler, http.MethodGet, target, acceptBrowser)
			require.Equal(t, http.StatusOK, rec.Code, target)
			require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"), target)
			require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"), target)
			require.Equal(t, []string{"Accept"}, rec.Header().Values("Vary"), target)
			require.Contains(t, rec.Body.String(), `<div id="root">`, target)
		}
	})

	t.Run("IndexCarriesManifestAssets", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		page := serve(t, bundle.handler, http.MethodGet, "/", acceptBrowser).Body.String()
		require.Contains(t, page, `<script type="module" src="/`+testScript+`"></script>`)
		require.Contains(t, page, `<link rel="stylesheet" href="/`+testStyle+`">`)
		require.Contains(t, page, `<link rel="stylesheet" href="/`+testChunkStyle+`">`)
		require.Contains(t, page, `<link rel="modulepreload" href="/`+testChunk+`">`)
		require.NotContains(t, page, "{{")
	})

	t.Run("IndexCarriesConfig", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		page := serve(t, bundle.handler, http.MethodGet, "/settings/mailboxes", acceptBrowser).Body.String()
		require.Equal(t, map[string]any{
			"mode":        "demo",
			"version":     "1.2.3",
			"graphqlPath": "/graphql",
			"csrfHeader":  "X-Mailbridge-CSRF",
			"demoSignIn":  true,
		}, renderedConfig(t, page))
	})

	t.Run("ConfigCannotBreakOutOfItsScript", func(t *testing.T) {
		t.Parallel()

		cfg := testConfig()
		cfg.Version = `</script><script>alert(1)</script>`
		h, err := newHandler(builtFS(), cfg, nil)
		require.NoError(t, err)

		page := serve(t, h, http.MethodGet, "/", acceptBrowser).Body.String()
		require.NotContains(t, page, "<script>alert(1)")
		require.Equal(t, cfg.Version, renderedConfig(t, page)["version"])
	})

	t.Run("IndexPathServesRenderedIndex", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, target := range []string{"/", "/index.html"} {
			rec := serve(t, bundle.handler, http.MethodGet, target, "*/*")
			require.Equal(t, http.StatusOK, rec.Code, target)
			require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"), target)
			require.Contains(t, rec.Body.String(), testScript, target)
			require.NotContains(t, rec.Body.String(), "{{", target)
		}
	})

	t.Run("IndexRevalidatesWithETag", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		tag := serve(t, bundle.handler, http.MethodGet, "/settings/mailboxes", acceptBrowser).Header().Get("ETag")
		require.NotEmpty(t, tag)
		req := httptest.NewRequest(http.MethodGet, "/settings/sequence-states", nil)
		req.Header.Set("Accept", acceptBrowser)
		req.Header.Set("If-None-Match", tag)
		rec := httptest.NewRecorder()
		bundle.handler.ServeHTTP(rec, req)
		require.Equal(t, http.StatusNotModified, rec.Code)
	})

	t.Run("OtherMethodsAre405", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, tc := range []struct{ method, target string }{
			{http.MethodPost, "/settings/mailboxes"},
			{http.MethodPut, "/settings/mailboxes"},
			{http.MethodDelete, "/"},
			{http.MethodPost, "/index.html"},
			{http.MethodPost, "/" + testScript},
			{http.MethodOptions, "/favicon.svg"},
		} {
			rec := serve(t, bundle.handler, tc.method, tc.target, acceptBrowser)
			require.Equal(t, http.StatusMethodNotAllowed, rec.Code, "%s %s", tc.method, tc.target)
			require.Equal(t, "GET, HEAD", rec.Header().Get("Allow"), "%s %s", tc.method, tc.target)
			require.NotContains(t, rec.Body.String(), `<div id="root">`)
		}

		rec := serve(t, bundle.handler, http.MethodPost, "/settings/mailboxes", acceptBrowser)
		require.Equal(t, []string{"Accept"}, rec.Header().Values("Vary"))
	})

	t.Run("RequestsNotAcceptingHTMLAre406", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, accept := range []string{"", "application/json", "*/*", "text/html;q=0", "image/avif,image/webp,*/*"} {
			rec := serve(t, bundle.handler, http.MethodGet, "/settings/mailboxes", accept)
			require.Equal(t, http.StatusNotAcceptable, rec.Code, "Accept %q", accept)
			require.Equal(t, []string{"Accept"}, rec.Header().Values("Vary"), "Accept %q", accept)
			require.NotContains(t, rec.Body.String(), `<div id="root">`)
		}
	})

	t.Run("ExcludedPrefixesAre404", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, target := range []string{
			"/graphql", "/graphql/", "/graphql/playground",
			"/auth", "/auth/", "/auth/callback", "/auth/demo/users",
			"/api", "/api/", "/api/v1/mailboxes",
			"/settings/../graphql", "/%61uth/signin",
		} {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				rec := serve(t, bundle.handler, method, target, acceptBrowser)
				require.Equal(t, http.StatusNotFound, rec.Code, "%s %s", method, target)
				require.NotContains(t, rec.Body.String(), `<div id="root">`, "%s %s", method, target)
			}
		}

		// Only whole path segments are excluded.
		rec := serve(t, bundle.handler, http.MethodGet, "/graphqlish", acceptBrowser)
		require.Equal(t, http.StatusOK, rec.Code)
	})

	t.Run("MissingAssetsAre404", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, accept := range []string{"*/*", acceptBrowser} {
			rec := serve(t, bundle.handler, http.MethodGet, "/assets/main-OldHash1.js", accept)
			require.Equal(t, http.StatusNotFound, rec.Code, "Accept %q", accept)
			require.NotContains(t, rec.Body.String(), `<div id="root">`)
		}
	})

	t.Run("NoDirectoryListings", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		index := serve(t, bundle.handler, http.MethodGet, "/", acceptBrowser).Body.String()
		for _, target := range []string{"/assets", "/assets/", "/.vite/", "/.vite"} {
			rec := serve(t, bundle.handler, http.MethodGet, target, acceptBrowser)
			require.Equal(t, http.StatusOK, rec.Code, target)
			require.Equal(t, index, rec.Body.String(), target+": not the app page")
			require.NotContains(t, rec.Body.String(), "manifest.json", target)

			rec = serve(t, bundle.handler, http.MethodGet, target, "*/*")
			require.NotEqual(t, http.StatusOK, rec.Code, target)
		}
	})

	t.Run("DotfilesAreNotServed", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		rec := serve(t, bundle.handler, http.MethodGet, "/.vite/manifest.json", "application/json")
		require.Equal(t, http.StatusNotAcceptable, rec.Code)
		require.NotContains(t, rec.Body.String(), "isEntry")

		rec = serve(t, bundle.handler, http.MethodGet, "/.vite/manifest.json", acceptBrowser)
		require.NotContains(t, rec.Body.String(), "isEntry")
	})

	t.Run("NoPathTraversal", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, target := range []string{
			"/../placeholder.html",
			"/../../public/index.html",
			"/assets/../../placeholder.html",
			"/%2e%2e/placeholder.html",
			"/..%2fplaceholder.html",
			"/assets/..%2F..%2Fplaceholder.html",
		} {
			for _, accept := range []string{acceptBrowser, "*/*"} {
				rec := serve(t, bundle.handler, http.MethodGet, target, accept)
				require.NotContains(t, rec.Body.String(), placeholderBody, "%s (Accept %q)", target, accept)
				require.NotContains(t, rec.Body.String(), "{{", "%s (Accept %q): served the raw template", target, accept)
			}
		}
	})

	t.Run("LogsNoWarning", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		serve(t, bundle.handler, http.MethodGet, "/", acceptBrowser)
		require.Empty(t, bundle.log.messages(slog.LevelWarn))
	})
}

func TestHandler_ServeHTTPNotBuilt(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		handler *handler
		log     *recordingHandler
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		log := &recordingHandler{}
		h, err := newHandler(unbuiltFS(), testConfig(), slog.New(log))
		require.NoError(t, err)
		return &testBundle{handler: h, log: log}
	}

	t.Run("ServesPlaceholderToBrowsers", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for _, target := range []string{"/", "/index.html", "/settings/mailboxes"} {
			rec := serve(t, bundle.handler, http.MethodGet, target, acceptBrowser)
			require.Equal(t, http.StatusOK, rec.Code, target)
			require.Contains(t, rec.Body.String(), placeholderBody, target)
			require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"), target)
			require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"), target)
		}
	})

	t.Run("WarnsOnce", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		for range 3 {
			serve(t, bundle.handler, http.MethodGet, "/settings/mailboxes", acceptBrowser)
		}
		warnings := bundle.log.messages(slog.LevelWarn)
		require.Len(t, warnings, 1)
		require.Contains(t, warnings[0], "SPA not built")
		require.Contains(t, warnings[0], "make run")
	})

	t.Run("KeepsTheRules", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)

		require.Equal(t, http.StatusNotFound, serve(t, bundle.handler, http.MethodGet, "/graphql", acceptBrowser).Code)
		require.Equal(t, http.StatusNotFound, serve(t, bundle.handler, http.MethodGet, "/auth/signin", acceptBrowser).Code)
		require.Equal(t, http.StatusNotFound, serve(t, bundle.handler, http.MethodGet, "/api/x", acceptBrowser).Code)
		require.Equal(t, http.StatusNotFound, serve(t, bundle.handler, http.MethodGet, "/"+testScript, "*/*").Code)
		require.Equal(t, http.StatusNotAcceptable, serve(t, bundle.handler, http.MethodGet, "/settings/mailboxes", "application/json").Code)
		require.Equal(t, http.StatusMethodNotAllowed, serve(t, bundle.handler, http.MethodPost, "/settings/mailboxes", acceptBrowser).Code)
		require.NotContains(t, serve(t, bundle.handler, http.MethodGet, "/placeholder.html", "*/*").Body.String(), placeholderBody)
	})
}

func TestHandler_ServeHTTPDevServer(t *testing.T) {
	t.Parallel()

	t.Run("LoadsEntryFromViteWithoutBuild", func(t *testing.T) {
		t.Parallel()

		cfg := testConfig()
		cfg.DevServerURL = "http://localhost:5173/"
		log := &recordingHandler{}
		h, err := newHandler(unbuiltFS(), cfg, slog.New(log))
		require.NoError(t, err)

		page := serve(t, h, http.MethodGet, "/settings/mailboxes", acceptBrowser).Body.String()
		require.Contains(t, page, `<script type="module" src="http://localhost:5173/src/main.tsx"></script>`)
		require.NotContains(t, page, placeholderBody)
		require.NotContains(t, renderedConfig(t, page), "devServerURL")
		require.Empty(t, log.messages(slog.LevelWarn))
	})
}

func TestNewHandler(t *testing.T) {
	t.Parallel()

	t.Run("InvalidConfig", func(t *testing.T) {
		t.Parallel()

		for _, tc := range []struct {
			mutate  func(*Config)
			wantErr string
		}{
			{func(c *Config) { c.Mode = "staging" }, `mode "staging"`},
			{func(c *Config) { c.GraphQLPath = "graphql" }, `graphql path "graphql"`},
			{func(c *Config) { c.CSRFHeader = "" }, `csrf header ""`},
			{func(c *Config) { c.CSRFHeader = "X-CSRF: 1" }, `csrf header "X-CSRF: 1"`},
			{func(c *Config) { c.Mode = ModeProduction }, "demo sign-in is only allowed in demo mode"},
			{func(c *Config) { c.DevServerURL = "localhost:5173" }, `dev server url "localhost:5173"`},
			{func(c *Config) { c.DevServerURL = "http://localhost:5173/app" }, `dev server url "http://localhost:5173/app"`},
		} {
			cfg := testConfig()
			tc.mutate(&cfg)
			_, err := newHandler(builtFS(), cfg, nil)
			require.ErrorContains(t, err, tc.wantErr)
		}

		cfg := testConfig()
		cfg.Mode, cfg.DemoSignIn = ModeProduction, false
		_, err := newHandler(builtFS(), cfg, nil)
		require.NoError(t, err)
	})

	t.Run("BrokenBuild", func(t *testing.T) {
		t.Parallel()

		noEntry := builtFS()
		noEntry["dist/app/.vite/manifest.json"] = &fstest.MapFile{Data: []byte(`{"src/other.tsx": {"file": "assets/x.js"}}`)}
		_, err := newHandler(noEntry, testConfig(), nil)
		require.ErrorContains(t, err, "no entry for src/main.tsx")

		badJSON := builtFS()
		badJSON["dist/app/.vite/manifest.json"] = &fstest.MapFile{Data: []byte(`{`)}
		_, err = newHandler(badJSON, testConfig(), nil)
		require.ErrorContains(t, err, "parse vite manifest")

		unknownImport := builtFS()
		unknownImport["dist/app/.vite/manifest.json"] = &fstest.MapFile{Data: []byte(`{"src/main.tsx": {"file": "assets/x.js", "imports": ["_gone.js"]}}`)}
		_, err = newHandler(unknownImport, testConfig(), nil)
		require.ErrorContains(t, err, "unknown chunk _gone.js")

		badTemplate := builtFS()
		badTemplate["dist/app/index.html"] = &fstest.MapFile{Data: []byte(`{{ .Nope }}`)}
		_, err = newHandler(badTemplate, testConfig(), nil)
		require.ErrorContains(t, err, "render index template")
	})

	t.Run("IndexWithoutManifestIsNotBuilt", func(t *testing.T) {
		t.Parallel()

		fsys := builtFS()
		delete(fsys, "dist/app/.vite/manifest.json")
		require.False(t, isBuilt(fsys))
		require.True(t, isBuilt(builtFS()))
		require.False(t, isBuilt(unbuiltFS()))
	})
}

func TestNewHandler_Embedded(t *testing.T) {
	t.Parallel()

	t.Run("ServesWhatIsEmbedded", func(t *testing.T) {
		t.Parallel()

		log := &recordingHandler{}
		h, err := NewHandler(testConfig(), slog.New(log))
		require.NoError(t, err)

		rec := serve(t, h, http.MethodGet, "/settings/mailboxes", acceptBrowser)
		require.Equal(t, http.StatusOK, rec.Code)
		if Built() {
			require.Contains(t, rec.Body.String(), `id="config__json"`)
			require.Empty(t, log.messages(slog.LevelWarn))
		} else {
			require.Contains(t, rec.Body.String(), placeholderBody)
			require.Len(t, log.messages(slog.LevelWarn), 1)
		}
		require.Equal(t, http.StatusNotFound, serve(t, h, http.MethodGet, "/graphql", acceptBrowser).Code)
	})

	t.Run("PlaceholderAndTemplateAreEmbedded", func(t *testing.T) {
		t.Parallel()

		placeholder, err := fs.ReadFile(files, placeholderPath)
		require.NoError(t, err)
		require.Contains(t, string(placeholder), placeholderBody)

		tmpl, err := fs.ReadFile(files, devTemplatePath)
		require.NoError(t, err)
		require.True(t, bytes.Contains(tmpl, []byte(`id="config__json"`)))

		// The real template renders with every mode of the handler.
		for _, dev := range []bool{false, true} {
			out, err := renderIndex(files, devTemplatePath, indexData{
				Config: testConfig(), Dev: dev, DevServer: "http://localhost:5173",
				Script: testScript, Styles: []string{testStyle}, Preloads: []string{testChunk},
			})
			require.NoError(t, err)
			page := string(out)
			require.Equal(t, "demo", renderedConfig(t, page)["mode"])
			if dev {
				require.Contains(t, page, `src="http://localhost:5173/src/main.tsx"`)
			} else {
				require.Contains(t, page, `src="/`+testScript+`"`)
				require.Contains(t, page, `href="/`+testStyle+`"`)
				require.Contains(t, page, `href="/`+testChunk+`"`)
			}
		}
	})
}

func TestAcceptsHTML(t *testing.T) {
	t.Parallel()

	for accept, want := range map[string]bool{
		"text/html":                         true,
		"TEXT/HTML":                         true,
		acceptBrowser:                       true,
		"application/xhtml+xml":             true,
		"text/*":                            true,
		"text/html;q=0.5":                   true,
		"text/html;q=0":                     false,
		"text/html;q=0.0, application/json": false,
		"*/*":                               false,
		"application/json":                  false,
		"":                                  false,
		"garbage;;;":                        false,
	} {
		require.Equal(t, want, acceptsHTML([]string{accept}), "Accept %q", accept)
	}
	require.True(t, acceptsHTML([]string{"application/json", "text/html"}), "several Accept headers")
	require.False(t, acceptsHTML(nil))
}

// TestHandler_Precompressed checks that the build's brotli and gzip copies
// are served to browsers that accept them, with the original's type, their
// own ETags and Vary: Accept-Encoding, that other clients get the original,
// and that the copies have no URL of their own.
func TestHandler_Precompressed(t *testing.T) {
	t.Parallel()
	script := []byte(strings.Repeat("console.log('mailbridge');\n", 100))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(script)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	br := []byte("brotli bytes (opaque to the server)")
	fsys := builtFS()
	fsys["dist/app/"+testScript] = &fstest.MapFile{Data: script}
	fsys["dist/app/"+testScript+".gz"] = &fstest.MapFile{Data: gz.Bytes()}
	fsys["dist/app/"+testScript+".br"] = &fstest.MapFile{Data: br}
	h, err := newHandler(fsys, testConfig(), nil)
	require.NoError(t, err)

	get := func(acceptEncoding string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/"+testScript, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		for i := 0; i < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	etags := map[string]string{}
	for _, c := range []struct{ accept, coding string }{
		{"gzip, deflate, br, zstd", "br"},
		{"br;q=1.0, gzip;q=0.8", "br"},
		{"gzip", "gzip"},
		{"gzip, br;q=0", "gzip"},
		{"*", "br"},
		{"*, br;q=0", "gzip"},
		{"", ""},
		{"identity", ""},
		{"gzip;q=0, br;q=0", ""},
		{"deflate", ""},
	} {
		rec := get(c.accept)
		require.Equal(t, http.StatusOK, rec.Code, c.accept)
		require.Equal(t, c.coding, rec.Header().Get("Content-Encoding"), c.accept)
		require.Equal(t, "text/javascript; charset=utf-8", rec.Header().Get("Content-Type"), c.accept)
		require.Equal(t, "Accept-Encoding", rec.Header().Get("Vary"), c.accept)
		require.Equal(t, cacheImmutable, rec.Header().Get("Cache-Control"), c.accept)
		want := map[string][]byte{"br": br, "gzip": gz.Bytes(), "": script}[c.coding]
		require.Equal(t, want, rec.Body.Bytes(), c.accept)
		if c.coding == "" {
			require.Equal(t, strconv.Itoa(len(want)), rec.Header().Get("Content-Length"), c.accept)
		}
		etags[c.coding] = rec.Header().Get("ETag")
	}
	require.Len(t, etags, 3)
	require.NotEqual(t, etags["br"], etags["gzip"])
	require.NotEqual(t, etags[""], etags["gzip"])

	zr, err := gzip.NewReader(bytes.NewReader(get("gzip").Body.Bytes()))
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, script, plain)

	// Revalidation matches each representation's own ETag.
	require.Equal(t, http.StatusNotModified, get("gzip", "If-None-Match", etags["gzip"]).Code)
	require.Equal(t, http.StatusOK, get("br", "If-None-Match", etags["gzip"]).Code)

	// Files without copies are not varied; copies have no URL of their own.
	rec := get("br", "Accept", "*/*")
	require.Equal(t, "br", rec.Header().Get("Content-Encoding"))
	style := serve(t, h, http.MethodGet, "/"+testStyle, "")
	require.Empty(t, style.Header().Get("Vary"))
	require.Empty(t, style.Header().Get("Content-Encoding"))
	require.Equal(t, http.StatusNotFound, serve(t, h, http.MethodGet, "/"+testScript+".br", "").Code)
	require.Equal(t, http.StatusNotFound, serve(t, h, http.MethodGet, "/"+testScript+".gz", "").Code)
}
