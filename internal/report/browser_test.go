package report

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/vungmanh/vungmanh/internal/browsertest"
)

func chromiumPath(t *testing.T) string { return browsertest.Chromium(t) }

// artifactDir is where screenshots go: $VUNGMANH_ARTIFACTS or
// testdata/artifacts (git-ignored).
func artifactDir(t *testing.T) string {
	d := os.Getenv("VUNGMANH_ARTIFACTS")
	if d == "" {
		d = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// The HTML report in headless Chromium: no console error, no network
// request, every target card, Vietnamese text in the DOM; a screenshot is
// kept as an artifact. The inputs carry an inventory, so that the models
// section with its district table is on the page.
func TestHTMLInChromium(t *testing.T) {
	exe := chromiumPath(t)
	r := Build(inventoryInputs())
	r.Delta = Delta(previous(), r)
	for _, tc := range []struct {
		lang     Lang
		mustHave []string
	}{
		{Vietnamese, []string{"Tỷ lệ đạt chung", "Số liệu đến ngày", "30/09/2024", "Thái Thụy", "Vũ Thư", "Chất lượng dữ liệu", "25,0\u00a0%", "Loại mô hình", "Mô hình khác", "1.234"}},
		{English, []string{"Overall compliance", "Data as of", "30 Sep 2024", "Thái Thụy", "25.0%", "Model type", "Other models", "1,234"}},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			page, err := HTML(r, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			cards, text, shot, requests, consoleErrors := openInChromium(t, exe, page)
			out := filepath.Join(artifactDir(t), "report-"+string(tc.lang)+".png")
			if err := os.WriteFile(out, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s (%d bytes)", out, len(shot))
			if len(requests) > 0 {
				t.Errorf("the page made network requests: %v", requests)
			}
			if len(consoleErrors) > 0 {
				t.Errorf("console errors: %v", consoleErrors)
			}
			if cards != len(r.Targets) {
				t.Errorf("%d target cards, want %d", cards, len(r.Targets))
			}
			for _, s := range tc.mustHave {
				if !strings.Contains(text, s) {
					t.Errorf("page text lacks %q", s)
				}
			}
		})
	}
}

// openInChromium loads page from a file and returns the number of target
// cards, the body text, a full-page PNG screenshot, the URLs the page
// requested and its console errors.
func openInChromium(t *testing.T, exe string, page []byte) (cards int, text string, shot []byte, requests, consoleErrors []string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + file
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(412, 915))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var mu sync.Mutex
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Request.URL != url {
				requests = append(requests, e.Request.URL)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				consoleErrors = append(consoleErrors, string(e.Type))
			}
		case *runtime.EventExceptionThrown:
			consoleErrors = append(consoleErrors, e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				consoleErrors = append(consoleErrors, e.Entry.Text+" "+e.Entry.URL)
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("runtime.enable: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("open the report: %v", err)
	}
	cards, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("article.target-card").length`))
	if err != nil {
		t.Fatal(err)
	}
	text, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return cards, text, shot, slices.Clone(requests), slices.Clone(consoleErrors)
}

// The detectors of openInChromium do see a request and a console error.
func TestChromiumDetectors(t *testing.T) {
	exe := chromiumPath(t)
	page := []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>` +
		`<body><img src="http://127.0.0.1:9/x.png"></body></html>`)
	_, _, _, requests, consoleErrors := openInChromium(t, exe, page)
	if len(requests) == 0 {
		t.Error("a page with remote resources made no request the test saw")
	}
	if len(consoleErrors) == 0 {
		t.Error("failed loads logged no console error the test saw")
	}
}
