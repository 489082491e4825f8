package report

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/vungmanh/vungmanh/checker"
)

// nationalish returns inputs with n communes failing half of 3 targets.
func nationalish(n int) Inputs {
	in := fixture()
	in.Results = in.Results[:0]
	for _, tg := range []string{"TB-01", "TB-02", "TB-04"} {
		for i := 0; i < n; i++ {
			r := checker.Result{Target: tg, Subject: fmt.Sprintf("xa-%06d", i), SubjectLevel: "commune",
				SubjectName: fmt.Sprintf("Xã số %d", i), Path: []string{"tb", "dist-tt"}, Status: checker.StatusPass}
			if i%2 == 1 {
				r.Status = checker.StatusFail
				r.Violations = []checker.Violation{{Msg: "chưa có mô hình \"1+1\" đang hoạt động", Refs: []string{r.Subject}}}
			}
			in.Results = append(in.Results, r)
		}
	}
	return in
}

// National scale: about 10,600 communes. Each format is rendered as
// `vungmanh run --formats F` renders it, that is with report.json
// alongside (Render always writes it); "all" is the default --formats.
// cpu-s/op is the process's user+sys CPU time per operation (GC and the
// concurrent renderings included): on a shared machine, compare it rather
// than ns/op.
func BenchmarkBuildAndRender(b *testing.B) {
	in := nationalish(10600)
	for _, fs := range append([][]Format{{FormatJSON}, {FormatHTML}, {FormatCSV}, {FormatParquet}, {FormatXLSX}}, AllFormats()) {
		name := string(fs[0])
		if len(fs) > 1 {
			name = "all"
		}
		b.Run(name, func(b *testing.B) {
			r := Build(in)
			b.ReportAllocs()
			c0 := cpuTime()
			for b.Loop() {
				if _, err := Render(context.Background(), r, fs, Vietnamese, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
		})
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		c0 := cpuTime()
		for b.Loop() {
			Build(in)
		}
		reportCPU(b, c0)
	})
}

// cpuTime is the user+sys CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric((cpuTime()-since).Seconds()/float64(b.N), "cpu-s/op")
}
