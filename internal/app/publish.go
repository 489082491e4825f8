package app

import (
	"context"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// publishInput is what the report stage needs from the run.
type publishInput struct {
	runID   string
	snap    *snapshot.Snapshot
	pol     *checker.Policies
	outcome *checker.Outcome
}

// publish builds the report and publishes the run folder, then latest.json;
// it returns the run folder's path or URL.
//
// TODO(issue 6): wire internal/report (report.Build, report.Write,
// report.Publish) once it lands.
func publish(ctx context.Context, rc *runContext, in publishInput) (string, error) {
	return "", errNotWired
}
