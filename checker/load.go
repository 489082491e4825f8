package checker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

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
	noLint   bool                     // WithoutLint
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

// WithoutLint compiles the policies with OPA's checks only, without the
// checks of our own that follow (the types OPA's checker cannot see, the
// enum values, the lib.param calls: compile.go). It is for a pack already
// linted: the built-in pack, whose tests load it with every check (a
// problem in it fails them), so that `run` does not pay a second compile
// per scope for a result known in advance.
func WithoutLint() LoadOption { return func(c *loadConfig) { c.noLint = true } }

// WithPackName names the pack every target loaded comes from (Target.Pack,
// report.json's "pack"), e.g. BuiltinPack.
func WithPackName(name string) LoadOption { return func(c *loadConfig) { c.pack = name } }

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

// compileFiles compiles files with the options of cfg: the targets'
// packages are found and their METADATA checked (metadata.go), then each
// scope is compiled (compile.go). Parse errors do not stop it: the files
// that parsed are still checked and compiled, so that one run lists every
// problem.
func compileFiles(files []policyFile, cfg loadConfig) (*Policies, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	if len(files) == 0 {
		return nil, PolicyErrors{{File: ".", Row: 1, Col: 1, Message: "no .rego files"}}
	}
	modules, errs := parseModules(files)
	pkgs, more := findTargetPackages(modules, cfg)
	errs = append(errs, more...)
	targets, rules, more := checkTargets(pkgs, cfg)
	errs = append(errs, more...)
	compilers, more := compileScopes(modules, pkgs, targets, !cfg.noLint)
	errs = append(errs, more...)
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

// parseModules parses files as Rego v1 modules with their annotations; a
// file that does not parse gives its errors instead.
func parseModules(files []policyFile) (map[string]*ast.Module, PolicyErrors) {
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
	return modules, errs
}
