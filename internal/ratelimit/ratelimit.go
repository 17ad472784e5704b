// Package ratelimit limits how many requests each caller (an API token, a
// session, or an IP address for unauthenticated requests) may send: one token
// bucket per caller, refilled at a steady rate, with a burst allowance. The
// buckets live in memory, so with several instances each one applies the
// limit on its own.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// maxKeys bounds the memory the buckets take: when there are more callers
// than this, full (idle) buckets are dropped, and if that is not enough the
// oldest state is forgotten.
const maxKeys = 100_000

// Limiter is a set of token buckets keyed by caller. The zero value is not
// usable; use New. A nil *Limiter allows everything.
type Limiter struct {
	perSecond float64
	burst     float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter allowing perMinute requests a minute per key on
// average and up to burst at once. It returns nil (no limit) when perMinute
// is 0 or less. now may be nil (time.Now).
func New(perMinute, burst int, now func() time.Time) *Limiter {
	if perMinute <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{
		perSecond: float64(perMinute) / 60,
		burst:     float64(burst),
		now:       now,
		buckets:   map[string]*bucket{},
	}
}

// Allow takes one request from key's bucket. When the bucket is empty it
// returns false and how long until the next request would be allowed.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.refill(now, l)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / l.perSecond * float64(time.Second)))
	return false, wait
}

func (b *bucket) refill(now time.Time, l *Limiter) {
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed*l.perSecond)
		b.at = now
	}
}

// sweep drops the buckets that are full again (their callers are idle); if
// that frees too little, it starts over with no state.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		b.refill(now, l)
		if b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxKeys*9/10 {
		l.buckets = map[string]*bucket{}
	}
}

// RetryAfterSeconds rounds a wait up to whole seconds for the Retry-After
// header, which has no smaller unit; at least 1.
func RetryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
