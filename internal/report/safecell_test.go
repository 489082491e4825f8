package report

import (
	"strings"
	"testing"
)

// safeCellSlow is safeCell as it was written first (every cell that holds
// one of the characters split and rebuilt): the fast paths must give the
// same cells.
func safeCellSlow(s string) string {
	if !strings.ContainsAny(s, "=+-@\t\r\uff1d\uff0b\uff0d\uff20") {
		return s
	}
	var b strings.Builder
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ';' && s[i] != '\r' && s[i] != '\n' {
			continue
		}
		part := s[start:i]
		if formulaStart(part) {
			b.WriteByte('\'')
		}
		b.WriteString(part)
		if i < len(s) {
			b.WriteByte(s[i])
		}
		start = i + 1
	}
	return b.String()
}

var safeCellSeeds = []string{
	"", "xa-001", "ba-ria-vung-tau;ba-ria-vung-tau-h03", "=1+1", "a;=b", "a\n-b", " \"@x", "\t", "x\r",
	"\uff1dSUM(A1)", "ok;\uff0b1", "Ａ full-width A (0xEF too)", "chưa có mô hình \"1+1\" đang hoạt động",
	"a;;", ";", "\n=", "x\xef", "-", "@", "a\uff20", " ＝1",
}

func TestSafeCellSameAsSlow(t *testing.T) {
	for _, s := range safeCellSeeds {
		if got, want := safeCell(s), safeCellSlow(s); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzSafeCell(f *testing.F) {
	for _, s := range safeCellSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := safeCell(s), safeCellSlow(s); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", s, got, want)
		}
	})
}
