package app

import (
	"context"
	"errors"
	"testing"
)

func TestUnknownEnvironmentVariableWarned(t *testing.T) {
	env := map[string]string{
		"VUNGMANH_FORMAT":   "csv", // misspelt VUNGMANH_FORMATS
		"VUNGMANH_WORKERS":  "2",   // a setting: no warning
		"VUNGMANH_ZZZQQQXX": "1",   // near no setting
	}
	pipe := func(context.Context, *runContext) (*runOutcome, error) { return nil, errors.New("stop here") }
	a, _, stderr := testApp(env, pipe)
	a.main(context.Background(), []string{"run", "--snapshot", "s", "--log-format", "json"})
	warned := map[string]string{}
	for _, l := range logLines(t, stderr.String()) {
		if v, ok := l["variable"].(string); ok {
			if l["level"] != "warn" || l["severity"] != "WARNING" {
				t.Errorf("line %v: want level warn and severity WARNING", l)
			}
			s, _ := l["did_you_mean"].(string)
			warned[v] = s
		}
	}
	if got, ok := warned["VUNGMANH_FORMAT"]; !ok || got != "VUNGMANH_FORMATS" {
		t.Errorf("VUNGMANH_FORMAT: warned=%v suggestion %q, want VUNGMANH_FORMATS\n%s", ok, got, stderr)
	}
	if got, ok := warned["VUNGMANH_ZZZQQQXX"]; !ok || got != "" {
		t.Errorf("VUNGMANH_ZZZQQQXX: warned=%v suggestion %q, want a warning without suggestion", ok, got)
	}
	for _, known := range []string{"VUNGMANH_WORKERS", "VUNGMANH_TERMINATION_LOG"} {
		if _, ok := warned[known]; ok {
			t.Errorf("%s is a setting but was warned about", known)
		}
	}
}

func TestLogLinesCarryCloudLoggingSeverity(t *testing.T) {
	pipe := func(context.Context, *runContext) (*runOutcome, error) { return nil, errors.New("stop here") }
	a, _, stderr := testApp(nil, pipe)
	a.main(context.Background(), []string{"run", "--snapshot", "s", "--log-format", "json"})
	want := map[string]string{"debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERROR", "fatal": "CRITICAL"}
	lines := logLines(t, stderr.String())
	if len(lines) == 0 {
		t.Fatalf("no JSON log line in %q", stderr)
	}
	seen := 0
	for _, l := range lines {
		lvl, _ := l["level"].(string)
		if lvl == "" {
			continue
		}
		seen++
		if l["severity"] != want[lvl] {
			t.Errorf("level %q has severity %v, want %q: %v", lvl, l["severity"], want[lvl], l)
		}
	}
	if seen == 0 {
		t.Fatalf("no line with a level in %q", stderr)
	}
}
