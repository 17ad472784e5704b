// Package microsofttest drives the Microsoft 365 emulator's sign-in and
// consent pages over plain HTTP, as a person would in a browser, for tests
// of the connect flow (headless Chromium tests use internal/browsertest).
package microsofttest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// Browser drives the emulator's sign-in and consent pages over HTTP: a
// cookie jar, no redirects followed, forms submitted as a person would.
type Browser struct {
	t testing.TB
	c *http.Client
	// AppURL is Mailbridge's origin: redirects there are returned, not followed.
	AppURL string
	// Password is typed on the password page.
	Password string
}

func NewBrowser(t testing.TB, appURL, password string) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &Browser{t: t, AppURL: appURL, Password: password, c: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is one response.
type Page struct {
	Status   int
	Body     string
	URL      *url.URL
	Location string
}

func (b *Browser) do(req *http.Request) *Page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return &Page{Status: resp.StatusCode, Body: string(body), URL: req.URL, Location: resp.Header.Get("Location")}
}

func (b *Browser) Get(u string) *Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(b.t, err)
	p := b.do(req)
	// Follow redirects that stay on the emulator.
	for p.Status/100 == 3 && !strings.HasPrefix(p.Location, b.AppURL) {
		next, err := p.URL.Parse(p.Location)
		require.NoError(b.t, err)
		req, err = http.NewRequest(http.MethodGet, next.String(), nil)
		require.NoError(b.t, err)
		p = b.do(req)
	}
	return p
}

// Click submits the form holding the element with id (a button or a link),
// with extra field values.
func (b *Browser) Click(p *Page, id string, fields map[string]string) *Page {
	b.t.Helper()
	doc, err := html.Parse(strings.NewReader(p.Body))
	require.NoError(b.t, err)
	var form, target *html.Node
	var walk func(n *html.Node, f *html.Node)
	walk = func(n *html.Node, f *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "form" {
				f = n
			}
			if attr(n, "id") == id && target == nil {
				target, form = n, f
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, f)
		}
	}
	walk(doc, nil)
	require.NotNil(b.t, target, "no #%s on the page:\n%s", id, p.Body)
	if target.Data == "a" {
		return b.Get(mustResolve(b.t, p.URL, attr(target, "href")))
	}
	require.NotNil(b.t, form, "#%s is not in a form", id)
	vals := url.Values{}
	var inputs func(n *html.Node)
	inputs = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "input" || n.Data == "textarea") && attr(n, "name") != "" {
			typ := attr(n, "type")
			if typ != "submit" && (typ != "checkbox" || hasAttr(n, "checked")) {
				vals.Set(attr(n, "name"), attr(n, "value"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			inputs(c)
		}
	}
	inputs(form)
	for k, v := range fields {
		vals.Set(k, v)
	}
	if name := attr(target, "name"); name != "" {
		vals.Set(name, attr(target, "value"))
	}
	req, err := http.NewRequest(http.MethodPost, mustResolve(b.t, p.URL, attr(form, "action")), strings.NewReader(vals.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	next := b.do(req)
	if next.Status/100 == 3 && !strings.HasPrefix(next.Location, b.AppURL) {
		return b.Get(mustResolve(b.t, next.URL, next.Location))
	}
	return next
}

func mustResolve(t testing.TB, base *url.URL, ref string) string {
	t.Helper()
	u, err := base.Parse(ref)
	require.NoError(t, err)
	return u.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// SignIn goes from the authorize URL through the username and password
// pages and returns the next page (consent page or redirect to Mailbridge).
func (b *Browser) SignIn(authURL, upn string) *Page {
	b.t.Helper()
	p := b.Get(authURL)
	if strings.Contains(p.Body, `name="loginfmt"`) {
		p = b.Click(p, "idSIButton9", map[string]string{"loginfmt": upn})
	}
	if strings.Contains(p.Body, `name="passwd"`) {
		p = b.Click(p, "idSIButton9", map[string]string{"passwd": b.Password})
	}
	return p
}

// Connect signs in as upn and accepts the consent page when shown; it
// returns the redirect to Mailbridge's callback.
func (b *Browser) Connect(authURL, upn string) string {
	b.t.Helper()
	p := b.SignIn(authURL, upn)
	if strings.Contains(p.Body, `id="idBtn_Accept"`) {
		p = b.Click(p, "idBtn_Accept", nil)
	}
	require.Equal(b.t, http.StatusFound, p.Status, "expected a redirect to Mailbridge, got:\n%s", p.Body)
	return p.Location
}
