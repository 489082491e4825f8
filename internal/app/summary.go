package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// summary is what a run tells at its end: one log line, and the
// termination message of its pod.
type summary struct {
	Code     int
	RunID    string
	Counts   map[string]int // per status
	Duration time.Duration
	Report   string // path or URL of the run folder; "" when nothing was published
	Err      error
	// Command names a command other than run and merge ("test", "policies
	// export"): its line tells the command and Detail instead of a run
	// and its counts.
	Command string
	Detail  string
}

// statusOrder is the order of the counts in the summary line.
var statusOrder = []string{"pass", "fail", "waived", "skipped", "error", "not_evaluated"}

// String renders the one-line summary, e.g.
//
//	exit 0: run 20240930T020000Z-1a2b3c4d finished in 12.3s: pass=104 fail=138 ... report=gs://b/p/...
func (s summary) String() string {
	var b strings.Builder
	if s.Command != "" {
		if s.Err != nil {
			fmt.Fprintf(&b, "exit %d: %s failed after %s: %s", s.Code, s.Command, s.Duration.Round(time.Millisecond), oneLine(s.Err.Error()))
			return b.String()
		}
		fmt.Fprintf(&b, "exit %d: %s finished in %s", s.Code, s.Command, s.Duration.Round(time.Millisecond))
		if s.Detail != "" {
			fmt.Fprintf(&b, ": %s", oneLine(s.Detail))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "exit %d: run %s ", s.Code, orDash(s.RunID))
	if s.Err != nil && s.Code != ExitFailOn {
		fmt.Fprintf(&b, "failed after %s: %s; nothing published", s.Duration.Round(time.Millisecond), oneLine(s.Err.Error()))
		return b.String()
	}
	fmt.Fprintf(&b, "finished in %s:", s.Duration.Round(time.Millisecond))
	for _, st := range statusOrder {
		fmt.Fprintf(&b, " %s=%d", st, s.Counts[st])
	}
	if s.Report != "" {
		fmt.Fprintf(&b, " report=%s", s.Report)
	}
	if s.Err != nil {
		fmt.Fprintf(&b, "; %s", oneLine(s.Err.Error()))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", "; ")
}

// maxTerminationMessage is what Kubernetes keeps of a termination message.
const maxTerminationMessage = 4096

// writeTerminationLog writes line to path when that file exists (Kubernetes
// creates /dev/termination-log in every container). It never creates the
// file.
func writeTerminationLog(path, line string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open termination log %q: %w", path, err)
	}
	if len(line) > maxTerminationMessage-1 {
		line = strings.ToValidUTF8(line[:maxTerminationMessage-1], "")
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write termination log %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close termination log %q: %w", path, err)
	}
	return nil
}
