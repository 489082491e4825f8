package sample

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// BenchmarkFSThaiBinh builds thai-binh-2024 in memory as Parquet.
func BenchmarkFSThaiBinh(b *testing.B) {
	for range b.N {
		if _, err := FS(context.Background(), Options{Profile: ProfileThaiBinh}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteNational writes the national profile as CSV (or the format
// in SAMPLE_FORMAT) at the scale in SAMPLE_SCALE (default 0.01) into a
// temporary folder. Run it under /usr/bin/time -v to see peak memory:
//
//	SAMPLE_SCALE=1 go test -run XXX -bench WriteNational -benchtime 1x ./internal/sample/
func BenchmarkWriteNational(b *testing.B) {
	scale := 0.01
	if s := os.Getenv("SAMPLE_SCALE"); s != "" {
		var err error
		if scale, err = strconv.ParseFloat(s, 64); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		sum, err := Write(context.Background(), b.TempDir(), Options{Profile: ProfileNational, Scale: scale, Format: os.Getenv("SAMPLE_FORMAT")})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.Rows["members"]), "members")
	}
}
