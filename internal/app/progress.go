package app

import (
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// progress draws progress bars on a terminal; a disabled progress draws
// nothing. Its methods are safe for concurrent use.
type progress struct {
	w       io.Writer
	enabled bool
}

func newProgress(w io.Writer, enabled bool) *progress {
	return &progress{w: w, enabled: enabled}
}

// bar is one progress bar; the zero bar draws nothing.
type bar struct {
	mu  sync.Mutex
	b   *progressbar.ProgressBar
	max int
}

// start begins a bar. total -1 draws a spinner for work of unknown size.
func (p *progress) start(desc string, total int) *bar {
	if p == nil || !p.enabled {
		return &bar{}
	}
	b := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(total > 0),
		progressbar.OptionThrottle(100_000_000), // 100ms
		progressbar.OptionClearOnFinish(),
		progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(p.w, "\n") }),
	)
	return &bar{b: b, max: total}
}

// set moves the bar to done of total (total may change, e.g. when the
// checker knows its work only after the first pass).
func (b *bar) set(done, total int) {
	if b == nil || b.b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if total > 0 && total != b.max {
		b.max = total
		b.b.ChangeMax(total)
	}
	_ = b.b.Set(done)
}

// tick advances a spinner.
func (b *bar) tick() {
	if b == nil || b.b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.b.Add(1)
}

// finish completes and clears the bar.
func (b *bar) finish() {
	if b == nil || b.b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.b.Finish()
}
