package server

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCompressResponses_LeavesEncodedAndStreams checks the compressing
// writer's edges: a response that already has a Content-Encoding or a
// compressed type is passed through untouched, a flushed stream arrives in
// parts before the handler returns, and statuses without a body keep it so.
func TestCompressResponses_LeavesEncodedAndStreams(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 4096)
	serve := func(h http.HandlerFunc) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		compressResponses(h).ServeHTTP(rec, req)
		return rec
	}
	rec := serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "br")
		_, _ = io.WriteString(w, big)
	})
	require.Equal(t, "br", rec.Header().Get("Content-Encoding"))
	require.Equal(t, big, rec.Body.String())

	rec = serve(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = io.WriteString(w, big)
	})
	require.Empty(t, rec.Header().Get("Content-Encoding"))
	require.Equal(t, big, rec.Body.String())

	rec = serve(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) })
	require.Equal(t, http.StatusNotModified, rec.Code)
	require.Empty(t, rec.Header().Get("Content-Encoding"))

	// A stream: each flushed event reaches the client at once.
	srv := httptest.NewServer(compressResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "data: one "+big+"\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})))
	defer srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(res.Body)
	require.NoError(t, err)
	got := make([]byte, len("data: one "))
	_, err = io.ReadFull(zr, got)
	require.NoError(t, err)
	require.Equal(t, "data: one ", string(got))
}
