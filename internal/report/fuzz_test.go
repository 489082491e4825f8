package report

import (
	"testing"
)

// Parse never panics, and whatever it accepts encodes again.
func FuzzParse(f *testing.F) {
	j, _ := JSON(built())
	f.Add(j)
	f.Add([]byte(`{"apiVersion":"vungmanh/v1","kind":"ComplianceReport"}`))
	f.Add([]byte(`{"apiVersion":"vungmanh/v1","kind":"ComplianceReport","inventory":12,"delta":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		if _, err := JSON(r); err != nil {
			t.Fatalf("a parsed report does not encode: %v", err)
		}
		_ = Delta(r, r)
	})
}
