package report

import (
	"context"
	"fmt"
	"testing"

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

// National scale: about 10,600 communes.
func BenchmarkBuildAndRender(b *testing.B) {
	in := nationalish(10600)
	for _, f := range AllFormats {
		b.Run(string(f), func(b *testing.B) {
			r := Build(in)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(context.Background(), r, []Format{f}, Vietnamese, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Build(in)
		}
	})
}
