package checker

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	opaOnce sync.Once
	opaPath string
	opaErr  error
)

// opaBinary builds the OPA command line of the version go.mod pins, once per
// test binary (go install into a temporary GOBIN). $VUNGMANH_OPA names an
// already built binary instead.
func opaBinary(t *testing.T) string {
	t.Helper()
	opaOnce.Do(func() {
		if p := os.Getenv("VUNGMANH_OPA"); p != "" {
			opaPath = p
			return
		}
		version := ""
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, d := range bi.Deps {
				if d.Path == "github.com/open-policy-agent/opa" {
					version = d.Version
				}
			}
		}
		if version == "" {
			out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/open-policy-agent/opa").Output()
			if err != nil {
				opaErr = err
				return
			}
			version = string(bytes.TrimSpace(out))
		}
		dir, err := os.MkdirTemp("", "vungmanh-opa-")
		if err != nil {
			opaErr = err
			return
		}
		cmd := exec.Command("go", "install", "github.com/open-policy-agent/opa@"+version)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			opaErr = &exec.Error{Name: string(out), Err: err}
			return
		}
		opaPath = filepath.Join(dir, "opa")
	})
	if opaErr != nil {
		t.Fatalf("build opa: %v", opaErr)
	}
	return opaPath
}

// TestFaithfulToOPA checks, for subjects of every scope, that the OPA
// command line evaluating the printed input gives the same violations,
// warnings and skip as the checker, once the checker's redaction of private
// values (privacy.go) is applied to OPA's answer too.
func TestFaithfulToOPA(t *testing.T) {
	opa := opaBinary(t)
	alloc := checkedAlloc(t)
	snap := smallSnap(alloc)
	defer snap.Release()
	p := loadTestPolicies(t, "testdata/policies")
	params := map[string]any{"TB-03": map[string]any{"min_size": 7}}
	c := mustNew(t, p, WithParams(params))
	x, err := buildIndex(snap)
	if err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	data, err := json.Marshal(map[string]any{"params": params, "vocab": vocabData()})
	if err != nil {
		t.Fatal(err)
	}
	dataFile := filepath.Join(tmp, "data.json")
	if err := os.WriteFile(dataFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	subjects := []string{"tinh", "h-a", "h-b", "xa-1", "xa-2", "xa-3", "ch-1a", "ch-1b", "ch-3b", "to-1a1", "to-1a2", "to-3a1", "m-4", "m-5"}
	scopes := map[string]bool{}
	for _, id := range subjects {
		input, scope, err := c.Input(snap, id)
		if err != nil {
			t.Fatal(err)
		}
		scopes[scope] = true
		inFile := filepath.Join(tmp, id+".json")
		if err := os.WriteFile(inFile, inputBytes(t, input), 0o644); err != nil {
			t.Fatal(err)
		}
		results, _, err := c.EvalOne(context.Background(), snap, id, "", false)
		if err != nil {
			t.Fatal(err)
		}
		if len(results) == 0 {
			t.Fatalf("%s: no results", id)
		}
		for _, r := range results {
			t.Run(id+"/"+r.Target, func(t *testing.T) {
				var pkg string
				for _, tg := range p.Targets() {
					if tg.ID == r.Target {
						pkg = tg.Package
					}
				}
				cmd := exec.Command(opa, "eval", "--v1-compatible", "--strict-builtin-errors", "--format", "json",
					"-d", "testdata/policies", "-d", dataFile, "-i", inFile, "data."+pkg)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("opa eval: %v\n%s", err, stderr.String())
				}
				var res struct {
					Result []struct {
						Expressions []struct {
							Value map[string]any `json:"value"`
						} `json:"expressions"`
					} `json:"result"`
				}
				dec := json.NewDecoder(bytes.NewReader(out))
				dec.UseNumber()
				if err := dec.Decode(&res); err != nil {
					t.Fatalf("decode opa output: %v\n%s", err, out)
				}
				if len(res.Result) != 1 || len(res.Result[0].Expressions) != 1 {
					t.Fatalf("opa output: %s", out)
				}
				doc := res.Result[0].Expressions[0].Value
				wrap := func(k string) any {
					if v, ok := doc[k]; ok {
						return []any{v}
					}
					return []any{}
				}
				viol, err := decodeSet(wrap("violation"), "violation")
				if err != nil {
					t.Fatal(err)
				}
				warn, err := decodeSet(wrap("warning"), "warning")
				if err != nil {
					t.Fatal(err)
				}
				redacted := Result{Violations: viol, Warnings: warn}
				x.redact.result(&redacted)
				viol, warn = redacted.Violations, redacted.Warnings
				skip := doc["skip"]
				if skip != nil && skip != false {
					if r.Status != StatusSkipped {
						t.Errorf("opa says skip %v, checker says %s", skip, r.Status)
					}
					return
				}
				if diff := cmp.Diff(viol, r.Violations); diff != "" {
					t.Errorf("violations (-opa +checker):\n%s", diff)
				}
				if diff := cmp.Diff(warn, r.Warnings); diff != "" {
					t.Errorf("warnings (-opa +checker):\n%s", diff)
				}
				wantStatus := StatusPass
				if len(viol) > 0 {
					wantStatus = StatusFail
				}
				if r.Status != wantStatus {
					t.Errorf("status %s, want %s", r.Status, wantStatus)
				}
			})
		}
	}
	if len(scopes) != len(Scopes()) {
		t.Errorf("subjects cover scopes %v, want all of %v", scopes, Scopes())
	}
}
