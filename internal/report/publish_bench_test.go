package report

import (
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vungmanh/vungmanh/internal/storage"
)

// BenchmarkPublishNational publishes the large files of a national run
// (nationalSite: some 430,000 results; report.json, findings.csv and
// results.parquet) to a local folder: "held" renders each file whole and
// hands it over (PublishRendered, RenderTo), "streamed" writes them to the
// folder as they are made (PublishStreamed, RenderStreams). B/op is what
// each allocates; peak-heap-MB the largest heap (live and garbage, sampled
// every millisecond after a collection at the start) while it runs.
func BenchmarkPublishNational(b *testing.B) {
	ctx := context.Background()
	r := Build(nationalSite(false, 6, 15))
	formats := []Format{FormatJSON, FormatCSV, FormatParquet}
	publish := map[string]func(storage.Bucket) error{
		"held": func(bk storage.Bucket) error {
			_, err := PublishRendered(ctx, bk, r, func(emit Emit) error {
				return RenderTo(ctx, r, formats, Vietnamese, nil, emit)
			})
			return err
		},
		"streamed": func(bk storage.Bucket) error {
			_, err := PublishStreamed(ctx, bk, r, func(emit Emit, stream Stream) error {
				return RenderStreams(ctx, r, formats, Vietnamese, nil, emit, stream)
			})
			return err
		},
	}
	for _, name := range []string{"held", "streamed"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			c0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				dir, err := os.MkdirTemp(b.TempDir(), "run")
				if err != nil {
					b.Fatal(err)
				}
				bk, err := storage.OpenDir(dir)
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				stop := sampleHeap(&peak)
				b.StartTimer()
				err = publish[name](bk)
				b.StopTimer()
				stop()
				if err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(dir)
				b.StartTimer()
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// sampleHeap records in peak the largest heap (objects, live or not yet
// collected) seen every millisecond until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for !done.Load() {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > *peak {
				*peak = v
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return func() {
		done.Store(true)
		<-finished
	}
}
