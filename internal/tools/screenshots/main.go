package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/vungmanh/vungmanh/internal/report"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run() error {
	runDir := flag.String("run", "", "run folder (holds report.html and units/)")
	province := flag.String("province", "", "unit id of the province page")
	commune := flag.String("commune", "", "unit id of the commune page")
	prefix := flag.String("prefix", "", "prefix of the file names")
	out := flag.String("out", "docs/screenshots", "folder to write the PNG files into")
	exe := flag.String("chromium", "", "Chromium binary (default $VUNGMANH_CHROMIUM or /usr/bin/chromium)")
	flag.Parse()
	if *runDir == "" || *province == "" || *commune == "" {
		return errors.New("-run, -province and -commune are required")
	}
	if *exe == "" {
		*exe = os.Getenv("VUNGMANH_CHROMIUM")
	}
	if *exe == "" {
		*exe = "/usr/bin/chromium"
	}
	pages := []struct{ name, file string }{
		{"root", report.HTMLName},
		{"province", report.PageFile(*province, false)},
		{"commune", report.PageFile(*commune, false)},
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(*exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	browser, cancel := chromedp.NewContext(actx)
	defer cancel()
	for _, p := range pages {
		abs, err := filepath.Abs(filepath.Join(*runDir, p.file))
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("%s page: %w", p.name, err)
		}
		for _, v := range []struct {
			suffix string
			w, h   int64
			media  string
		}{{"390", 390, 844, "screen"}, {"a4", 794, 1123, "print"}} {
			tab, cancelTab := chromedp.NewContext(browser)
			ctx, cancelTimeout := context.WithTimeout(tab, 2*time.Minute)
			shot, err := shoot(ctx, "file://"+abs, v.w, v.h, v.media)
			cancelTimeout()
			cancelTab()
			if err != nil {
				return fmt.Errorf("%s page at %s: %w", p.name, v.suffix, err)
			}
			file := filepath.Join(*out, *prefix+p.name+"-"+v.suffix+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				return err
			}
			fmt.Printf("%s (%d bytes): %s\n", file, len(shot), abs)
		}
	}
	return nil
}

// shoot opens url in a viewport of w × h CSS px with the given media type
// and returns a PNG of the viewport.
func shoot(ctx context.Context, url string, w, h int64, media string) ([]byte, error) {
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
		return nil, err
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
		return nil, err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		return nil, err
	}
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}
