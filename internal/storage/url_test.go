package storage_test

import (
	"errors"
	"testing"

	"github.com/vungmanh/vungmanh/internal/storage"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		want    storage.Location
		wantErr bool
		badURL  bool
	}{
		{url: "exports/tb", want: storage.Location{Dir: "exports/tb"}},
		{url: "/var/reports", want: storage.Location{Dir: "/var/reports"}},
		{url: "file:///var/reports", want: storage.Location{Dir: "/var/reports"}},
		{url: "file://localhost/var/reports", want: storage.Location{Dir: "/var/reports"}},
		{url: "gs://b", want: storage.Location{Bucket: "b"}},
		{url: "gs://b/", want: storage.Location{Bucket: "b"}},
		{url: "gs://b/tb/2024-09-30/", want: storage.Location{Bucket: "b", Prefix: "tb/2024-09-30"}},
		{url: "gs://", wantErr: true, badURL: true},
		{url: "gs:///nobucket", wantErr: true, badURL: true},
		{url: "gs://b/a/../x", wantErr: true, badURL: true},
		{url: "gs://b/a//x", wantErr: true, badURL: true},
		{url: "gs://b/./x", wantErr: true, badURL: true},
		{url: "file://remote/x", wantErr: true},
		{url: "file://", wantErr: true},
		{url: "s3://b/x", wantErr: true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			got, err := storage.ParseURL(tc.url)
			if (err != nil) != tc.wantErr || errors.Is(err, storage.ErrBadURL) != tc.badURL {
				t.Fatalf("ParseURL(%q) err = %v, want error %v (ErrBadURL %v)", tc.url, err, tc.wantErr, tc.badURL)
			}
			if got != tc.want {
				t.Errorf("ParseURL(%q) = %+v, want %+v", tc.url, got, tc.want)
			}
		})
	}
}

func TestLocationSplit(t *testing.T) {
	for _, tc := range []struct {
		loc, dir storage.Location
		name     string
	}{
		{storage.Location{Bucket: "b", Prefix: "p/q/params.yaml"}, storage.Location{Bucket: "b", Prefix: "p/q"}, "params.yaml"},
		{storage.Location{Bucket: "b", Prefix: "params.yaml"}, storage.Location{Bucket: "b"}, "params.yaml"},
		{storage.Location{Bucket: "b"}, storage.Location{Bucket: "b"}, ""},
		{storage.Location{Dir: "a/b"}, storage.Location{Dir: "a/b"}, ""},
	} {
		dir, name := tc.loc.Split()
		if dir != tc.dir || name != tc.name {
			t.Errorf("%v.Split() = %+v, %q; want %+v, %q", tc.loc, dir, name, tc.dir, tc.name)
		}
	}
}
