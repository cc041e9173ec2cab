package web

import (
	"sync"
	"time"
)

// ipLimiter is a token bucket per client address: rate tokens a second,
// at most burst saved up. It keeps at most maxIPs addresses, forgetting
// those whose bucket has refilled.
type ipLimiter struct {
	rate  float64
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// limiterMaxIPs bounds the limiter's memory; past it, full buckets are
// dropped (a full bucket is what a new address gets anyway).
const limiterMaxIPs = 4096

func newIPLimiter(rate, burst float64) *ipLimiter {
	return &ipLimiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

// allow takes a token from ip's bucket at now and reports whether there
// was one.
func (l *ipLimiter) allow(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		if len(l.buckets) >= limiterMaxIPs {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[ip] = b
	}
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(l.burst, b.tokens+el.Seconds()*l.rate)
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops the buckets that would be full at now; if none is, it drops
// them all (an attacker spreading over many addresses then gets a full
// bucket each, as new addresses do).
func (l *ipLimiter) sweep(now time.Time) {
	for ip, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, ip)
		}
	}
	if len(l.buckets) >= limiterMaxIPs {
		clear(l.buckets)
	}
}
