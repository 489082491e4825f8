package snapshot

import (
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
)

// Dated references at the 30 June / 1 July 2025 boundary.
func TestVersionsBoundary(t *testing.T) {
	v := NewVersions()
	v.History = []UnitVersion{{ID: "11953", Name: "Phường Hiến Nam", From: NoStart, To: Day(2025, time.June, 30)}}
	v.Add("11953", NoStart, Day(2025, time.June, 30), 0, false)
	v.Add("11953", Day(2025, time.July, 1), NoEnd, Current, false)
	v.Add("12100", NoStart, Day(2025, time.June, 30), 0, true) // an excluded version
	v.Seal()
	june, _ := MonthEnd("2025-06")
	july, _ := MonthEnd("2025-07")
	feb, _ := MonthEnd("2024-02")
	if feb != Day(2024, time.February, 29) {
		t.Errorf("MonthEnd(2024-02) = %s", feb.FormattedString())
	}
	for _, c := range []struct {
		name         string
		ver, wantVer int
	}{
		{"30 June", at(v, "11953", Day(2025, time.June, 30)), 0},
		{"1 July", at(v, "11953", Day(2025, time.July, 1)), Current},
		{"June's activity", at(v, "11953", june), 0},
		{"July's activity", at(v, "11953", july), Current},
	} {
		if c.ver != c.wantVer {
			t.Errorf("%s: version %d, want %d", c.name, c.ver, c.wantVer)
		}
	}
	if ver, _, ok := v.InYear("11953", 2024); !ok || ver != 0 {
		t.Errorf("rating of 2024: %d %v, want the old version", ver, ok)
	}
	if ver, _, ok := v.InYear("11953", 2025); !ok || ver != Current {
		t.Errorf("rating of 2025: %d %v, want the current version (valid on 31 December)", ver, ok)
	}
	if ver, ex, ok := v.InYear("12100", 2025); !ok || ver != 0 || !ex {
		t.Errorf("rating of 2025 of a unit that ended on 30 June: %d %v %v, want its last version, excluded", ver, ex, ok)
	}
	if _, _, ok := v.InYear("12100", 2026); ok {
		t.Error("rating of 2026 of a unit that ended in 2025 resolved")
	}
	if v.Has("33") || !v.Has("11953") {
		t.Error("Has")
	}
	var nilV *Versions
	if ver, _, ok := nilV.At("x", 0); ver != Current || ok || nilV.Has("x") {
		t.Error("a nil Versions is v1: every code is its current unit")
	}
}

func at(v *Versions, id string, d arrow.Date32) int {
	ver, _, _ := v.At(id, d)
	return ver
}
