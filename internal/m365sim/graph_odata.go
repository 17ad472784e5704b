package m365sim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jsonObj is a JSON object that keeps its members in insertion order, so
// responses read like Graph's (id and @odata annotations where Graph puts
// them) and $select can build objects cheaply.
type jsonObj struct {
	keys []string
	vals []any
}

func newObj(n int) *jsonObj { return &jsonObj{keys: make([]string, 0, n), vals: make([]any, 0, n)} }

func (o *jsonObj) set(k string, v any) {
	for i, kk := range o.keys {
		if kk == k {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// MarshalJSON writes the members in order.
func (o *jsonObj) MarshalJSON() ([]byte, error) {
	return o.appendTo(make([]byte, 0, 64*len(o.keys)))
}

func (o *jsonObj) appendTo(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	for i, k := range o.keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = appendJSON(buf, o.vals[i]); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// appendJSON encodes v onto buf. Ordered objects and the common scalar and
// container shapes are written directly: encoding/json would re-validate
// and compact every nested MarshalJSON output, which dominated the cost of
// large delta pages.
func appendJSON(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendJSONString(buf, x), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case *jsonObj:
		return x.appendTo(buf)
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case map[string]any:
		return appendJSONMap(buf, x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

func appendJSONMap(buf []byte, m map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = appendJSON(buf, m[k]); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// appendJSONString appends s as a JSON string, escaping as encoding/json
// does (including <, > and & for HTML safety).
func appendJSONString(buf []byte, s string) []byte {
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			safe = false
			break
		}
	}
	if safe {
		buf = append(buf, '"')
		buf = append(buf, s...)
		return append(buf, '"')
	}
	b, _ := json.Marshal(s)
	return append(buf, b...)
}

func b64std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// ---- $filter ----

// filterValue resolves a property path (e.g. "receivedDateTime",
// "from/emailAddress/address") on the item being filtered. Inside a lambda,
// the range variable's object is consulted first.
type filterEnv interface {
	prop(path string) any
	collection(path string) []map[string]any
}

// filterExpr is a compiled $filter.
type filterExpr func(env filterEnv) bool

// lambdaEnv scopes a range variable (ep in "singleValueExtendedProperties/any(ep: …)").
type lambdaEnv struct {
	outer filterEnv
	name  string
	obj   map[string]any
}

func (l lambdaEnv) prop(path string) any {
	head, tail, _ := strings.Cut(path, "/")
	if strings.EqualFold(head, l.name) {
		var cur any = l.obj
		for _, p := range strings.Split(tail, "/") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = lookupFold(m, p)
		}
		return cur
	}
	return l.outer.prop(path)
}

func (l lambdaEnv) collection(path string) []map[string]any { return l.outer.collection(path) }

func lookupFold(m map[string]any, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	for kk, v := range m {
		if strings.EqualFold(kk, k) {
			return v
		}
	}
	return nil
}

type ftok struct {
	kind byte // 'i' identifier/path, 's' string, 'n' number/date, '(' ')' ',' ':'
	text string
}

func lexFilter(src string) ([]ftok, error) {
	var out []ftok
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',' || c == ':':
			out = append(out, ftok{c, string(c)})
			i++
		case c == '\'':
			var sb strings.Builder
			i++
			for {
				if i >= len(src) {
					return nil, errors.New("unterminated string literal")
				}
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						sb.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				sb.WriteByte(src[i])
				i++
			}
			out = append(out, ftok{'s', sb.String()})
		case c >= '0' && c <= '9' || c == '-':
			j := i + 1
			for j < len(src) && strings.IndexByte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:.+-", src[j]) >= 0 {
				j++
			}
			out = append(out, ftok{'n', src[i:j]})
			i = j
		case c == '_' || c == '@' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(src) && (src[j] == '_' || src[j] == '/' || src[j] == '.' || src[j] == '@' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			out = append(out, ftok{'i', src[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return out, nil
}

// filterProperties lists the properties a $filter refers to, in order of
// appearance: lambda collections (singleValueExtendedProperties in
// "singleValueExtendedProperties/any(ep: …)") count, their range variable's
// members ("ep/id") and function names do not.
func filterProperties(src string) ([]string, error) {
	toks, err := lexFilter(src)
	if err != nil {
		return nil, err
	}
	vars := map[string]bool{}
	var out []string
	for i, t := range toks {
		if t.kind != 'i' {
			continue
		}
		low := strings.ToLower(t.text)
		switch low {
		case "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "true", "false", "null":
			continue
		}
		call := i+1 < len(toks) && toks[i+1].kind == '('
		if call && (strings.HasSuffix(low, "/any") || strings.HasSuffix(low, "/all")) {
			out = append(out, t.text[:len(t.text)-4])
			if i+3 < len(toks) && toks[i+2].kind == 'i' && toks[i+3].kind == ':' {
				vars[strings.ToLower(toks[i+2].text)] = true
			}
			continue
		}
		if call || i > 0 && toks[i-1].kind == '(' && i+1 < len(toks) && toks[i+1].kind == ':' {
			continue // a function name, or a lambda's range variable
		}
		head, _, _ := strings.Cut(low, "/")
		if vars[head] {
			continue
		}
		out = append(out, t.text)
	}
	return out, nil
}

type fparser struct {
	toks []ftok
	pos  int
}

func (p *fparser) peek() *ftok {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *fparser) isWord(w string) bool {
	t := p.peek()
	return t != nil && t.kind == 'i' && strings.EqualFold(t.text, w)
}

func (p *fparser) expect(kind byte) (ftok, error) {
	t := p.peek()
	if t == nil || t.kind != kind {
		return ftok{}, fmt.Errorf("expected %q", kind)
	}
	p.pos++
	return *t, nil
}

// parseFilter compiles an OData $filter subset: comparisons (eq ne gt ge lt
// le) of properties and literals, and/or/not, parentheses, and any/all
// lambdas over collections (singleValueExtendedProperties/Any(ep: ep/id eq
// '…' and ep/value eq '…')).
func parseFilter(src string) (filterExpr, error) {
	toks, err := lexFilter(src)
	if err != nil {
		return nil, err
	}
	p := &fparser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

func (p *fparser) or() (filterExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(env filterEnv) bool { return a(env) || b(env) }
	}
	return l, nil
}

func (p *fparser) and() (filterExpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(env filterEnv) bool { return a(env) && b(env) }
	}
	return l, nil
}

func (p *fparser) unary() (filterExpr, error) {
	if p.isWord("not") {
		p.pos++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(env filterEnv) bool { return !e(env) }, nil
	}
	t := p.peek()
	if t == nil {
		return nil, errors.New("unexpected end of expression")
	}
	if t.kind == '(' {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(')'); err != nil {
			return nil, err
		}
		return e, nil
	}
	if t.kind == 'i' {
		low := strings.ToLower(t.text)
		if (strings.HasSuffix(low, "/any") || strings.HasSuffix(low, "/all")) && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == '(' {
			return p.lambda()
		}
		if (low == "startswith" || low == "contains" || low == "endswith") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == '(' {
			return p.strFunc(low)
		}
	}
	return p.comparison()
}

func (p *fparser) lambda() (filterExpr, error) {
	t, _ := p.expect('i')
	coll := t.text[:len(t.text)-4]
	isAll := strings.EqualFold(t.text[len(t.text)-3:], "all")
	p.pos++ // (
	v, err := p.expect('i')
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(':'); err != nil {
		return nil, err
	}
	body, err := p.or()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(')'); err != nil {
		return nil, err
	}
	return func(env filterEnv) bool {
		items := env.collection(coll)
		for _, it := range items {
			ok := body(lambdaEnv{outer: env, name: v.text, obj: it})
			if ok && !isAll {
				return true
			}
			if !ok && isAll {
				return false
			}
		}
		return isAll
	}, nil
}

func (p *fparser) strFunc(name string) (filterExpr, error) {
	p.pos += 2 // name (
	a, err := p.operand()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(','); err != nil {
		return nil, err
	}
	b, err := p.operand()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(')'); err != nil {
		return nil, err
	}
	return func(env filterEnv) bool {
		x, _ := a(env).(string)
		y, _ := b(env).(string)
		x, y = strings.ToLower(x), strings.ToLower(y)
		switch name {
		case "startswith":
			return strings.HasPrefix(x, y)
		case "endswith":
			return strings.HasSuffix(x, y)
		}
		return strings.Contains(x, y)
	}, nil
}

type operandFn func(env filterEnv) any

func (p *fparser) operand() (operandFn, error) {
	t := p.peek()
	if t == nil {
		return nil, errors.New("missing operand")
	}
	p.pos++
	switch t.kind {
	case 's':
		v := t.text
		return func(filterEnv) any { return v }, nil
	case 'n':
		if tm, err := time.Parse(time.RFC3339Nano, t.text); err == nil {
			return func(filterEnv) any { return tm }, nil
		}
		if tm, err := time.Parse("2006-01-02", t.text); err == nil {
			return func(filterEnv) any { return tm }, nil
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid literal %q", t.text)
		}
		return func(filterEnv) any { return f }, nil
	case 'i':
		switch strings.ToLower(t.text) {
		case "true":
			return func(filterEnv) any { return true }, nil
		case "false":
			return func(filterEnv) any { return false }, nil
		case "null":
			return func(filterEnv) any { return nil }, nil
		}
		path := t.text
		return func(env filterEnv) any { return env.prop(path) }, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

func (p *fparser) comparison() (filterExpr, error) {
	a, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t == nil || t.kind != 'i' {
		// A bare Boolean property: "isRead".
		return func(env filterEnv) bool { b, _ := a(env).(bool); return b }, nil
	}
	op := strings.ToLower(t.text)
	switch op {
	case "eq", "ne", "gt", "ge", "lt", "le":
	default:
		return func(env filterEnv) bool { b, _ := a(env).(bool); return b }, nil
	}
	p.pos++
	b, err := p.operand()
	if err != nil {
		return nil, err
	}
	return func(env filterEnv) bool { return compareValues(a(env), b(env), op) }, nil
}

func compareValues(x, y any, op string) bool {
	c, ok := cmpAny(x, y)
	if !ok {
		switch op {
		case "eq":
			return x == nil && y == nil
		case "ne":
			return !(x == nil && y == nil)
		}
		return false
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

// cmpAny compares two filter values of compatible types. Strings compare
// case-insensitively, as Exchange does.
func cmpAny(x, y any) (int, bool) {
	switch a := x.(type) {
	case string:
		switch b := y.(type) {
		case string:
			return strings.Compare(strings.ToLower(a), strings.ToLower(b)), true
		case time.Time:
			if t, err := time.Parse(time.RFC3339Nano, a); err == nil {
				return t.Compare(b), true
			}
		}
	case time.Time:
		switch b := y.(type) {
		case time.Time:
			return a.Compare(b), true
		case string:
			if t, err := time.Parse(time.RFC3339Nano, b); err == nil {
				return a.Compare(t), true
			}
		}
	case bool:
		if b, ok := y.(bool); ok {
			switch {
			case a == b:
				return 0, true
			case !a:
				return -1, true
			}
			return 1, true
		}
	case float64:
		if b, ok := y.(float64); ok {
			switch {
			case a < b:
				return -1, true
			case a > b:
				return 1, true
			}
			return 0, true
		}
	}
	return 0, false
}
