package app

import (
	"context"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// evaluate prepares a checker for pol with opts (checker.New) and
// evaluates snap with it.
func evaluate(ctx context.Context, pol *checker.Policies, snap *snapshot.Snapshot, opts ...checker.Option) (*checker.Outcome, error) {
	c, err := checker.New(ctx, pol, opts...)
	if err != nil {
		return nil, err
	}
	return c.Evaluate(ctx, snap)
}
