package app

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(issue 6): wire to loaders, checker, report, storage, sample as they land.
var errNotWired = errors.New("this command is not wired to its stage yet")

func (a *app) merge(cmd *cobra.Command, o mergeOptions) error { return errNotWired }
