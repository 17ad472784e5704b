package m365sim

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Setup shared by the identity and Graph test environments (idEnv,
// graphEnv) and the benchmarks.

// testClock is an injectable clock for Config.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock(start time.Time) *testClock { return &testClock{now: start} }

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startTestSim starts an isolated emulator for one test or benchmark on a
// loopback port and closes it at cleanup. Logs are discarded unless
// cfg.Logger is set, and cfg.Now runs on clock when one is given.
func startTestSim(tb testing.TB, clock *testClock, cfg Config) *Server {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if clock != nil && cfg.Now == nil {
		cfg.Now = clock.Now
	}
	srv, err := Listen("127.0.0.1:0", cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = srv.Close() })
	return srv
}
