package m365sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// maxBatchRequests is the JSON batching limit (MICROSOFT.md §3.7).
const maxBatchRequests = 20

// batchParallelism is how many items of one batch Outlook runs at once.
const batchParallelism = 4

type batchItemIn struct {
	ID        string
	Method    string
	URL       string
	Headers   map[string]string
	Body      json.RawMessage
	DependsOn []string
}

// batchItemOut is one entry of "responses". Headers use the exact key
// "Content-Type": msgraph-sdk-go-core parses a body only when
// headers["Content-Type"] (that casing) starts with application/json.
type batchItemOut struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// serveBatch serves POST /$batch.
func (s *Sim) serveBatch(g *gctx) {
	if g.r.Method != http.MethodPost {
		g.fail(errMethodNotAllowed())
		return
	}
	var in struct{ Requests []batchItemIn }
	if ge := g.decodeBody(&in); ge != nil {
		g.fail(ge)
		return
	}
	items := in.Requests
	if len(items) == 0 {
		g.fail(errBadRequest("Invalid batch payload format."))
		return
	}
	if len(items) > maxBatchRequests {
		g.fail(errBadRequest(fmt.Sprintf("Number of batch requests (%d) exceeds the limit of %d.", len(items), maxBatchRequests)))
		return
	}
	byID := map[string]int{}
	for i, it := range items {
		if it.ID == "" || it.Method == "" || it.URL == "" {
			g.fail(errBadRequest("Invalid batch payload format: every request needs an id, a method and a url."))
			return
		}
		k := strings.ToLower(it.ID)
		if _, dup := byID[k]; dup {
			g.fail(errBadRequest("Batch request contains duplicate request id: " + it.ID + "."))
			return
		}
		byID[k] = i
		if hasBody(it.Body) && headerFold(it.Headers, "Content-Type") == "" {
			g.fail(errBadRequest("Write request id : " + it.ID + " does not contain Content-Type header or body."))
			return
		}
	}
	deps, ge := batchDependencies(items, byID)
	if ge != nil {
		g.fail(ge)
		return
	}

	out := make([]batchItemOut, 0, len(items))
	var mu sync.Mutex
	done := make([]chan struct{}, len(items))
	failed := make([]bool, len(items))
	for i := range done {
		done[i] = make(chan struct{})
	}
	sem := make(chan struct{}, batchParallelism)
	var wg sync.WaitGroup
	for i := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			var res batchItemOut
			if d := deps[i]; d >= 0 {
				<-done[d]
				if failed[d] {
					res = batchItemOut{ID: items[i].ID, Status: http.StatusFailedDependency, Headers: map[string]string{"Content-Type": "application/json"}}
					res.Body, _ = json.Marshal(map[string]any{"error": map[string]string{"code": "FailedDependency", "message": "The request failed because it depended on request " + items[d].ID + ", which failed."}})
					failed[i] = true
					mu.Lock()
					out = append(out, res)
					mu.Unlock()
					return
				}
			}
			sem <- struct{}{}
			res = s.runBatchItem(g, items[i])
			<-sem
			failed[i] = res.Status >= 400
			mu.Lock()
			out = append(out, res)
			mu.Unlock()
		}()
	}
	wg.Wait()
	g.writeJSON(http.StatusOK, map[string]any{"responses": out})
}

func hasBody(b json.RawMessage) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

func headerFold(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// batchDependencies validates dependsOn against the three supported
// patterns (all parallel, all sequential, all depending on one request;
// MICROSOFT.md §3.7) and returns each item's dependency index (-1: none).
func batchDependencies(items []batchItemIn, byID map[string]int) ([]int, *graphError) {
	deps := make([]int, len(items))
	any := false
	for i, it := range items {
		deps[i] = -1
		if len(it.DependsOn) == 0 {
			continue
		}
		any = true
		if len(it.DependsOn) > 1 {
			return nil, errBadRequest("Request " + it.ID + " depends on more than one request; only parallel, sequential or all-on-one dependencies are supported.")
		}
		d, ok := byID[strings.ToLower(it.DependsOn[0])]
		if !ok || d == i {
			return nil, errBadRequest("Request " + it.ID + " depends on an unknown request id: " + it.DependsOn[0] + ".")
		}
		deps[i] = d
	}
	if !any {
		return deps, nil
	}
	sequential := deps[0] == -1
	for i := 1; i < len(items) && sequential; i++ {
		sequential = deps[i] == i-1
	}
	if sequential {
		return deps, nil
	}
	root := -1
	for i, d := range deps {
		if d == -1 {
			if root >= 0 {
				root = -2
				break
			}
			root = i
		}
	}
	allOnOne := root >= 0
	for i, d := range deps {
		if i != root && d != root {
			allOnOne = false
		}
	}
	if allOnOne {
		return deps, nil
	}
	return nil, errBadRequest("The dependsOn pattern of this batch is not supported: requests must run all in parallel, all in sequence, or all after one request.")
}

// itemRecorder captures a batch item's response.
type itemRecorder struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (r *itemRecorder) Header() http.Header { return r.h }
func (r *itemRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(b)
}
func (r *itemRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// runBatchItem serves one item through the normal Graph pipeline (auth,
// faults, limits, routing) and packs its response.
func (s *Sim) runBatchItem(g *gctx, it batchItemIn) batchItemOut {
	rel := it.URL
	if u, err := url.Parse(rel); err == nil && u.IsAbs() {
		rel = strings.TrimPrefix(u.RequestURI(), "/v1.0")
	}
	if !strings.HasPrefix(rel, "/") {
		rel = "/" + rel
	}
	var body []byte
	if hasBody(it.Body) {
		ct, _, _ := mime.ParseMediaType(headerFold(it.Headers, "Content-Type"))
		var str string
		if it.Body[0] == '"' && json.Unmarshal(it.Body, &str) == nil && !strings.Contains(ct, "json") {
			body, _ = base64.StdEncoding.DecodeString(str)
		} else {
			body = it.Body
		}
	}
	req, err := http.NewRequestWithContext(g.r.Context(), strings.ToUpper(it.Method), "http://"+g.r.Host+"/v1.0"+rel, bytes.NewReader(body))
	if err != nil {
		res := batchItemOut{ID: it.ID, Status: http.StatusBadRequest, Headers: map[string]string{"Content-Type": "application/json"}}
		res.Body, _ = json.Marshal(map[string]any{"error": map[string]string{"code": "BadRequest", "message": "Invalid request URL: " + it.URL}})
		return res
	}
	req.Host, req.TLS, req.RemoteAddr = g.r.Host, g.r.TLS, g.r.RemoteAddr
	for k, v := range it.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Authorization", g.r.Header.Get("Authorization"))
	if crid := g.r.Header.Get("client-request-id"); crid != "" && req.Header.Get("client-request-id") == "" {
		req.Header.Set("client-request-id", crid)
	}
	rec := &itemRecorder{h: http.Header{}}
	s.serveGraphItem(rec, req, true)
	res := batchItemOut{ID: it.ID, Status: cmpOr(rec.status, http.StatusOK), Headers: map[string]string{}}
	for _, k := range []string{"Content-Type", "Retry-After", "Location", "OData-Version", "Cache-Control", "Preference-Applied"} {
		if v := rec.h.Get(k); v != "" {
			res.Headers[k] = v
		}
	}
	if rec.buf.Len() > 0 {
		if strings.HasPrefix(strings.ToLower(rec.h.Get("Content-Type")), "application/json") && json.Valid(rec.buf.Bytes()) {
			res.Body = rec.buf.Bytes()
		} else {
			res.Body, _ = json.Marshal(base64.StdEncoding.EncodeToString(rec.buf.Bytes()))
		}
	}
	return res
}
