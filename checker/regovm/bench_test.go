package regovm_test

import (
	"context"
	"sync"
	"testing"

	"github.com/vungmanh/vungmanh/internal/sample"
)

var (
	benchOnce   sync.Once
	benchInputs map[string][]subjectInput
)

// BenchmarkPack evaluates every group of the pack (the targets of a scope,
// or of a model type) on the subjects of the thai-binh-2024 sample, one
// subject per op, with regovm and with topdown (the checker's way: one
// prepared query per group, strict builtin errors).
func BenchmarkPack(b *testing.B) {
	pk := loadPack(b)
	benchOnce.Do(func() {
		benchInputs = sampleInputs(b, pk, sample.Options{Profile: sample.ProfileThaiBinh, Seed: 1}, 100)
	})
	ctx := context.Background()
	comp, err := compileModules(pk.modules)
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range pk.groups {
		inputs := benchInputs[g.key]
		if len(inputs) == 0 {
			continue
		}
		b.Run(g.key+"/regovm", func(b *testing.B) {
			prog := g.program(b, pk)
			data := dataValue(b, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := prog.Eval(ctx, inputs[i%len(inputs)].input, data, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(g.key+"/topdown", func(b *testing.B) {
			td, err := newTopdown(ctx, comp, g.entrypoints, dataDoc(nil))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := td.eval(ctx, inputs[i%len(inputs)].input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
