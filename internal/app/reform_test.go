package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/report"
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

// The national pair across the reform (README, "Across the 2025 reform"):
// sample://national (30/09/2024) then its post-reform version (30/09/2025)
// into one --out. Both load with no data-quality finding; the second run's
// delta lists the old communes' findings as merged (never also resolved),
// each with a successor that lineage gives it; the new Hưng Yên's page (33,
// from the old Hưng Yên and Thái Bình) draws its line from 30/09/2024, the
// old provinces' counts joined through lineage; and eval on a commune
// formed from several old ones shows the province as its only ancestor,
// none of their ratings as its own, and its predecessors with their
// ratings under history.
func TestNationalReformPair(t *testing.T) {
	const before, after = "sample://national?scale=0.01", "sample://national?scale=0.01&reform=true"
	out := t.TempDir()
	for _, snap := range []string{before, after} {
		code, _, stderr := runMain(t, nil, "run", "--snapshot", snap, "--out", out, "--formats", "json,html", "--progress=false")
		if code != 0 {
			t.Fatalf("run %s: exit %d\n%s", snap, code, stderr)
		}
		if !strings.Contains(stderr, `"dq_errors":0`) || !strings.Contains(stderr, `"dq_warnings":0`) {
			t.Errorf("run %s: data-quality findings:\n%s", snap, stderr)
		}
	}
	// Lineage of the post-reform sample, as written.
	dir := t.TempDir()
	if code, _, stderr := runMain(t, nil, "sample", "--profile", "national", "--scale", "0.01", "--reform", "--out", dir); code != 0 {
		t.Fatalf("sample: exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "lineage.csv"))
	if err != nil {
		t.Fatal(err)
	}
	successors := map[string][]string{} // predecessor -> successors
	preds := map[string][]string{}      // successor -> predecessors
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		f := strings.Split(line, ",")
		successors[f[0]] = append(successors[f[0]], f[1])
		preds[f[1]] = append(preds[f[1]], f[0])
	}

	l, ok := readLatest(t, out, "vietnam")
	if !ok {
		t.Fatal("no latest.json")
	}
	rep := readReport(t, out, l)
	if rep.Delta == nil || rep.Delta.PreviousAsOf != "2024-09-30" {
		t.Fatalf("delta %+v, want one against the run of 2024-09-30", rep.Delta)
	}
	if len(rep.Delta.Merged) == 0 {
		t.Fatal("no merged finding")
	}
	resolved := map[string]bool{}
	for _, f := range rep.Delta.Resolved {
		resolved[f.Key] = true
	}
	for _, m := range rep.Delta.Merged {
		if resolved[m.Key] {
			t.Errorf("finding %s is both resolved and merged", m.Key)
		}
		if !slices.Contains(successors[m.Subject], m.Successor) {
			t.Errorf("merged %+v: lineage gives %s the successors %v", m, m.Subject, successors[m.Subject])
		}
	}

	page, err := os.ReadFile(filepath.Join(out, l.Path, report.PageFile("33", false)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Tỉnh Hưng Yên") || !strings.Contains(string(page), "<span>30/09/2024: ") {
		t.Errorf("the new Hưng Yên's page has no point of 30/09/2024 on its lines")
	}

	// A commune formed from two or more old ones, each rated.
	var commune string
	for succ, ps := range preds {
		if len(ps) >= 2 && succ != "33" && slices.Contains(ps, succ) && len(succ) > 3 {
			if commune == "" || succ < commune {
				commune = succ
			}
		}
	}
	if commune == "" {
		t.Fatal("no commune formed from several old ones")
	}
	in := evalInput(t, dir, commune)
	anc := in["ancestors"].([]any)
	if len(anc) != 1 || anc[0].(map[string]any)["level"] != "province" {
		t.Errorf("%s: ancestors %v, want its province only", commune, anc)
	}
	if own, _ := in["ratings"].(map[string]any)[commune].([]any); len(own) != 0 {
		t.Errorf("%s: own ratings %v, want none (they are its predecessors')", commune, own)
	}
	var got []string
	rated := 0
	for _, h := range in["subject"].(map[string]any)["history"].([]any) {
		e := h.(map[string]any)
		got = append(got, e["id"].(string))
		if rs, _ := e["ratings"].([]any); len(rs) > 0 {
			rated++
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(preds[commune]))
	if !slices.Equal(got, want) || rated == 0 {
		t.Errorf("%s: history %v (%d rated), want its predecessors %v with their ratings", commune, got, rated, want)
	}
}
