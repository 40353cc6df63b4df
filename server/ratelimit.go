package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per key (an account, a client address, a
// token's hash). A bucket refills on its own, so a burst of wrong passwords
// slows an account down for seconds, never locks it out for good.
type limiter struct {
	every time.Duration // one more attempt per this long
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newLimiter(every time.Duration, burst int) *limiter {
	return &limiter{every: every, burst: burst, buckets: map[string]*rate.Limiter{}}
}

func (l *limiter) bucket(key string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= 100_000 { // forget full buckets rather than grow without bound
			for k, old := range l.buckets {
				if old.TokensAt(now) >= float64(l.burst) {
					delete(l.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.buckets[key] = b
	}
	return b
}

// take spends one attempt for key; when none is left it says how long to
// wait.
func (l *limiter) take(key string, now time.Time) (ok bool, wait time.Duration) {
	r := l.bucket(key, now).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// peek says whether key has an attempt left, without spending it.
func (l *limiter) peek(key string, now time.Time) (ok bool, wait time.Duration) {
	tokens := l.bucket(key, now).TokensAt(now)
	if tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - tokens) * float64(l.every))
}

// tooMany is the 429 answer, with Retry-After in whole seconds.
func tooMany(c echo.Context, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return echo.NewHTTPError(http.StatusTooManyRequests, fmt.Sprintf("Too many attempts. Please wait %d seconds and try again.", secs))
}

// limits are the service's rate limits.
type limits struct {
	loginAccount *limiter // wrong passwords per account and client address
	loginAddress *limiter // login attempts per client address
	badToken     *limiter // unknown respondent tokens per client address
	answers      *limiter // respondent writes per token
}

func defaultLimits() limits {
	return limits{
		loginAccount: newLimiter(20*time.Second, 5),
		loginAddress: newLimiter(2*time.Second, 20),
		badToken:     newLimiter(6*time.Second, 10),
		answers:      newLimiter(500*time.Millisecond, 60),
	}
}
