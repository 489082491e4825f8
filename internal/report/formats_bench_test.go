package report

import (
	"context"
	"testing"
)

// Each format of a national run on its own (nationalSite: 10,395
// communes, 62,370 branches, some 430,000 results), without the
// report.json that Render adds: what each renderer costs in CPU and
// allocation. cpu-s/op as in BenchmarkBuildAndRender.
func BenchmarkNationalFormat(b *testing.B) {
	r := Build(nationalSite(false, 6, 15))
	for _, f := range []Format{FormatJSON, FormatCSV, FormatParquet, FormatXLSX} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			c0 := cpuTime()
			size := 0
			for b.Loop() {
				tree := func() *siteTree { return buildTree(r) }
				_, data, err := renderOne(context.Background(), r, f, Vietnamese, nil, tree)
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(size), "bytes")
		})
	}
	b.Run("tree", func(b *testing.B) {
		b.ReportAllocs()
		c0 := cpuTime()
		for b.Loop() {
			buildTree(r)
		}
		reportCPU(b, c0)
	})
}
