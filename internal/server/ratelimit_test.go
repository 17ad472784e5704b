package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/ent/user"
	"mailbridge/internal/dbtest"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestRateLimit_PerCaller: each API token, session and (unauthenticated)
// IP address has its own budget; beyond it the answer is 429 with
// Retry-After and RATE_LIMITED, until the budget refills.
func TestRateLimit_PerCaller(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, dbtest.SQLite(t), envOptions{now: clk.Now, getenv: map[string]string{
		"RATE_LIMIT_PER_MINUTE": "30", "RATE_LIMIT_BURST": "3",
	}})
	org := e.org("Acme")
	john, sara := e.user(org, "john@acme.com", user.RoleUSER), e.user(org, "sara@acme.com", user.RoleUSER)
	johnTok, saraTok, saraSession := e.token(john), e.token(sara), e.session(sara)
	const q = `{ viewer { isAdmin } }`

	for range 3 {
		e.gql(johnTok, q, nil).noErrors(t)
	}
	res := e.gql(johnTok, q, nil)
	require.Equal(t, http.StatusTooManyRequests, res.Status)
	require.Equal(t, "RATE_LIMITED", res.code(t))
	require.Equal(t, "request.rateLimited", res.Errors[0].Extensions.ID)
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ viewer { isAdmin } }"}`))
	req.Header.Set("Content-Type", "application/json")
	johnTok.apply(req)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Equal(t, "2", rec.Header().Get("Retry-After"), "30 a minute: one every 2 s")

	// Others are not affected: another token, and a session of the same
	// user as that token.
	e.gql(saraTok, q, nil).noErrors(t)
	for range 3 {
		e.gql(saraSession, q, nil).noErrors(t)
	}
	require.Equal(t, "RATE_LIMITED", e.gql(saraSession, q, nil).code(t))

	// Unauthenticated requests are limited by IP address.
	for range 3 {
		require.Equal(t, "UNAUTHENTICATED", e.gql(noCred{}, q, nil).code(t))
	}
	require.Equal(t, "RATE_LIMITED", e.gql(noCred{}, q, nil).code(t))

	// The budget refills with time.
	clk.advance(2 * time.Second)
	e.gql(johnTok, q, nil).noErrors(t)
	require.Equal(t, "RATE_LIMITED", e.gql(johnTok, q, nil).code(t))
}
