package report

import (
	"bytes"
	"testing"
)

// Parse never panics, and whatever it accepts encodes again, to the bytes
// encoding/json gives (nil lists, numbers as float64, any strings).
func FuzzParse(f *testing.F) {
	j, _ := JSON(built())
	f.Add(j)
	f.Add([]byte(`{"apiVersion":"vungmanh/v1","kind":"ComplianceReport"}`))
	f.Add([]byte(`{"apiVersion":"vungmanh/v1","kind":"ComplianceReport","inventory":12,"delta":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"apiVersion":"vungmanh/v1","kind":"ComplianceReport","findings":[{"path":null,"violations":[{"msg":"<\u2028>","details":{"x":1e21,"y":[0.000001,-0,true,null,{"b":"\u0001"}]}}]}],"waivers":{"expired":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		got, err := JSON(r)
		if err != nil {
			t.Fatalf("a parsed report does not encode: %v", err)
		}
		if want, err := referenceJSON(r); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("JSON differs from encoding/json (err %v):\n want %q\n got  %q", err, want, got)
		}
		_ = Delta(r, r)
	})
}
