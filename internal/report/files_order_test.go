package report

import (
	"slices"
	"testing"
)

// The formats start costliest first (the site, the XLSX, results.parquet,
// report.json, findings.csv), whatever order --formats lists them in, and
// each format once.
func TestCostliestFirst(t *testing.T) {
	for _, formats := range [][]Format{
		{FormatJSON, FormatHTML, FormatCSV, FormatParquet, FormatXLSX},
		{FormatCSV, FormatParquet, FormatJSON, FormatXLSX, FormatHTML},
		{FormatXLSX, FormatJSON, FormatHTML, FormatParquet, FormatCSV},
	} {
		var got []Format
		for _, i := range costliestFirst(formats) {
			got = append(got, formats[i])
		}
		want := []Format{FormatHTML, FormatXLSX, FormatParquet, FormatJSON, FormatCSV}
		if !slices.Equal(got, want) {
			t.Errorf("costliestFirst(%v) starts %v, want %v", formats, got, want)
		}
	}
	var got []Format
	for _, i := range costliestFirst([]Format{FormatJSON, FormatParquet}) {
		got = append(got, []Format{FormatJSON, FormatParquet}[i])
	}
	if want := []Format{FormatParquet, FormatJSON}; !slices.Equal(got, want) {
		t.Errorf("json,parquet starts %v, want %v", got, want)
	}
}
