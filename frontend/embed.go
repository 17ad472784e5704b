// Package frontend serves the Mailbridge web app: the React SPA that Vite
// builds into dist/app, embedded in the binary.
//
// A fresh clone builds and tests without Node: dist/placeholder.html is
// committed, so the embed pattern always matches, and when dist/app has not
// been built the handler serves that placeholder to browsers and logs a
// warning once. index.html is a Go html/template (kept in Vite's public/, so
// the build copies it into dist/app) that carries the runtime configuration
// and takes the hashed entry names from dist/app/.vite/manifest.json.
//
// The handler follows one fallback rule with explicit exclusions:
//
//   - an existing file is served as is; hashed assets/* are cached for a
//     year as immutable, everything else is revalidated (no-cache + ETag);
//     when the build wrote compressed copies of it (NAME.br, NAME.gz: see
//     scripts/precompress.ts), the copy the request's Accept-Encoding
//     allows is served instead (brotli first), with Content-Encoding, its
//     own ETag, the original's Content-Type and Vary: Accept-Encoding; the
//     copies are not reachable under their own names;
//   - any other GET or HEAD that accepts HTML gets index.html, so deep links
//     such as /settings/mailboxes reach the client-side router;
//   - other methods get 405 and requests that don't accept HTML get 406,
//     both with Vary: Accept;
//   - /graphql, /auth/ and /api/ never fall back: they are real 404s here,
//     because the server mounts its own handlers there. Neither do missing
//     files under /assets/: a stale hashed chunk must fail as a 404, not load
//     an HTML page as JavaScript.
//
// Directories are never listed, dotfiles (such as .vite/manifest.json) are
// never served, and paths are cleaned before lookup, so no request reaches
// outside dist/app.
package frontend

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed all:dist public/index.html
var files embed.FS

const (
	// ModeDemo runs with demo data and demo sign-in.
	ModeDemo = "demo"
	// ModeProduction runs against real Microsoft 365 tenants.
	ModeProduction = "production"
)

const (
	appDir          = "dist/app"
	indexName       = "index.html"
	manifestName    = ".vite/manifest.json"
	placeholderPath = "dist/placeholder.html"
	devTemplatePath = "public/index.html"
	// entryName is the Vite input (build.rollupOptions.input) whose hashed
	// output the page loads.
	entryName = "src/main.tsx"
	// assetsPrefix is Vite's build.assetsDir: every file under it has a
	// content hash in its name.
	assetsPrefix = "assets/"

	cacheImmutable = "public, max-age=31536000, immutable"
	cacheNoCache   = "no-cache"
)

// excludedPrefixes are server routes that never fall back to index.html: a
// request there that reaches this handler gets a real 404. Each is matched as
// the whole path or as a path prefix ending in "/".
var excludedPrefixes = []string{"/graphql", "/auth", "/api"}

// Config is the runtime configuration the SPA reads from index.html (as JSON
// in <script type="application/json" id="config__json">). Nothing
// environment-specific is baked in at build time, so one build runs in every
// environment.
type Config struct {
	// Mode is ModeDemo or ModeProduction.
	Mode string `json:"mode"`
	// Version is the server's version, shown in the UI footer.
	Version string `json:"version"`
	// GraphQLPath is where the SPA posts GraphQL operations, e.g. "/graphql".
	GraphQLPath string `json:"graphqlPath"`
	// CSRFHeader is the header the SPA sets to "1" on every POST, e.g.
	// "X-Mailbridge-CSRF"; the server rejects POSTs without it.
	CSRFHeader string `json:"csrfHeader"`
	// DemoSignIn makes the sign-in page list the demo users
	// (GET /auth/demo/users) instead of offering Microsoft sign-in. Only
	// valid in ModeDemo.
	DemoSignIn bool `json:"demoSignIn"`
	// DevServerURL, when set (e.g. "http://localhost:5173"), makes
	// index.html load the app from a running Vite dev server (`npm run dev`
	// in frontend/) instead of the embedded build. For local development
	// only; never sent to the browser as configuration.
	DevServerURL string `json:"-"`
}

func (c Config) validate() error {
	var errs []error
	if c.Mode != ModeDemo && c.Mode != ModeProduction {
		errs = append(errs, fmt.Errorf("mode %q: want %q or %q", c.Mode, ModeDemo, ModeProduction))
	}
	if !strings.HasPrefix(c.GraphQLPath, "/") {
		errs = append(errs, fmt.Errorf("graphql path %q: want an absolute path such as /graphql", c.GraphQLPath))
	}
	if c.CSRFHeader == "" || strings.ContainsAny(c.CSRFHeader, " :\r\n\t") {
		errs = append(errs, fmt.Errorf("csrf header %q: want a header name such as X-Mailbridge-CSRF", c.CSRFHeader))
	}
	if c.DemoSignIn && c.Mode != ModeDemo {
		errs = append(errs, errors.New("demo sign-in is only allowed in demo mode"))
	}
	if c.DevServerURL != "" {
		u, err := url.Parse(c.DevServerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("dev server url %q: want an origin such as http://localhost:5173", c.DevServerURL))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("frontend: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// Built reports whether the binary embeds a built SPA (dist/app/index.html
// and its Vite manifest). `make build` and release builds check it; when it
// is false, NewHandler serves the placeholder page.
func Built() bool {
	return isBuilt(files)
}

func isBuilt(fsys fs.FS) bool {
	for _, name := range []string{indexName, manifestName} {
		if _, err := fs.Stat(fsys, path.Join(appDir, name)); err != nil {
			return false
		}
	}
	return true
}

// NewHandler returns the handler for every path the server does not route
// elsewhere (mount it at "/"). It renders index.html once, from cfg and the
// embedded Vite manifest, and fails when the embedded build is inconsistent
// (an index.html without a manifest entry for src/main.tsx), so a broken
// build stops the server at startup rather than serving a blank page.
func NewHandler(cfg Config, log *slog.Logger) (http.Handler, error) {
	return newHandler(files, cfg, log)
}

// handler serves the SPA from fsys, laid out like this package's directory:
// dist/app/ (the Vite build, possibly absent), dist/placeholder.html and
// public/index.html.
type handler struct {
	app fs.FS
	// assets maps each servable file under dist/app (no dotfiles, no
	// index.html, no compressed copies) to its ETag and compressed copies.
	// Only these names and their copies are ever opened.
	assets map[string]asset
	// index is the rendered index.html, or the placeholder page.
	index     []byte
	indexETag string
}

var _ http.Handler = (*handler)(nil)

func newHandler(fsys fs.FS, cfg Config, log *slog.Logger) (*handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	app, err := fs.Sub(fsys, appDir)
	if err != nil {
		return nil, fmt.Errorf("frontend: %w", err)
	}
	h := &handler{app: app, assets: map[string]asset{}}

	switch {
	case cfg.DevServerURL != "":
		h.index, err = renderIndex(fsys, devTemplatePath, indexData{
			Config:    cfg,
			Dev:       true,
			DevServer: strings.TrimSuffix(cfg.DevServerURL, "/"),
		})
		if err != nil {
			return nil, err
		}
		log.Info("frontend: loading the app from the Vite dev server", slog.String("url", cfg.DevServerURL))
	case isBuilt(fsys):
		entry, err := readEntry(app)
		if err != nil {
			return nil, err
		}
		h.index, err = renderIndex(fsys, path.Join(appDir, indexName), indexData{
			Config:   cfg,
			Script:   entry.script,
			Styles:   entry.styles,
			Preloads: entry.preloads,
		})
		if err != nil {
			return nil, err
		}
	default:
		h.index, err = fs.ReadFile(fsys, placeholderPath)
		if err != nil {
			return nil, fmt.Errorf("frontend: read placeholder: %w", err)
		}
		log.Warn("frontend: SPA not built, serving the placeholder page; run `make run` (or `npm ci && npm run build` in frontend/)")
	}
	h.indexETag = etag(h.index)

	if err := h.indexAssets(); err != nil {
		return nil, err
	}
	return h, nil
}

// asset is one servable file: its ETag and the compressed copies the build
// wrote next to it.
type asset struct {
	etag    string
	encoded []encodedCopy // in order of preference
}

// encodedCopy is a compressed copy of an asset: the file NAME+suffix,
// served with Content-Encoding: coding.
type encodedCopy struct {
	coding, suffix, etag string
}

// codings are the compressed copies the handler serves, most preferred
// first (brotli is smaller than gzip).
var codings = []struct{ coding, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

// indexAssets records every servable file under dist/app with its ETag,
// and the compressed copies next to it.
func (h *handler) indexAssets() error {
	contents := map[string][]byte{}
	err := fs.WalkDir(h.app, ".", func(name string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && name == "." {
			return fs.SkipAll // not built
		}
		if err != nil {
			return err
		}
		if name != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || name == indexName || !d.Type().IsRegular() {
			return nil
		}
		content, err := fs.ReadFile(h.app, name)
		if err != nil {
			return err
		}
		contents[name] = content
		return nil
	})
	if err != nil {
		return fmt.Errorf("frontend: index built files: %w", err)
	}
	for name, content := range contents {
		if isCopy(name, contents) {
			continue
		}
		a := asset{etag: etag(content)}
		for _, c := range codings {
			if enc, ok := contents[name+c.suffix]; ok {
				a.encoded = append(a.encoded, encodedCopy{coding: c.coding, suffix: c.suffix, etag: etag(enc)})
			}
		}
		h.assets[name] = a
	}
	return nil
}

// isCopy reports whether name is a compressed copy of another built file.
func isCopy(name string, files map[string][]byte) bool {
	for _, c := range codings {
		if orig, ok := strings.CutSuffix(name, c.suffix); ok {
			if _, ok := files[orig]; ok {
				return true
			}
		}
	}
	return false
}

// acceptsEncoding reports whether an Accept-Encoding header allows coding:
// named, or matched by "*", with a non-zero quality.
func acceptsEncoding(values []string, coding string) bool {
	star, named := false, false
	for _, value := range values {
		for _, item := range strings.Split(value, ",") {
			token, params, _ := strings.Cut(strings.TrimSpace(item), ";")
			token = strings.ToLower(strings.TrimSpace(token))
			if token != coding && token != "*" {
				continue
			}
			ok := true
			for _, p := range strings.Split(params, ";") {
				if k, v, found := strings.Cut(strings.TrimSpace(p), "="); found && strings.EqualFold(strings.TrimSpace(k), "q") {
					q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					ok = err == nil && q > 0
				}
			}
			if token == coding {
				if !ok {
					return false // refused by name, whatever "*" says
				}
				named = true
			} else {
				star = ok
			}
		}
	}
	return named || star
}

func etag(content []byte) string {
	sum := sha256.Sum256(content)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}

// indexData is what public/index.html renders from.
type indexData struct {
	Config    Config
	Dev       bool
	DevServer string
	Script    string
	Styles    []string
	Preloads  []string
}

func renderIndex(fsys fs.FS, name string, data indexData) ([]byte, error) {
	source, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("frontend: read index template: %w", err)
	}
	tmpl, err := template.New(indexName).Option("missingkey=error").Parse(string(source))
	if err != nil {
		return nil, fmt.Errorf("frontend: parse index template %s: %w", name, err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		return nil, fmt.Errorf("frontend: render index template %s: %w", name, err)
	}
	return out.Bytes(), nil
}

// manifestChunk is one entry of Vite's build manifest.
type manifestChunk struct {
	File    string   `json:"file"`
	CSS     []string `json:"css"`
	Imports []string `json:"imports"`
}

// entryFiles are the hashed files index.html loads for the entry.
type entryFiles struct {
	script   string
	styles   []string
	preloads []string
}

// readEntry resolves src/main.tsx in the Vite manifest to its script, the
// stylesheets of the entry and of every chunk it imports, and those chunks
// (for modulepreload), each once and in manifest order.
func readEntry(app fs.FS) (entryFiles, error) {
	raw, err := fs.ReadFile(app, manifestName)
	if err != nil {
		return entryFiles{}, fmt.Errorf("frontend: read vite manifest: %w", err)
	}
	var manifest map[string]manifestChunk
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return entryFiles{}, fmt.Errorf("frontend: parse vite manifest: %w", err)
	}
	entry, ok := manifest[entryName]
	if !ok || entry.File == "" {
		return entryFiles{}, fmt.Errorf("frontend: vite manifest has no entry for %s", entryName)
	}

	files := entryFiles{script: entry.File}
	seenCSS := map[string]bool{}
	addCSS := func(css []string) {
		for _, name := range css {
			if !seenCSS[name] {
				seenCSS[name] = true
				files.styles = append(files.styles, name)
			}
		}
	}
	addCSS(entry.CSS)
	seen := map[string]bool{entryName: true}
	var visit func(keys []string) error
	visit = func(keys []string) error {
		for _, key := range keys {
			if seen[key] {
				continue
			}
			seen[key] = true
			chunk, ok := manifest[key]
			if !ok || chunk.File == "" {
				return fmt.Errorf("frontend: vite manifest: %s imports unknown chunk %s", entryName, key)
			}
			files.preloads = append(files.preloads, chunk.File)
			addCSS(chunk.CSS)
			if err := visit(chunk.Imports); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(entry.Imports); err != nil {
		return entryFiles{}, err
	}
	return files, nil
}

// ServeHTTP implements the fallback rule described in the package doc.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// path.Clean on a rooted path drops every "..", so the name can never
	// leave dist/app; only names recorded in h.assets are ever opened.
	clean := path.Clean("/" + r.URL.Path)
	if isExcluded(clean) {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(clean, "/")
	isIndex := name == "" || name == indexName

	if a, ok := h.assets[name]; ok {
		if !allowMethod(w, r) {
			return
		}
		h.serveAsset(w, r, name, a)
		return
	}
	if isIndex {
		if !allowMethod(w, r) {
			return
		}
		h.serveIndex(w, r)
		return
	}
	if strings.HasPrefix(name, assetsPrefix) {
		http.NotFound(w, r)
		return
	}

	w.Header().Add("Vary", "Accept")
	if !allowMethod(w, r) {
		return
	}
	if !acceptsHTML(r.Header.Values("Accept")) {
		http.Error(w, "406 not acceptable: only text/html is served here", http.StatusNotAcceptable)
		return
	}
	h.serveIndex(w, r)
}

// isExcluded reports whether clean (a cleaned, rooted path) belongs to a
// server route that must never fall back to index.html.
func isExcluded(clean string) bool {
	for _, prefix := range excludedPrefixes {
		if clean == prefix || strings.HasPrefix(clean, prefix+"/") {
			return true
		}
	}
	return false
}

// allowMethod answers 405 to anything but GET and HEAD.
func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
	return false
}

// acceptsHTML reports whether an Accept header lists text/html,
// application/xhtml+xml or text/* with a non-zero quality. A bare */* does
// not count: fetch(), <script> and <img> send it, and they must get a real
// error rather than an HTML page; browsers navigating send text/html.
func acceptsHTML(values []string) bool {
	for _, value := range values {
		for _, mediaRange := range strings.Split(value, ",") {
			mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(mediaRange))
			if err != nil {
				continue
			}
			switch mediaType {
			case "text/html", "application/xhtml+xml", "text/*":
			default:
				continue
			}
			if q, ok := params["q"]; ok {
				if quality, err := strconv.ParseFloat(q, 64); err != nil || quality <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	header := w.Header()
	header.Set("Content-Type", "text/html; charset=utf-8")
	header.Set("Cache-Control", cacheNoCache)
	header.Set("ETag", h.indexETag)
	header.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, indexName, time.Time{}, bytes.NewReader(h.index))
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, name string, a asset) {
	header := w.Header()
	file, tag := name, a.etag
	if len(a.encoded) > 0 {
		header.Add("Vary", "Accept-Encoding")
		for _, c := range a.encoded {
			if acceptsEncoding(r.Header.Values("Accept-Encoding"), c.coding) {
				file, tag = name+c.suffix, c.etag
				header.Set("Content-Encoding", c.coding)
				break
			}
		}
	}
	f, err := h.app.Open(file)
	if err != nil {
		header.Del("Content-Encoding")
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	defer f.Close()

	content, ok := f.(io.ReadSeeker)
	if !ok {
		raw, err := io.ReadAll(f)
		if err != nil {
			header.Del("Content-Encoding")
			http.Error(w, "500 internal server error", http.StatusInternalServerError)
			return
		}
		content = bytes.NewReader(raw)
	}

	if strings.HasPrefix(name, assetsPrefix) {
		header.Set("Cache-Control", cacheImmutable)
	} else {
		header.Set("Cache-Control", cacheNoCache)
	}
	// The original's type: ServeContent would otherwise name a .br or .gz
	// copy by its own extension.
	if ctype := mime.TypeByExtension(path.Ext(name)); ctype != "" {
		header.Set("Content-Type", ctype)
	}
	header.Set("ETag", tag)
	header.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, time.Time{}, content)
}
