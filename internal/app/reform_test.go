package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFiles writes name -> content under a new temporary folder.
func writeSnapshotFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const reformManifest = `apiVersion: vungmanh/v1
kind: Snapshot
name: hung-yen
title: Hội LHPN tỉnh Hưng Yên
asOf: 2025-09-30
tables:
  units: units.csv
  lineage: lineage.csv
  ratings: ratings.csv
`

// evalInput runs `vungmanh eval` on subject and returns its input document.
func evalInput(t *testing.T, snap, subject string) map[string]any {
	t.Helper()
	code, stdout, stderr := runMain(t, nil, "eval", "--snapshot", snap, "--subject", subject, "--target", "TB-01")
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "DQ0") {
		t.Errorf("data-quality findings:\n%s", stderr)
	}
	_, body, ok := strings.Cut(stdout, "\n")
	body, _, ok2 := strings.Cut(body, "# verdicts")
	if !ok || !ok2 {
		t.Fatalf("eval output:\n%s", stdout)
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatalf("input: %v\n%s", err, body)
	}
	return in
}

// The done-when of issue 22 for eval: a new commune that reuses the code of
// one of its predecessors shows its current name, the province as its only
// ancestor, none of its predecessors' ratings as its own, and its
// predecessors with their ratings under history — from a versioned export
// and from one that keeps only the current units.
func TestEvalAcrossTheReform(t *testing.T) {
	lineage := "predecessor_id,successor_id,effective,kind,share\n11953,11953,2025-07-01,merge,\n11956,11953,2025-07-01,,\n323,33,2025-07-01,merge,\n"
	ratings := "unit_id,year,rating\n11953,2023,good\n11953,2024,fair\n11956,2024,excellent\n11953,2025,good\n"
	exports := map[string]string{
		"versioned": "unit_id,parent_id,level,name,kind,active,valid_from,valid_to\n33,,province,Tỉnh Hưng Yên,tỉnh,,,\n" +
			"323,33,district,Thành phố Hưng Yên,thành phố,,,2025-06-30\n11953,323,commune,Phường Hiến Nam,phường,,,2025-06-30\n" +
			"11953,33,commune,Phường Phố Hiến,phường,,2025-07-01,\n",
		"current units only": "unit_id,parent_id,level,name,kind\n33,,province,Tỉnh Hưng Yên,tỉnh\n11953,33,commune,Phường Phố Hiến,phường\n",
	}
	for name, units := range exports {
		t.Run(name, func(t *testing.T) {
			dir := writeSnapshotFiles(t, map[string]string{"snapshot.yaml": reformManifest, "units.csv": units, "lineage.csv": lineage, "ratings.csv": ratings})
			in := evalInput(t, dir, "11953")
			subj := in["subject"].(map[string]any)
			if subj["name"] != "Phường Phố Hiến" {
				t.Errorf("subject name %v", subj["name"])
			}
			if diff := cmp.Diff([]any{map[string]any{"id": "33", "level": "province", "name": "Tỉnh Hưng Yên"}}, in["ancestors"]); diff != "" {
				t.Errorf("ancestors (-want +got):\n%s", diff)
			}
			own := in["ratings"].(map[string]any)["11953"].([]any)
			if len(own) != 1 || own[0].(map[string]any)["year"] != 2025.0 {
				t.Errorf("own ratings %v, want only 2025", own)
			}
			var got []string
			for _, h := range subj["history"].([]any) {
				e := h.(map[string]any)
				s := e["id"].(string) + " " + e["kind"].(string) + " " + e["effective"].(string)
				if n, ok := e["name"]; ok {
					s += " " + n.(string)
				}
				for _, r := range e["ratings"].([]any) {
					r := r.(map[string]any)
					s += " " + r["rating"].(string)
				}
				got = append(got, s)
			}
			want := []string{"11953 merge 2025-07-01 good fair", "11956 merge 2025-07-01 excellent"}
			if name == "versioned" {
				want[0] = "11953 merge 2025-07-01 Phường Hiến Nam good fair"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("history (-want +got):\n%s", diff)
			}
		})
	}
}

// The merger sample's two runs, before and after 1 July 2025, publish a
// delta that lists the old communes' findings as merged (README, "Across
// the 2025 reform").
func TestMergerSampleDelta(t *testing.T) {
	out := t.TempDir()
	for _, p := range []string{"hung-yen-2025-06", "hung-yen-2025-09"} {
		code, _, stderr := runMain(t, nil, "run", "--snapshot", "sample://"+p, "--out", out, "--formats", "json")
		if code != 0 {
			t.Fatalf("run %s: exit %d\n%s", p, code, stderr)
		}
		if !strings.Contains(stderr, `"dq_errors":0`) {
			t.Errorf("run %s: data-quality errors:\n%s", p, stderr)
		}
	}
	l, ok := readLatest(t, out, "hung-yen")
	if !ok {
		t.Fatal("no latest.json")
	}
	rep := readReport(t, out, l)
	if rep.Delta == nil || rep.Delta.PreviousAsOf != "2025-06-30" {
		t.Fatalf("delta %+v, want one against the run of 2025-06-30", rep.Delta)
	}
	if len(rep.Delta.Merged) == 0 {
		t.Fatal("no merged finding")
	}
	for _, m := range rep.Delta.Merged {
		if m.Subject == "" || m.Successor == "" || m.Target == "" {
			t.Errorf("merged finding without its units: %+v", m)
		}
	}
	for _, f := range rep.Delta.Resolved {
		for _, m := range rep.Delta.Merged {
			if f.Key == m.Key {
				t.Errorf("finding %s is both resolved and merged", f.Key)
			}
		}
	}
}
