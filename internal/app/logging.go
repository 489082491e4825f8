package app

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// runIDHook adds run_id to every log line once the run id is known: from
// the start when --run-id is given (the chart passes the Job name), else
// once the snapshot and the policies are read (the default run id ends with
// their digest). Until then lines carry run_started, the start time that
// the default run id begins with, and no run_id that the run would never
// have.
type runIDHook struct {
	mu      sync.Mutex
	id      string
	started string
}

func (h *runIDHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	h.mu.Lock()
	id := h.id
	h.mu.Unlock()
	if id == "" {
		e.Str("run_started", h.started)
		return
	}
	e.Str("run_id", id)
}

func (h *runIDHook) set(id string) {
	h.mu.Lock()
	h.id = id
	h.mu.Unlock()
}

func (h *runIDHook) get() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.id
}

// newLogger builds the one logger of a command: JSON lines to w, or the
// console format when format is "console" (or empty and w is a terminal).
func newLogger(w io.Writer, format string, level zerolog.Level, hook zerolog.Hook) zerolog.Logger {
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "console"
		}
	}
	out := w
	if format == "console" {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !isTerminal(w)}
	}
	// The checker's workers log at once (policy prints, warnings): one
	// write at a time, whatever w is (a bytes.Buffer in tests).
	l := zerolog.New(zerolog.SyncWriter(out)).Level(level).With().Timestamp().Logger()
	if format != "console" {
		l = l.Hook(severityHook{})
	}
	if hook != nil {
		l = l.Hook(hook)
	}
	return l
}

// severityHook adds the field Cloud Logging reads a line's level from
// (severity, with its own names); zerolog's "level" stays for other readers.
type severityHook struct{}

func (severityHook) Run(e *zerolog.Event, level zerolog.Level, _ string) {
	if sev := cloudSeverity(level); sev != "" {
		e.Str("severity", sev)
	}
}

// cloudSeverity maps a zerolog level to Cloud Logging's LogSeverity names.
func cloudSeverity(level zerolog.Level) string {
	switch level {
	case zerolog.TraceLevel, zerolog.DebugLevel:
		return "DEBUG"
	case zerolog.InfoLevel:
		return "INFO"
	case zerolog.WarnLevel:
		return "WARNING"
	case zerolog.ErrorLevel:
		return "ERROR"
	case zerolog.FatalLevel:
		return "CRITICAL"
	case zerolog.PanicLevel:
		return "ALERT"
	}
	return ""
}
