package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vungmanh/vungmanh/internal/browsertest"

	"github.com/vungmanh/vungmanh/internal/report"
)

func chromium(t *testing.T) string { return browsertest.Chromium(t) }

// runFolder runs the pipeline on a snapshot URL into a new folder and
// returns the run folder.
func runFolder(t *testing.T, snapshot string, extra ...string) string {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"run", "--snapshot", snapshot, "--out", out, "--formats", "json,html", "--progress=false"}, extra...)
	code, _, stderr := runMain(t, nil, args...)
	if code != 0 {
		t.Fatalf("run %s: exit %d\n%s", snapshot, code, stderr)
	}
	entries, err := filepath.Glob(filepath.Join(out, "*", "latest.json"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("latest.json: %v %v", entries, err)
	}
	var l report.Latest
	data, err := os.ReadFile(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, l.Path)
}

// layoutJS lists what a reader could not read: visible text below 11 CSS
// px, a table cell whose content overflows it, and a page wider than the
// window (the matrix scrolls in a box of its own).
const layoutJS = `(() => {
 const bad = [];
 for (const el of document.querySelectorAll("body *")) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  let text = false;
  for (const n of el.childNodes) if (n.nodeType === 3 && n.textContent.trim()) { text = true; break; }
  if (text) {
   const fs = parseFloat(getComputedStyle(el).fontSize);
   if (fs < 11) bad.push("text at " + fs + "px: " + el.tagName + " " + el.textContent.trim().slice(0, 40));
  }
  if ((el.tagName === "TD" || el.tagName === "TH") && el.scrollWidth > el.clientWidth + 1)
   bad.push("overflows its cell: " + el.textContent.trim().slice(0, 40));
 }
 if (document.documentElement.scrollWidth > window.innerWidth + 1)
  bad.push("page " + document.documentElement.scrollWidth + "px wide in a " + window.innerWidth + "px window");
 return bad.slice(0, 20);
})()`

// The report site in headless Chromium, at phone width and on a desktop,
// on four samples (a province with districts, one without after the
// reform, a small national one before and after the reform): the root, a page below it and a commune
// page have no text under 11 CSS px and no cell that its label overflows;
// the filter box works offline; links go down and breadcrumbs up.
func TestSiteLayoutInChromium(t *testing.T) {
	exe := chromium(t)
	if testing.Short() {
		t.Skip("runs three samples and a browser")
	}
	for _, tc := range []struct {
		name, snapshot string
	}{
		{"thai-binh", "sample://thai-binh-2024"},
		{"hung-yen", "sample://hung-yen-2026"},
		{"national", smallSample},
		{"national after the reform", "sample://national?scale=0.01&reform=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := runFolder(t, tc.snapshot)
			pages := []string{filepath.Join(dir, report.HTMLName)}
			// A page one level down, and its first row's page (a commune
			// page at the latest two levels down).
			for i := 0; i < 2; i++ {
				next := firstLink(t, pages[len(pages)-1])
				if next == "" {
					break
				}
				pages = append(pages, next)
			}
			if len(pages) < 2 {
				t.Fatalf("the root page links to no unit page")
			}
			opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless,
				chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true))
			actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
			defer cancel()
			ctx, cancel := chromedp.NewContext(actx)
			defer cancel()
			ctx, cancel = context.WithTimeout(ctx, 4*time.Minute)
			defer cancel()
			for _, width := range []int64{390, 1280} {
				for _, p := range pages {
					if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate("file://"+p),
						chromedp.WaitReady("body")); err != nil {
						t.Fatalf("%s at %d px: %v", p, width, err)
					}
					bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](layoutJS))
					if err != nil {
						t.Fatalf("%s at %d px: %v", p, width, err)
					}
					for _, b := range bad {
						t.Errorf("%s at %d px: %s", strings.TrimPrefix(p, dir+"/"), width, b)
					}
				}
			}
			// The filter box, offline: typing a name without its accents
			// keeps that row and hides the others.
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 900), chromedp.Navigate("file://"+pages[0]),
				chromedp.WaitReady("body")); err != nil {
				t.Fatal(err)
			}
			rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("table.matrix tbody tr").length`))
			if err != nil {
				t.Fatal(err)
			}
			first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("table.matrix tbody tr:last-child td").textContent`))
			if err != nil {
				t.Fatal(err)
			}
			query := strings.ToLower(stripAccents(first))
			// Typed in: the value set and the input event the keyboard fires.
			q, _ := json.Marshal(query)
			shown, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const f = document.getElementById("filter");
				if (f.hidden) return -1; f.value = `+string(q)+`; f.dispatchEvent(new Event("input"));
				return [...document.querySelectorAll("table.matrix tbody tr")].filter(r => !r.hidden).length; })()`))
			if err != nil {
				t.Fatal(err)
			}
			if shown < 1 || rows > 1 && shown >= rows {
				t.Errorf("filter %q: %d of %d rows shown, want the matching ones only", query, shown, rows)
			}
		})
	}
}

// layoutJS sees small text, an overflowing cell and a page wider than
// the window.
func TestLayoutDetectors(t *testing.T) {
	exe := chromium(t)
	page := filepath.Join(t.TempDir(), "bad.html")
	html := `<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width"></head><body>` +
		`<p style="font-size:9px">tiny</p><table><tr><td style="width:40px;max-width:40px;overflow:hidden;white-space:nowrap">` +
		`Huyện Châu Thành (Tiền Giang)</td></tr></table><div style="width:2000px">wide</div></body></html>`
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 900), chromedp.Navigate("file://"+page), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](layoutJS))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"text at 9px", "overflows its cell", "px wide in a 390px window"} {
		if !slices.ContainsFunc(bad, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("layoutJS missed %q: %q", want, bad)
		}
	}
}

// firstLink returns the file of the first unit link of a page's matrix.
func firstLink(t *testing.T, page string) string {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, `<td class="u"><a href="`)
	if i < 0 {
		return ""
	}
	s = s[i+len(`<td class="u"><a href="`):]
	href := s[:strings.IndexByte(s, '"')]
	return filepath.Join(filepath.Dir(page), filepath.FromSlash(href))
}

// stripAccents drops Vietnamese diacritics, as a reader typing without
// them would.
func stripAccents(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune("àáạảãâầấậẩẫăằắặẳẵ", r):
			r = 'a'
		case strings.ContainsRune("èéẹẻẽêềếệểễ", r):
			r = 'e'
		case strings.ContainsRune("ìíịỉĩ", r):
			r = 'i'
		case strings.ContainsRune("òóọỏõôồốộổỗơờớợởỡ", r):
			r = 'o'
		case strings.ContainsRune("ùúụủũưừứựửữ", r):
			r = 'u'
		case strings.ContainsRune("ỳýỵỷỹ", r):
			r = 'y'
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// A run stopped by data quality (exit 3) publishes a run folder with
// report.json (run.status "stopped", data_quality filled, no targets) and
// a report.html of its findings in Vietnamese; latest.json stays on the
// previous complete run.
func TestStoppedRunPublishesDataQuality(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample, "--out", out, "--formats", "json", "--progress=false"); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	before, ok := readLatest(t, out, "vietnam")
	if !ok {
		t.Fatal("no latest.json after the first run")
	}
	code, _, stderr := runMain(t, nil, "run", "--snapshot", smallSample+"&defects=0.05", "--out", out, "--max-bad-rows", "0",
		"--run-id", "stopped-1", "--progress=false")
	if code != ExitData {
		t.Fatalf("exit %d, want %d\n%s", code, ExitData, stderr)
	}
	if after, _ := readLatest(t, out, "vietnam"); after != before {
		t.Errorf("latest.json moved to %+v", after)
	}
	dirs, err := filepath.Glob(filepath.Join(out, "vietnam", "runs", "*", "stopped-1"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("the stopped run's folder: %v %v\n%s", dirs, err, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dirs[0], report.JSONName))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Status != report.StatusStopped || len(rep.Targets) != 0 || len(rep.DataQuality) == 0 || rep.Summary.DataQuality.Error == 0 {
		t.Errorf("report.json: status %q, %d targets, %d data-quality findings (%+v)", rep.Run.Status, len(rep.Targets),
			len(rep.DataQuality), rep.Summary.DataQuality)
	}
	page, err := os.ReadFile(filepath.Join(dirs[0], report.HTMLName))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Lần chạy dừng vì lỗi dữ liệu", `class="dq-list"`, rep.DataQuality[0].File} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dirs[0], report.ManifestName)); err != nil {
		t.Errorf("the stopped run's folder has no manifest: %v", err)
	}
}
