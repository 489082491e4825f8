package checker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"
)

// LayerFile is the marker that makes a policy folder a layer: a folder
// holding it adds its targets to the pack below it (the built-in pack) and
// may replace targets of that pack by id, instead of replacing the whole
// pack.
//
//	# layer.yaml
//	name: hung-yen        # [a-z0-9-]{1,63}: the pack's name in reports and in file names
//	replace: [TB-03]      # ids of targets below that a target of this layer replaces
const LayerFile = "layer.yaml"

// Pack is one set of policy files: the built-in pack, a province's layer.
type Pack struct {
	// Name is the pack's name: report.json names it for each of its
	// targets, and when packs are stacked every file of the pack is named
	// "<Name>/<path>" in errors.
	Name string
	FS   fs.FS
	// Replace lists the ids of targets of the packs below that a target of
	// this pack replaces: the package of each, and its tests, are left out.
	Replace []string
	// replaceRows holds the line of layer.yaml that names each Replace id.
	replaceRows map[string]int
}

var packName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ReadLayer reads the LayerFile of fsys and returns fsys as a pack to lay
// on another; ok is false when fsys has no LayerFile. A LayerFile that does
// not parse, has an unknown key, or a bad name is a PolicyErrors at its
// line.
func ReadLayer(fsys fs.FS) (p Pack, ok bool, err error) {
	b, err := fs.ReadFile(fsys, LayerFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Pack{}, false, nil
	}
	if err != nil {
		return Pack{}, false, fmt.Errorf("read %s: %w", LayerFile, err)
	}
	fail := func(row int, format string, args ...any) (Pack, bool, error) {
		if row < 1 {
			row = 1
		}
		return Pack{}, false, PolicyErrors{{File: LayerFile, Row: row, Col: 1, Message: fmt.Sprintf(format, args...)}}
	}
	var spec struct {
		Name    string   `yaml:"name"`
		Replace []string `yaml:"replace"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		row := 1
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if errors.As(err, &te) && len(te.Errors) > 0 {
			var field string
			if n, _ := fmt.Sscanf(te.Errors[0], "line %d: field %s not found", &row, &field); n == 2 {
				msg = fmt.Sprintf("unknown key %q", field)
			} else if _, after, ok := strings.Cut(te.Errors[0], ": "); ok {
				msg = after
			}
		}
		return fail(row, "%s: %s (the keys are name and replace)", LayerFile, msg)
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(b, &doc)
	rows := map[string]int{}
	nameRow := 1
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			switch m.Content[i].Value {
			case "name":
				nameRow = m.Content[i].Line
			case "replace":
				for _, item := range m.Content[i+1].Content {
					rows[item.Value] = item.Line
				}
			}
		}
	}
	if !packName.MatchString(spec.Name) || spec.Name == BuiltinPack {
		return fail(nameRow, "%s: name %q: want a name of the layer in [a-z0-9-]{1,63} other than %q (reports name it as the pack of its targets)", LayerFile, spec.Name, BuiltinPack)
	}
	return Pack{Name: spec.Name, FS: fsys, Replace: spec.Replace, replaceRows: rows}, true, nil
}

// BuiltinPack is the name of the pack built into the binary.
const BuiltinPack = "builtin"

// LoadStack compiles packs laid on each other, the first at the bottom: the
// targets of every pack, less those a pack above replaces, with every
// library. Each file is named "<pack>/<path>" in errors and each target
// knows its pack (Target.Pack). A target id defined by two packs without
// the upper one replacing it, a replaced id that no pack below defines or
// that the replacing pack does not define, and a target package defined in
// two packs are errors naming both files.
func LoadStack(ctx context.Context, packs ...Pack) (*Policies, error) {
	files, packOf, err := stackFiles(ctx, packs, false)
	if err != nil {
		return nil, err
	}
	return compileFiles(files, loadConfig{packOf: packOf})
}

// StackFS returns the files of packs laid on each other as LoadStack sees
// them, *_test.rego files included (the tests of a replaced target are left
// out): a file system for `vungmanh test` of a layer.
func StackFS(ctx context.Context, packs ...Pack) (fs.FS, error) {
	files, _, err := stackFiles(ctx, packs, true)
	if err != nil {
		return nil, err
	}
	m := fstest.MapFS{}
	for _, f := range files {
		m[f.name] = &fstest.MapFile{Data: f.src}
	}
	return m, nil
}

// stackedFile is a .rego file of a pack with what stackFiles needs to know.
type stackedFile struct {
	policyFile
	pack  string
	pkg   string // "targets.x", "" when the file does not parse
	id    string // custom.id of a target package's METADATA
	idLoc *ast.Location
	test  bool
}

func readPack(ctx context.Context, p Pack, prefix string) ([]stackedFile, error) {
	var out []stackedFile
	err := fs.WalkDir(p.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(name, ".rego") {
			return nil
		}
		b, err := fs.ReadFile(p.FS, name)
		if err != nil {
			return err
		}
		f := stackedFile{policyFile: policyFile{name: prefix + name, src: b}, pack: p.Name, test: strings.HasSuffix(name, "_test.rego")}
		m, err := ast.ParseModuleWithOpts(f.name, string(bytes.TrimPrefix(b, []byte("\ufeff"))),
			ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err == nil {
			f.pkg = strings.TrimPrefix(m.Package.Path.String(), "data.")
			for _, a := range m.Annotations {
				if a.Scope != "package" {
					continue
				}
				if id, ok := a.Custom["id"].(string); ok && m.Package.Path.HasPrefix(targetsRoot) {
					f.id, f.idLoc = strings.TrimSpace(id), metadataKeyLoc(a, m.Comments, "id")
				}
			}
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policies of pack %q: %w", p.Name, err)
	}
	return out, nil
}

func stackFiles(ctx context.Context, packs []Pack, tests bool) ([]policyFile, func(string) string, error) {
	if len(packs) == 0 {
		return nil, nil, errors.New("no policy pack")
	}
	var (
		live []stackedFile
		errs PolicyErrors
	)
	names := map[string]bool{}
	for i, p := range packs {
		prefix := ""
		if len(packs) > 1 {
			if names[p.Name] || p.Name == "" {
				return nil, nil, fmt.Errorf("stack policies: pack name %q is empty or used twice", p.Name)
			}
			names[p.Name] = true
			prefix = p.Name + "/"
		}
		files, err := readPack(ctx, p, prefix)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			live = files
			continue
		}
		layerFile := prefix + LayerFile
		own := map[string]stackedFile{} // id -> the file of this pack declaring it
		for _, f := range files {
			if f.id != "" {
				own[f.id] = f
			}
		}
		// Replace: drop each replaced target's package and its tests.
		replaced := map[string]bool{}
		drop := map[string]bool{} // packages left out
		for _, id := range p.Replace {
			replaced[id] = true
			var pkg string
			var ids []string
			for _, f := range live {
				if f.id == id {
					pkg = f.pkg
				}
				if f.id != "" {
					ids = append(ids, f.id)
				}
			}
			row := p.replaceRows[id]
			if row == 0 {
				row = 1
			}
			if pkg == "" {
				sort.Strings(ids)
				errs = append(errs, PolicyError{File: layerFile, Row: row, Col: 1,
					Message: fmt.Sprintf("replace: no target %q below pack %s (the targets below are %s)", id, p.Name, strings.Join(ids, ", "))})
				continue
			}
			if _, ok := own[id]; !ok {
				errs = append(errs, PolicyError{File: layerFile, Row: row, Col: 1,
					Message: fmt.Sprintf("replace: %s replaces target %q but none of its targets has custom.id %q (to replace it, give one of them that id)", p.Name, id, id)})
				continue
			}
			drop[pkg], drop[pkg+"_test"] = true, true
		}
		kept := live[:0:0]
		for _, f := range live {
			if !drop[f.pkg] {
				kept = append(kept, f)
			}
		}
		live = kept
		// A target id or a target package both below and in this pack, not
		// replaced, is an error naming both files.
		below := map[string]stackedFile{}
		belowPkg := map[string]stackedFile{}
		for _, f := range live {
			if f.id != "" {
				below[f.id] = f
			}
			if strings.HasPrefix(f.pkg, "targets.") {
				belowPkg[f.pkg] = f
			}
		}
		for _, f := range files {
			at := PolicyError{File: f.name, Row: 1, Col: 1}
			if f.idLoc != nil {
				at.Row, at.Col = f.idLoc.Row, f.idLoc.Col
			}
			if prev, dup := below[f.id]; dup && f.id != "" && !replaced[f.id] {
				at.Message = fmt.Sprintf("duplicate target id %q: also %s in %s (pack %s); give this target another id, or list %s under replace: in %s to replace it",
					f.id, prev.pkg, prev.name, prev.pack, f.id, layerFile)
				errs = append(errs, at)
				continue
			}
			if prev, dup := belowPkg[f.pkg]; dup {
				at.Message = fmt.Sprintf("package %s is also in %s (pack %s): a layer's targets have packages of their own (a replaced target's package is free again)",
					f.pkg, prev.name, prev.pack)
				errs = append(errs, at)
			}
		}
		live = append(live, files...)
	}
	if len(errs) > 0 {
		return nil, nil, errs.sorted()
	}
	packOf := map[string]string{}
	var out []policyFile
	for _, f := range live {
		packOf[f.name] = f.pack
		if f.test && !tests {
			continue
		}
		out = append(out, f.policyFile)
	}
	return out, func(file string) string { return packOf[file] }, nil
}
