package checker

import (
	"time"

	"github.com/rs/zerolog"
)

// Option configures a Checker.
type Option func(*Checker)

// WithWorkers sets the number of evaluating goroutines (default: all CPUs).
func WithWorkers(n int) Option {
	return func(c *Checker) {
		if n > 0 {
			c.workers = n
		}
	}
}

// WithEvalTimeout sets the deadline of each evaluation (default 5s). An
// evaluation past it is an error result; the run goes on.
func WithEvalTimeout(d time.Duration) Option {
	return func(c *Checker) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithParams sets data.params (the parsed --params file).
func WithParams(p map[string]any) Option { return func(c *Checker) { c.params = p } }

// WithWaivers sets the waivers and the day they are judged on (YYYY-MM-DD;
// the snapshot's as-of date when empty). A waiver whose expires is before
// asOf is expired.
func WithWaivers(w []Waiver, asOf string) Option {
	return func(c *Checker) { c.waivers, c.asOf = w, asOf }
}

// WithShard evaluates only the communes whose FNV-1a hash of the id modulo
// count is index, and the subjects below them (branches, groups, their
// models). Province and district subjects are evaluated only when count is 1.
func WithShard(index, count int) Option {
	return func(c *Checker) {
		if count >= 1 && index >= 0 && index < count {
			c.shard.index, c.shard.count = index, count
		}
	}
}

// WithScopes evaluates only the targets of these scopes (default: all).
// With WithShard, a merge step can evaluate the province and district
// targets that no shard evaluates: New(ctx, p, WithScopes("province", "district")).
func WithScopes(scopes ...string) Option {
	return func(c *Checker) {
		c.scopes = map[string]bool{}
		for _, s := range scopes {
			c.scopes[s] = true
		}
	}
}

// WithProgress is called after each subject with the number of evaluations
// done and the total. Calls never overlap.
func WithProgress(f func(done, total int)) Option { return func(c *Checker) { c.progress = f } }

// WithLogger sets the logger (default zerolog.Nop()). Workers log at once:
// its writer must be safe for concurrent use (zerolog.SyncWriter).
func WithLogger(l zerolog.Logger) Option { return func(c *Checker) { c.log = l } }
