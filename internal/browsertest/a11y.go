package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// ByRole selects the elements with an ARIA role and an accessible name
// (exactly, spaces collapsed), as a person reads the page: "button" and
// "Connect with Office 365", "combobox" and "Email Provider" (a select by
// its label), "switch", "checkbox", "link", "heading", "table", "region",
// "textbox". The name is the aria-label, the aria-labelledby text, the
// label's text, or the element's text, in that order.
func ByRole(role, name string) chromedp.JSPath {
	r, _ := json.Marshal(role)
	n, _ := json.Marshal(name)
	return chromedp.JSPath(`(() => {
  const role = ` + string(r) + `, want = ` + string(n) + `;
  const implicit = {
    button: 'button, input[type=submit], input[type=button]',
    link: 'a[href]',
    combobox: 'select',
    checkbox: 'input[type=checkbox]:not([role])',
    textbox: 'input:not([type]), input[type=text], input[type=search], input[type=email], textarea',
    heading: 'h1, h2, h3, h4, h5, h6',
    table: 'table',
    region: 'section[aria-label], section[aria-labelledby]',
    img: 'img, svg[role=img]',
  }[role];
  const sel = '[role="' + role + '"]' + (implicit ? ', ' + implicit : '');
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const nameOf = (el) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ');
    if (el.labels && el.labels.length > 0) return [...el.labels].map((l) => l.textContent).join(' ');
    return el.textContent;
  };
  return [...document.querySelectorAll(sel)].filter((el) => norm(nameOf(el)) === want);
})()`)
}

// axeScript is axe-core's browser build, from the web app's packages.
func axeScript(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "frontend", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	require.NoError(t, err, "axe-core is a dev dependency of the web app: run `make frontend`")
	return string(b)
}

// Axe runs axe-core's WCAG 2 A and AA rules on the current page and fails
// the test on serious or critical violations, naming the elements.
func Axe(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	type violation struct {
		ID     string   `json:"id"`
		Impact string   `json:"impact"`
		Help   string   `json:"help"`
		Nodes  []string `json:"nodes"`
	}
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeScript(t)+";\ntrue"))
	require.NoError(t, err, "load axe-core")
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](`axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
}).then((r) => r.violations
  .filter((v) => v.impact === 'serious' || v.impact === 'critical')
  .map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' '))})))`,
		chromedp.EvalAwaitPromise))
	require.NoError(t, err, "run axe-core on %s", page)
	var msgs []string
	for _, v := range out {
		msgs = append(msgs, fmt.Sprintf("%s (%s): %s: %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", ")))
	}
	require.Empty(t, msgs, "accessibility violations on %s", page)
}
