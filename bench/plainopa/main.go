package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/loaders"
	"github.com/vungmanh/vungmanh/policies"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "plainopa:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: plainopa export|policies|eval|compare [flags]")
	}
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	snap := fl.String("snapshot", "", "snapshot folder")
	out := fl.String("out", "", "output file or folder")
	data := fl.String("data", "", "data document (export's output)")
	pol := fl.String("policies", "", "policy folder")
	wrapper := fl.String("wrapper", "", "wrapper.rego")
	opaOut := fl.String("opa", "", "opa eval output (JSON)")
	results := fl.String("results", "", "our results.parquet")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "export":
		return export(ctx, *snap, *out)
	case "policies":
		return writePolicies(*out)
	case "eval":
		return evalInProcess(ctx, *data, *pol, *wrapper, *out)
	case "compare":
		return compare(*opaOut, *results)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// export writes the data document.
func export(ctx context.Context, dir, out string) error {
	snap, err := loaders.Load(ctx, dir)
	if err != nil {
		return fmt.Errorf("load snapshot %q: %w", dir, err)
	}
	defer snap.Release()
	pols, err := checker.Load(ctx, policies.FS)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	var targets []map[string]string
	for _, t := range pols.Targets() {
		targets = append(targets, map[string]string{
			"id": t.ID, "package": strings.TrimPrefix(t.Package, "targets."),
			"scope": t.Scope, "model_type": t.ModelType,
		})
	}
	tables := map[string][]map[string]any{}
	for _, t := range snapshot.Tables() {
		tables[string(t)] = rows(snap.Table(t))
	}
	doc := map[string]any{"plain": map[string]any{
		"snapshot": map[string]string{"name": snap.Manifest.Name, "title": snap.Manifest.Title, "as_of": snap.Manifest.AsOf},
		"targets":  targets,
		"tables":   tables,
	}}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create %q: %w", out, err)
	}
	if err := json.NewEncoder(f).Encode(doc); err != nil {
		f.Close()
		return fmt.Errorf("write %q: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %q: %w", out, err)
	}
	return nil
}

// rows turns a record into row objects; null cells are absent keys. Dates
// are "YYYY-MM-DD" strings, lists arrays of strings.
func rows(rec arrow.Record) []map[string]any {
	out := make([]map[string]any, rec.NumRows())
	for i := range out {
		out[i] = map[string]any{}
	}
	if rec == nil {
		return out
	}
	for c, f := range rec.Schema().Fields() {
		col := rec.Column(c)
		for i := range out {
			if col.IsNull(i) {
				continue
			}
			var v any
			switch a := col.(type) {
			case *array.String:
				v = a.Value(i)
			case *array.Dictionary:
				v = snapshot.Strings(a).Value(i)
			case *array.Boolean:
				v = a.Value(i)
			case *array.Int64:
				v = a.Value(i)
			case *array.Float64:
				v = a.Value(i)
			case *array.Date32:
				v = a.Value(i).FormattedString()
			case *array.List:
				vals := a.ListValues().(*array.String)
				s, e := a.ValueOffsets(i)
				l := make([]string, 0, e-s)
				for j := s; j < e; j++ {
					l = append(l, vals.Value(int(j)))
				}
				v = l
			default:
				panic("plainopa: unexpected column type " + col.DataType().String())
			}
			out[i][f.Name] = v
		}
	}
	return out
}

// writePolicies writes the pack's targets and library (not the tests).
func writePolicies(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %q: %w", dir, err)
	}
	return fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return fmt.Errorf("read %q: %w", p, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644); err != nil {
			return fmt.Errorf("write %q: %w", p, err)
		}
		return nil
	})
}

// evalInProcess does what `opa eval -f json -d data -d policies -d wrapper
// data.plainopa.results` does, with OPA's library, for machines
// where the OPA command line cannot be built.
func evalInProcess(ctx context.Context, dataFile, polDir, wrapper, out string) error {
	raw, err := os.ReadFile(dataFile)
	if err != nil {
		return fmt.Errorf("read %q: %w", dataFile, err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		return fmt.Errorf("parse %q: %w", dataFile, err)
	}
	files, err := filepath.Glob(filepath.Join(polDir, "*.rego"))
	if err != nil {
		return err
	}
	files = append(files, wrapper)
	opts := []func(*rego.Rego){rego.Query("data.plainopa.results"), rego.Store(inmem.NewFromObject(data))}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read %q: %w", f, err)
		}
		opts = append(opts, rego.Module(f, string(b)))
	}
	opts = append(opts, rego.SetRegoVersion(ast.RegoV1))
	rs, err := rego.New(opts...).Eval(ctx)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return fmt.Errorf("eval: want one result, got %d", len(rs))
	}
	doc := map[string]any{"result": []any{map[string]any{"expressions": []any{map[string]any{"value": rs[0].Expressions[0].Value}}}}}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// verdicts maps "target subject" to pass, fail or skipped.
type verdicts map[string]string

func readOPA(path string) (verdicts, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	var doc struct {
		Result []struct {
			Expressions []struct {
				Value [][3]string `json:"value"`
			} `json:"expressions"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse %q: %w", path, err)
	}
	if len(doc.Result) != 1 || len(doc.Result[0].Expressions) != 1 {
		return nil, fmt.Errorf("parse %q: want one result with one expression", path)
	}
	v := verdicts{}
	for _, r := range doc.Result[0].Expressions[0].Value {
		v[r[0]+" "+r[1]] = r[2]
	}
	return v, nil
}

func readResults(path string) (verdicts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 1<<16)
	defer tr.Release()
	v := verdicts{}
	for tr.Next() {
		rec := tr.Record()
		tg := snapshot.Strings(snapshot.Column(rec, "target"))
		sj := snapshot.Strings(snapshot.Column(rec, "subject"))
		st := snapshot.Strings(snapshot.Column(rec, "status"))
		for i := 0; i < int(rec.NumRows()); i++ {
			v[tg.Value(i)+" "+sj.Value(i)] = st.Value(i)
		}
	}
	return v, nil
}

// compare prints the differences and fails when there are any.
func compare(opaFile, resultsFile string) error {
	theirs, err := readOPA(opaFile)
	if err != nil {
		return err
	}
	ours, err := readResults(resultsFile)
	if err != nil {
		return err
	}
	var diffs []string
	for k, o := range ours {
		if t := theirs[k]; t != o {
			diffs = append(diffs, fmt.Sprintf("%s: ours %s, plain OPA %q", k, o, t))
		}
	}
	for k, t := range theirs {
		if _, ok := ours[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: ours absent, plain OPA %s", k, t))
		}
	}
	sort.Strings(diffs)
	counts := map[string]int{}
	for _, s := range ours {
		counts[s]++
	}
	if len(diffs) > 0 {
		for i, d := range diffs {
			if i == 20 {
				fmt.Fprintf(os.Stderr, "... and %d more\n", len(diffs)-20)
				break
			}
			fmt.Fprintln(os.Stderr, d)
		}
		return fmt.Errorf("plain OPA differs from ours on %d of %d results", len(diffs), len(ours))
	}
	fmt.Printf("plain OPA results match ours: %d results (pass %d, fail %d, skipped %d)\n",
		len(ours), counts["pass"], counts["fail"], counts["skipped"])
	return nil
}
