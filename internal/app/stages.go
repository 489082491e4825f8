package app

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
)

// TODO(issue 6): wire to loaders, checker, report, storage, sample as they land.
var errNotWired = errors.New("this command is not wired to its stage yet")

func runPipeline(ctx context.Context, rc *runContext) (*runOutcome, error) {
	return nil, errNotWired
}

func (a *app) test(cmd *cobra.Command, o testOptions) error     { return errNotWired }
func (a *app) check(cmd *cobra.Command, o checkOptions) error   { return errNotWired }
func (a *app) eval(cmd *cobra.Command, o evalOptions) error     { return errNotWired }
func (a *app) sample(cmd *cobra.Command, o sampleOptions) error { return errNotWired }
func (a *app) merge(cmd *cobra.Command, o mergeOptions) error   { return errNotWired }

func stageExitCode(err error) (int, bool) { return 0, false }
