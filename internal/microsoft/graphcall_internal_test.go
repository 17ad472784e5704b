package microsoft

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// An error answer frees its slot at once: with a share of one, a request
// re-sent while the first answer is still open (as the SDK does after a
// 401 with a claims challenge) does not wait for itself. A success holds
// its slot until its body is closed.
func TestLimitTransport_Slots(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_claims"`)
			http.Error(w, `{"error":{"code":"InvalidAuthenticationToken"}}`, http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"value":[]}`)
	}))
	defer srv.Close()
	lt := &limitTransport{slots: make(chan struct{}, 1), parent: http.DefaultTransport}
	get := func(path string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		return lt.RoundTrip(req)
	}

	first, err := get("/fail")
	require.NoError(t, err)
	second := make(chan error, 1)
	go func() {
		r, err := get("/fail")
		if err == nil {
			body, _ := io.ReadAll(r.Body)
			_ = r.Body.Close()
			require.Contains(t, string(body), "InvalidAuthenticationToken")
		}
		second <- err
	}()
	select {
	case err := <-second:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("a request waited for the slot of an error answer nobody closed")
	}
	_ = first.Body.Close()

	ok, err := get("/ok")
	require.NoError(t, err)
	held := make(chan struct{})
	go func() {
		r, err := get("/ok")
		if err == nil {
			_ = r.Body.Close()
		}
		close(held)
	}()
	select {
	case <-held:
		t.Fatal("a second request ran while a successful answer still held the only slot")
	case <-time.After(200 * time.Millisecond):
	}
	_ = ok.Body.Close()
	<-held
}
