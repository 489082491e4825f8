package sample

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	for _, o := range []Options{{Profile: ProfileThaiBinh}, {Profile: ProfileHungYen}, {Profile: ProfileNational, Scale: 0.01}, {Profile: ProfileNational, Scale: 0.01, Reform: true, Defects: 0.001}} {
		s, err := Write(context.Background(), t.TempDir(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", s)
	}
}
