package snapshot

import "testing"

func TestReasonString(t *testing.T) {
	for _, tc := range []struct {
		r    Reason
		want string
	}{
		{RowReason("DQ003", 12), "DQ003 on row 12"},
		{AncestorReason("xa-1"), "ancestor xa-1 excluded"},
		{UnitReason("ch-9a"), "unit ch-9a excluded"},
		{Reason{}, ""},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}
