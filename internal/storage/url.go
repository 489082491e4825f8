package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"
)

// Location is a storage URL parsed once: a local folder (Dir) or a Cloud
// Storage bucket with a prefix (Bucket, Prefix). Exactly one of Dir and
// Bucket is set.
type Location struct {
	// Dir is the local path of a folder path or file:// URL, as given.
	Dir string
	// Bucket and Prefix name gs://Bucket/Prefix; Prefix has no leading or
	// trailing "/" and no "..", "." or empty element.
	Bucket, Prefix string
}

// IsGCS reports whether l names Cloud Storage.
func (l Location) IsGCS() bool { return l.Bucket != "" }

// String returns the location as a URL (gs://) or a path.
func (l Location) String() string {
	if !l.IsGCS() {
		return l.Dir
	}
	if l.Prefix == "" {
		return "gs://" + l.Bucket
	}
	return "gs://" + l.Bucket + "/" + l.Prefix
}

// Split returns the location of the folder that holds l and the last
// element of l's path: for gs://b/p/f.yaml, gs://b/p and "f.yaml". A
// bucket without a prefix, or a local path, gives an empty name.
func (l Location) Split() (Location, string) {
	if !l.IsGCS() || l.Prefix == "" {
		return l, ""
	}
	dir, name := path.Split(l.Prefix)
	return Location{Bucket: l.Bucket, Prefix: strings.TrimSuffix(dir, "/")}, name
}

// ParseURL parses a storage URL: a local path, file:///path or
// gs://bucket/prefix. A gs:// URL without a bucket, or whose prefix has
// "..", "." or empty ("//") elements, is ErrBadURL: Cloud Storage would
// take them as part of object names. A file:// URL with a remote host or
// without a path, and any other scheme, is an error too. The error does not
// repeat the URL: callers say what they were opening.
func ParseURL(raw string) (Location, error) {
	switch {
	case strings.HasPrefix(raw, "gs://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Location{}, fmt.Errorf("%w: %v", ErrBadURL, err)
		}
		if u.Host == "" {
			return Location{}, fmt.Errorf("%w: no bucket name", ErrBadURL)
		}
		prefix := strings.Trim(u.Path, "/")
		if prefix != "" && !fs.ValidPath(prefix) {
			return Location{}, fmt.Errorf("%w: the prefix %q has a \"..\", \".\" or empty element", ErrBadURL, prefix)
		}
		return Location{Bucket: u.Host, Prefix: prefix}, nil
	case strings.HasPrefix(raw, "file://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Location{}, err
		}
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, errors.New("file URL with a remote host")
		}
		if u.Path == "" {
			return Location{}, errors.New("file URL without a path")
		}
		return Location{Dir: u.Path}, nil
	case strings.Contains(raw, "://"):
		return Location{}, errors.New("unsupported scheme")
	}
	return Location{Dir: raw}, nil
}
