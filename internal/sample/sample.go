package sample

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// The profiles.
const (
	ProfileThaiBinh = "thai-binh-2024"
	ProfileHungYen  = "hung-yen-2026"
	ProfileNational = "national"
)

// The formats of the table files.
const (
	FormatCSV     = "csv"
	FormatParquet = "parquet"
	FormatXLSX    = "xlsx"
)

// Profiles lists the profile names.
func Profiles() []string {
	return []string{ProfileThaiBinh, ProfileHungYen, ProfileMergerBefore, ProfileMergerAfter, ProfileNational}
}

// Options select and shape a sample snapshot.
type Options struct {
	Profile string  // one of Profiles()
	Scale   float64 // national only: multiplies the counts; 0 means 1
	Reform  bool    // national only: after the 2025 reform (34 provinces, 3,321 communes, no districts), the pre-reform units as history
	Defects float64 // share of rows given a data-quality error, 0 for clean data
	Seed    int64   // same seed, same bytes
	Format  string  // csv (default), parquet or xlsx
}

func (o Options) scale() float64 {
	if o.Scale == 0 {
		return 1
	}
	return o.Scale
}

func (o Options) format() string {
	if o.Format == "" {
		return FormatCSV
	}
	return o.Format
}

// Validate reports the first problem of o.
func (o Options) Validate() error {
	if !slices.Contains(Profiles(), o.Profile) {
		return fmt.Errorf("unknown sample profile %q (want one of %s)", o.Profile, strings.Join(Profiles(), ", "))
	}
	if s := o.scale(); s <= 0 || s > 10 || math.IsNaN(s) {
		return fmt.Errorf("sample scale %v out of range (0, 10]", o.Scale)
	}
	if o.Profile != ProfileNational && (o.Scale != 0 && o.Scale != 1 || o.Reform) {
		return fmt.Errorf("sample profile %q has a fixed size: scale and reform apply to %q only", o.Profile, ProfileNational)
	}
	if o.Defects < 0 || o.Defects > 0.5 || math.IsNaN(o.Defects) {
		return fmt.Errorf("sample defect rate %v out of range [0, 0.5]", o.Defects)
	}
	switch o.format() {
	case FormatCSV, FormatParquet, FormatXLSX:
	default:
		return fmt.Errorf("unknown sample format %q (want csv, parquet or xlsx)", o.Format)
	}
	return nil
}

// Summary says what Write or FS produced.
type Summary struct {
	Profile string
	Name    string // the manifest's name
	AsOf    string // YYYY-MM-DD
	Format  string
	// Files lists the files written, snapshot.yaml first.
	Files []string
	// Rows counts the data rows written per table (defective rows included).
	Rows map[snapshot.Table]int64
	// Defects counts the defects injected per code.
	Defects map[snapshot.Code]int
}

// Write writes the sample snapshot of opts into dir (created if needed):
// snapshot.yaml and one file per table. Members are generated and written
// in batches, so memory stays bounded at any scale.
func Write(ctx context.Context, dir string, opts Options) (Summary, error) {
	if err := opts.Validate(); err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("create sample folder %q: %w", dir, err)
	}
	sum, err := emit(ctx, build(opts), opts, dirSink(dir))
	if err != nil {
		return sum, fmt.Errorf("write sample %s to %q: %w", opts.Profile, dir, err)
	}
	return sum, nil
}

// FS returns the sample snapshot of opts in memory, as Write would write it
// (Parquet unless opts.Format says otherwise). Meant for thai-binh-2024,
// hung-yen-2026 and national at small scales: the files are held in memory.
func FS(ctx context.Context, opts Options) (fs.FS, error) {
	if opts.Format == "" {
		opts.Format = FormatParquet
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	m := fstest.MapFS{}
	if _, err := emit(ctx, build(opts), opts, memSink(m)); err != nil {
		return nil, fmt.Errorf("build sample %s: %w", opts.Profile, err)
	}
	return m, nil
}

// DefaultSeed is the seed of `vungmanh sample` without --seed and of a
// sample:// URL without ?seed=, so that sample://thai-binh-2024 is the
// snapshot `vungmanh sample --profile thai-binh-2024` writes.
const DefaultSeed = 1

// ParseURL parses "sample://PROFILE?scale=0.1&seed=2&defects=0.01&reform=true&format=csv".
// The bool is false (and the error nil) when u is not a sample URL.
func ParseURL(u string) (Options, bool, error) {
	if !strings.HasPrefix(strings.ToLower(u), "sample://") {
		return Options{}, false, nil
	}
	p, err := url.Parse(u)
	if err != nil {
		return Options{}, true, fmt.Errorf("parse sample URL %q: %w", u, err)
	}
	o := Options{Profile: p.Host + strings.TrimSuffix(p.Path, "/"), Seed: DefaultSeed}
	for k, vs := range p.Query() {
		v := vs[len(vs)-1]
		var err error
		switch k {
		case "scale":
			o.Scale, err = strconv.ParseFloat(v, 64)
		case "seed":
			o.Seed, err = strconv.ParseInt(v, 10, 64)
		case "defects":
			o.Defects, err = strconv.ParseFloat(v, 64)
		case "reform":
			o.Reform, err = strconv.ParseBool(v)
		case "format":
			o.Format = v
		default:
			err = errors.New("unknown parameter")
		}
		if err != nil {
			return Options{}, true, fmt.Errorf("parse sample URL %q: %s=%q: %w", u, k, v, err)
		}
	}
	if err := o.Validate(); err != nil {
		return Options{}, true, fmt.Errorf("parse sample URL %q: %w", u, err)
	}
	return o, true, nil
}
