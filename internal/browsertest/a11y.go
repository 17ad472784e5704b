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
	return ByRoleIn("document", role, name)
}

// ByRoleIn is ByRole inside the element the JavaScript expression scope
// gives (no match while it gives null), e.g. ArticleNamed's.
func ByRoleIn(scope, role, name string) chromedp.JSPath {
	r, _ := json.Marshal(role)
	n, _ := json.Marshal(name)
	return chromedp.JSPath(`(() => {
  const root = ` + scope + `;
  if (!root) return [];
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
    navigation: 'nav',
    radio: 'input[type=radio]',
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
  return [...root.querySelectorAll(sel)].filter((el) => norm(nameOf(el)) === want);
})()`)
}

// ArticleNamed is a scope for ByRoleIn: the article whose heading starts
// with prefix (a mailbox row of Settings > You > Mailboxes by its address).
func ArticleNamed(prefix string) string {
	p, _ := json.Marshal(prefix)
	return `[...document.querySelectorAll('article')].find((a) => (a.querySelector('h1, h2, h3')?.textContent || '').trim().startsWith(` + string(p) + `))`
}

// SelectOption picks the option with this text (or, failing that, the
// first whose text starts with it and a space) in the select sel, as a
// person does (the page sees a change event).
func SelectOption(sel chromedp.JSPath, option string) chromedp.Action[chromedp.Void] {
	o, _ := json.Marshal(option)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](`(() => {
  const s = (`+string(sel)+`)[0];
  if (!s) return false;
  const text = (o) => o.textContent.replace(/\s+/g, ' ').trim();
  const opt = [...s.options].find((o) => text(o) === `+string(o)+`) ||
    [...s.options].find((o) => text(o).startsWith(`+string(o)+` + ' '));
  if (!opt) return false;
  s.value = opt.value;
  s.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
})()`)(ctx, t)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no option %q in %s", option, sel)
		}
		return nil
	})
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
