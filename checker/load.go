package checker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Scopes returns the scopes a target may declare (docs/policy-input.md),
// from the top of the hierarchy down, models last.
func Scopes() []string { return slices.Clone(targetScopes) }

// Severities returns the severities a target may declare; medium is the
// default.
func Severities() []string { return slices.Clone(targetSeverities) }

var (
	targetScopes     = []string{"province", "district", "commune", "branch", "group", "model"}
	targetSeverities = []string{"high", "medium", "low"}
)

// PolicyError is one problem found while loading policies, at a place in a
// .rego file.
type PolicyError struct {
	File    string `json:"file"`
	Row     int    `json:"row"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

// appendNew appends to errs the errors of more at a place (file, row,
// column) that errs does not name yet.
func appendNew(errs, more PolicyErrors) PolicyErrors {
	type place struct {
		file     string
		row, col int
	}
	seen := map[place]bool{}
	for _, e := range errs {
		seen[place{e.File, e.Row, e.Col}] = true
	}
	for _, e := range more {
		if p := (place{e.File, e.Row, e.Col}); !seen[p] {
			seen[p] = true
			errs = append(errs, e)
		}
	}
	return errs
}

func (e PolicyError) Error() string {
	if e.Row == 0 && e.Col == 0 {
		if e.File == "" {
			return e.Message // about a bundle as a whole
		}
		return e.File + ": " + e.Message
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Row, e.Col, e.Message)
}

// PolicyErrors lists every problem found while loading policies, sorted by
// file, row and column. Its Error prints one "file:row:col: message" per line.
type PolicyErrors []PolicyError

func (es PolicyErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es PolicyErrors) sorted() PolicyErrors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Message < b.Message
	})
	// Drop exact duplicates: compiling per scope may report a library problem
	// more than once.
	out := es[:0]
	for i, e := range es {
		if i > 0 && e == es[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Policies is a compiled, validated set of targets. It is safe for concurrent
// use and may serve many Checkers.
type Policies struct {
	targets []Target
	// compilers holds one compiler per scope that has targets: the scope's
	// target packages plus every library package, type-checked against the
	// scope's input schema.
	compilers map[string]*ast.Compiler
	// inputKeys holds, per scope, the keys of input its compiler's rules
	// can read (readInputKeys): the inputs of that scope hold only these.
	inputKeys map[string]inputKeys
	// rules records which of violation, warning and skip each package defines.
	rules  map[string]ruleSet
	sha256 string
}

type ruleSet struct{ violation, warning, skip bool }

// Targets returns the targets sorted by id.
func (p *Policies) Targets() []Target { return append([]Target(nil), p.targets...) }

// SHA256 is the hex digest of the policy files: for each file, sorted by
// path, its path, a NUL byte, its content and a NUL byte.
func (p *Policies) SHA256() string { return p.sha256 }

type policyFile struct {
	name string
	src  []byte
}

// Load compiles every .rego file of fsys (recursively; *_test.rego files are
// skipped) as Rego v1 in strict mode with the sandbox capabilities, discovers
// the targets under data.targets and checks their metadata and their use of
// input against the scope's JSON Schema. On failure the error is a
// PolicyErrors listing every problem.
func Load(ctx context.Context, fsys fs.FS, opts ...LoadOption) (*Policies, error) {
	files, err := readPolicyFiles(ctx, fsys)
	if err != nil {
		return nil, err
	}
	return compileFiles(files, loadOptions(opts))
}

// HashFS is the SHA256 Load gives the policies of fsys, without compiling
// them (the app tells the built-in pack from a custom one by it).
func HashFS(ctx context.Context, fsys fs.FS) (string, error) {
	files, err := readPolicyFiles(ctx, fsys)
	if err != nil {
		return "", err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return hashFiles(files), nil
}

// readPolicyFiles reads every .rego file of fsys but the *_test.rego ones.
func readPolicyFiles(ctx context.Context, fsys fs.FS) ([]policyFile, error) {
	var files []policyFile
	var tooBig PolicyErrors
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Size() > MaxPolicyFileBytes {
			tooBig = append(tooBig, PolicyError{File: p, Message: fmt.Sprintf("the file holds %d bytes, more than the %d allowed for one policy file", info.Size(), MaxPolicyFileBytes)})
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, policyFile{name: p, src: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policies: %w", err)
	}
	if len(tooBig) > 0 {
		return nil, tooBig
	}
	return files, nil
}

// LoadOption is an option of Load and LoadBundle.
type LoadOption func(*loadConfig)

type loadConfig struct {
	pack     string
	packOf   func(file string) string // when set, wins over pack
	noShapes bool                     // withoutShapeCheck
}

func (c loadConfig) packOfFile(file string) string {
	if c.packOf != nil {
		return c.packOf(file)
	}
	return c.pack
}

// withoutShapeCheck loads targets whose violation, warning or skip has the
// wrong shape (shapeErrors), for the tests of what the engines do with
// them at run time.
func withoutShapeCheck() LoadOption { return func(c *loadConfig) { c.noShapes = true } }

func loadOptions(opts []LoadOption) loadConfig {
	var c loadConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithPackName names the pack every target loaded comes from (Target.Pack,
// report.json's "pack"), e.g. BuiltinPack.
func WithPackName(name string) LoadOption { return func(c *loadConfig) { c.pack = name } }

// LoadBundle reads an OPA bundle (.tar.gz) and compiles its .rego modules
// like Load, with the same errors: a module that does not compile is a
// PolicyErrors at its file:row:col, as in a folder. Data files of the
// bundle are ignored (targets read data.params and data.vocab, which the
// checker provides); so are its manifest and signatures. An archive that
// is not a gzipped tar, or that breaks a limit (MaxPolicyFileBytes for one
// .rego file, MaxBundleBytes for the archive unpacked), is a PolicyErrors
// too: the bundle has to be fixed, retrying cannot help. Each member's size
// is checked from its tar header before it is read, so a small archive
// that unpacks into a huge file is refused without holding it.
func LoadBundle(ctx context.Context, r io.Reader, opts ...LoadOption) (*Policies, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files, err := readBundle(r)
	if err != nil {
		return nil, err
	}
	return compileFiles(files, loadOptions(opts))
}

// Limits of the policies read.
const (
	// MaxPolicyFileBytes caps one .rego file of a folder or a bundle:
	// 8 MiB (the pack's largest file is a few KB).
	MaxPolicyFileBytes = 8 << 20
	// MaxBundleBytes caps a bundle unpacked, every member included: 64 MiB.
	MaxBundleBytes = 64 << 20
)

// readBundle returns the .rego files of a gzipped tar archive, tests left
// out, with names cleaned as OPA's bundle reader cleans them.
func readBundle(r io.Reader) ([]policyFile, error) {
	bad := func(file, format string, args ...any) error {
		return PolicyErrors{{File: file, Message: "policy bundle: " + fmt.Sprintf(format, args...)}}
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, bad("", "not a gzipped tar archive: %v", err)
	}
	unpacked := &limitedReader{r: zr, n: MaxBundleBytes}
	tr := tar.NewReader(unpacked)
	var files []policyFile
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if unpacked.n < 0 {
				return nil, bad("", "larger than %d bytes unpacked", MaxBundleBytes)
			}
			return nil, bad("", "not a gzipped tar archive: %v", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		if h.Size > MaxPolicyFileBytes {
			return nil, bad(name, "the file holds %d bytes, more than the %d allowed for one policy file", h.Size, MaxPolicyFileBytes)
		}
		src, err := io.ReadAll(tr)
		if err != nil {
			if unpacked.n < 0 {
				return nil, bad("", "larger than %d bytes unpacked", MaxBundleBytes)
			}
			return nil, bad(name, "read the file: %v", err)
		}
		files = append(files, policyFile{name: name, src: src})
	}
	return files, nil
}

// limitedReader fails once more than n bytes were read (n goes negative).
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errors.New("size limit reached")
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errors.New("size limit reached")
	}
	return n, err
}

func hashFiles(files []policyFile) string {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.name))
		h.Write([]byte{0})
		h.Write(f.src)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

var targetsRoot = ast.MustParseRef("data.targets")

// compileFiles compiles files with the options of cfg.
func compileFiles(files []policyFile, cfg loadConfig) (*Policies, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	var errs PolicyErrors
	modules := map[string]*ast.Module{}
	popts := ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1, Capabilities: Capabilities()}
	for _, f := range files {
		m, err := ast.ParseModuleWithOpts(f.name, string(bytes.TrimPrefix(f.src, []byte("\ufeff"))), popts)
		if err != nil {
			errs = append(errs, astErrors(f.name, err)...)
			continue
		}
		modules[f.name] = m
	}
	if len(files) == 0 {
		errs = append(errs, PolicyError{File: ".", Row: 1, Col: 1, Message: "no .rego files"})
		return nil, errs
	}
	// Parse errors do not stop here: the files that parsed are still checked
	// and compiled, so that one run lists every problem.

	// Discover targets: one per package under data.targets.
	type pkgInfo struct {
		path  string // "targets.x"
		files []string
		anns  []*ast.Annotations
		loc   *ast.Location
		rules ruleSet
	}
	pkgs := map[string]*pkgInfo{}
	annComments := map[*ast.Annotations][]*ast.Comment{}
	keyLoc := func(a *ast.Annotations, keys ...string) *ast.Location {
		return metadataKeyLoc(a, annComments[a], keys...)
	}
	var pkgOrder []string
	for _, name := range sortedKeys(modules) {
		m := modules[name]
		if !m.Package.Path.HasPrefix(targetsRoot) {
			continue
		}
		p := strings.TrimPrefix(m.Package.Path.String(), "data.")
		pi := pkgs[p]
		if pi == nil {
			pi = &pkgInfo{path: p, loc: m.Package.Location}
			pkgs[p] = pi
			pkgOrder = append(pkgOrder, p)
		}
		pi.files = append(pi.files, name)
		if !cfg.noShapes {
			errs = append(errs, shapeErrors(m)...)
		}
		for _, a := range m.Annotations {
			if a.Scope == "package" || a.Scope == "subpackages" {
				pi.anns = append(pi.anns, a)
				annComments[a] = m.Comments
			}
		}
		for _, r := range m.Rules {
			switch r.Head.Ref().String() {
			case "violation":
				pi.rules.violation = true
			case "warning":
				pi.rules.warning = true
			case "skip":
				pi.rules.skip = true
			}
		}
	}
	sort.Strings(pkgOrder)

	var targets []Target
	byID := map[string]Target{}
	rules := map[string]ruleSet{}
	for _, p := range pkgOrder {
		pi := pkgs[p]
		at := func(loc *ast.Location, format string, args ...any) {
			e := PolicyError{File: pi.files[0], Row: 1, Col: 1, Message: fmt.Sprintf(format, args...)}
			if loc != nil {
				e.File, e.Row, e.Col = loc.File, loc.Row, loc.Col
			}
			errs = append(errs, e)
		}
		if len(pi.anns) == 0 {
			at(pi.loc, "target package %s has no METADATA block (custom.id, custom.scope and title are required)", p)
			continue
		}
		if len(pi.anns) > 1 {
			at(pi.anns[1].Location, "target package %s has more than one package METADATA block", p)
			continue
		}
		a := pi.anns[0]
		t := Target{Package: p, Title: a.Title, Description: a.Description, File: a.Location.File, Severity: "medium", Pack: cfg.packOfFile(a.Location.File)}
		str := func(key string) (string, bool) {
			v, ok := a.Custom[key]
			if !ok || v == nil {
				return "", true
			}
			s, isStr := v.(string)
			if !isStr {
				at(keyLoc(a, key), "target %s: custom.%s must be a string, got %v", p, key, v)
				return "", false
			}
			return strings.TrimSpace(s), true
		}
		ok := true
		var good bool
		if t.ID, good = str("id"); !good {
			ok = false
		}
		if t.Scope, good = str("scope"); !good {
			ok = false
		}
		if t.ModelType, good = str("model_type"); !good {
			ok = false
		}
		if t.TitleEn, good = str("title_en"); !good {
			ok = false
		}
		sev, good := str("severity")
		if !good {
			ok = false
		} else if sev != "" {
			t.Severity = sev
		}
		if t.ID == "" {
			at(a.Location, "target %s: custom.id is missing", p)
			ok = false
		}
		if strings.TrimSpace(t.Title) == "" {
			at(a.Location, "target %s: title is missing", p)
			ok = false
		}
		switch {
		case t.Scope == "":
			at(a.Location, "target %s: custom.scope is missing (one of %s)", p, strings.Join(targetScopes, ", "))
			ok = false
		case !contains(targetScopes, t.Scope):
			at(keyLoc(a, "scope"), "target %s: unknown scope %q (one of %s)", p, t.Scope, strings.Join(targetScopes, ", "))
			ok = false
		case t.Scope == "model" && !contains(enumValues("models.type"), t.ModelType):
			at(keyLoc(a, "model_type", "scope"), "target %s: scope model needs custom.model_type, one of %s (got %q)", p, strings.Join(enumValues("models.type"), ", "), t.ModelType)
			ok = false
		case t.Scope != "model" && t.ModelType != "":
			at(keyLoc(a, "model_type"), "target %s: custom.model_type is only for scope model", p)
			ok = false
		}
		if !contains(targetSeverities, t.Severity) {
			at(keyLoc(a, "severity"), "target %s: unknown severity %q (one of %s)", p, t.Severity, strings.Join(targetSeverities, ", "))
			ok = false
		}
		if raw, has := a.Custom["params"]; has {
			specs, key, msg := parseParamSpecs(raw)
			if msg != "" {
				at(paramKeyLoc(a, annComments[a], key), "target %s: custom.params: %s", p, msg)
				ok = false
			}
			t.Params, t.ParamsDeclared = specs, true
		}
		if !pi.rules.violation && !pi.rules.warning && !pi.rules.skip {
			at(pi.loc, "target %s defines none of violation, warning, skip", p)
			ok = false
		}
		if prev, dup := byID[t.ID]; dup && t.ID != "" {
			at(keyLoc(a, "id"), "duplicate target id %q (also %s in %s)", t.ID, prev.Package, prev.File)
			ok = false
		}
		if !ok {
			continue
		}
		byID[t.ID] = t
		targets = append(targets, t)
		rules[p] = pi.rules
	}

	// Compile once per scope: that scope's targets plus every non-target
	// module, with the scope's input schema.
	scopeOf := map[string]string{}
	for _, t := range targets {
		scopeOf[t.Package] = t.Scope
	}
	// A target package whose metadata is wrong is still compiled (with the
	// commune schema), so that its other problems are listed too.
	for _, p := range pkgOrder {
		if _, ok := scopeOf[p]; !ok {
			scopeOf[p] = "commune"
		}
	}
	// The scopes are compiled concurrently (each compiler has its own copy
	// of the modules): most of `run`'s start-up before any data is read.
	var work []*scopeCompile
	for _, scope := range targetScopes {
		set, lint := map[string]*ast.Module{}, map[string]*ast.Module{}
		has := false
		for name, m := range modules {
			if m.Package.Path.HasPrefix(targetsRoot) {
				if scopeOf[strings.TrimPrefix(m.Package.Path.String(), "data.")] != scope {
					continue
				}
				has = true
			}
			set[name] = m.Copy()
			lint[name] = m.Copy()
		}
		if has {
			work = append(work, &scopeCompile{scope: scope, set: set, lint: lint})
		}
	}
	var wg sync.WaitGroup
	for _, w := range work {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(byID)
		}()
	}
	wg.Wait()
	compilers := map[string]*ast.Compiler{}
	for _, w := range work {
		errs = append(errs, w.errs...)
		if w.c != nil {
			compilers[w.scope] = w.c
		}
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].ID < targets[j].ID })
	keys := map[string]inputKeys{}
	for scope, c := range compilers {
		keys[scope] = readInputKeys(c)
	}
	return &Policies{targets: targets, compilers: compilers, inputKeys: keys, rules: rules, sha256: hashFiles(files)}, nil
}

// scopeCompile is the compile of one scope: its target packages and every
// library, type-checked against the scope's input schema.
type scopeCompile struct {
	scope string
	set   map[string]*ast.Module
	lint  map[string]*ast.Module // another copy, for lintTypes
	c     *ast.Compiler
	errs  PolicyErrors
}

// run compiles the scope and lists every problem in w.errs: OPA's, the
// lint compile's, the enum pass's and lib.param's (byID: the targets whose
// metadata is sound). w.c is the compiler when there is none.
func (w *scopeCompile) run(byID map[string]Target) {
	c, err := compile(w.set, w.scope)
	if err != nil {
		w.errs = astErrors("", err)
		// OPA's compiler stops at the first stage that fails; compile
		// each target package of the scope on its own too, so that a
		// problem in one package does not hide the problems of another.
		w.errs = append(w.errs, compileEach(w.set, w.scope)...)
		// The type problems only the lint compile sees are listed
		// in the same pass (where it sees one again, once).
		w.errs = appendNew(w.errs, lintTypes(w.lint, w.scope))
		return
	}
	w.c = c
	// What OPA's checker cannot see with the schema as it is
	// (map-valued inputs, comparisons of a number with a string, enums).
	w.errs = lintTypes(w.lint, w.scope)
	if schema, err := loadSchema(w.scope); err == nil {
		w.errs = appendNew(w.errs, enumErrors(c, schema))
	}
	w.errs = appendNew(w.errs, paramCallErrors(c, byID))
}

// compileEach compiles every target package of set alone with the
// modules that are not targets, and returns every problem found.
func compileEach(set map[string]*ast.Module, scope string) PolicyErrors {
	var errs PolicyErrors
	for name, m := range set {
		if !m.Package.Path.HasPrefix(targetsRoot) {
			continue
		}
		one := map[string]*ast.Module{}
		for n, o := range set {
			if n == name || !o.Package.Path.HasPrefix(targetsRoot) {
				one[n] = o.Copy()
			}
		}
		if _, err := compile(one, scope); err != nil {
			errs = append(errs, astErrors("", err)...)
		}
	}
	return errs
}

func compile(modules map[string]*ast.Module, scope string) (*ast.Compiler, error) {
	s, err := loadSchema(scope)
	if err != nil {
		return nil, err
	}
	c := newCompiler(s)
	c.Compile(modules)
	if c.Failed() {
		return nil, c.Errors
	}
	return c, nil
}

// newCompiler is a compiler of policies (strict, Rego v1, the sandbox
// capabilities) that type-checks input against schema.
func newCompiler(schema any) *ast.Compiler {
	schemas := ast.NewSchemaSet()
	schemas.Put(ast.SchemaRootRef, schema)
	return ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithStrict(true).
		WithSchemas(schemas).
		WithUseTypeCheckAnnotations(true).
		WithEnablePrintStatements(true).
		WithDefaultRegoVersion(ast.RegoV1)
}

func astErrors(file string, err error) PolicyErrors {
	var out PolicyErrors
	add := func(e *ast.Error) {
		pe := PolicyError{File: file, Row: 1, Col: 1, Message: e.Code + ": " + e.Message}
		if name, ok := strings.CutPrefix(e.Message, "undefined function "); ok {
			if why := refusedReason(name); why != "" {
				pe.Message = fmt.Sprintf("%s: %s is not allowed: %s", e.Code, name, why)
			}
		}
		pe.Message += detailHints(e)
		if e.Location != nil {
			// A problem of the whole file (an empty module) has row 0: it
			// points at the file's start.
			pe.Row, pe.Col = e.Location.Row, e.Location.Col
			if pe.Row == 0 {
				pe.Row, pe.Col = 1, 1
			}
			if e.Location.File != "" {
				pe.File = e.Location.File
			}
		}
		if pe.File == "" {
			pe.File = "."
		}
		out = append(out, pe)
	}
	switch e := err.(type) {
	case ast.Errors:
		for _, x := range e {
			add(x)
		}
	case *ast.Error:
		add(e)
	default:
		out = append(out, PolicyError{File: file, Row: 1, Col: 1, Message: err.Error()})
	}
	return out
}

// metadataKeyLoc is the place of a key of the METADATA block a (the first
// of keys found), among the comments of a's module, so that a wrong value
// is reported at its line; the block's start when none is there.
func metadataKeyLoc(a *ast.Annotations, comments []*ast.Comment, keys ...string) *ast.Location {
	for _, key := range keys {
		if loc := commentKeyLoc(comments, a.Location.Row, key); loc != nil {
			return loc
		}
	}
	return a.Location
}

// commentKeyLoc is the place of "key:" in the run of comment lines that
// follows row without a gap (a METADATA block, or a nested map of it); nil
// when the run has no such line.
func commentKeyLoc(comments []*ast.Comment, row int, key string) *ast.Location {
	from := row
	for _, c := range comments {
		if c.Location == nil || c.Location.Row <= from {
			continue
		}
		if c.Location.Row != row+1 {
			break // the block ended
		}
		row = c.Location.Row
		text := string(c.Text)
		trimmed := strings.TrimLeft(text, " \t")
		if strings.HasPrefix(trimmed, key+":") {
			loc := *c.Location
			loc.Col += 1 + len(text) - len(trimmed)
			return &loc
		}
	}
	return nil
}

// detailHints is OPA's hints of an error (have: ..., want (one of):
// [...]) as " (hint; hint)", as `opa check` prints them below the error;
// "" when there are none. The lines that repeat the ref and point at the
// column are left out.
func detailHints(e *ast.Error) string {
	if e.Details == nil {
		return ""
	}
	lines := e.Details.Lines()
	switch e.Details.(type) {
	case *ast.RefErrInvalidDetail, *ast.RefErrUnsupportedDetail:
		if len(lines) < 2 {
			return ""
		}
		lines = lines[2:] // the ref again, and a caret under it
	}
	var out []string
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, "; ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
