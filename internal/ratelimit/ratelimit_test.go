package ratelimit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mailbridge/internal/ratelimit"
)

func TestLimiter_Allow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := ratelimit.New(60, 2, func() time.Time { return now })
	for range 2 {
		ok, _ := l.Allow("a")
		require.True(t, ok)
	}
	ok, wait := l.Allow("a")
	require.False(t, ok)
	require.Equal(t, time.Second, wait)
	ok, _ = l.Allow("b")
	require.True(t, ok, "keys have their own buckets")

	now = now.Add(500 * time.Millisecond)
	ok, wait = l.Allow("a")
	require.False(t, ok)
	require.Equal(t, 500*time.Millisecond, wait)
	require.Equal(t, 1, ratelimit.RetryAfterSeconds(wait))

	now = now.Add(time.Hour)
	for range 2 {
		ok, _ = l.Allow("a")
		require.True(t, ok, "refills up to the burst")
	}
	ok, _ = l.Allow("a")
	require.False(t, ok, "never above the burst")
}

func TestLimiter_Off(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(0, 10, nil)
	require.Nil(t, l)
	for range 1000 {
		ok, _ := l.Allow("a")
		require.True(t, ok)
	}
}
