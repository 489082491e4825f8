package checker

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// targetsRoot is the root of the target packages: one target per package
// under data.targets.
var targetsRoot = ast.MustParseRef("data.targets")

// targetPackage is one package under data.targets, over all its files.
type targetPackage struct {
	path     string // "targets.x"
	files    []string
	anns     []*ast.Annotations // its package (or subpackages) METADATA blocks
	comments [][]*ast.Comment   // the comments of each block's module
	loc      *ast.Location
	rules    ruleSet
}

// findTargetPackages gathers the target packages of modules, sorted by
// path, with their METADATA blocks and which of violation, warning and skip
// they define; unless cfg says otherwise, it lists the rules of the wrong
// shape too (shapeErrors).
func findTargetPackages(modules map[string]*ast.Module, cfg loadConfig) ([]*targetPackage, PolicyErrors) {
	var errs PolicyErrors
	byPath := map[string]*targetPackage{}
	var pkgs []*targetPackage
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m := modules[name]
		if !m.Package.Path.HasPrefix(targetsRoot) {
			continue
		}
		p := strings.TrimPrefix(m.Package.Path.String(), "data.")
		pi := byPath[p]
		if pi == nil {
			pi = &targetPackage{path: p, loc: m.Package.Location}
			byPath[p] = pi
			pkgs = append(pkgs, pi)
		}
		pi.files = append(pi.files, name)
		if !cfg.noShapes {
			errs = append(errs, shapeErrors(m)...)
		}
		for _, a := range m.Annotations {
			if a.Scope == "package" || a.Scope == "subpackages" {
				pi.anns = append(pi.anns, a)
				pi.comments = append(pi.comments, m.Comments)
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
	slices.SortFunc(pkgs, func(a, b *targetPackage) int { return strings.Compare(a.path, b.path) })
	return pkgs, errs
}

// checkTargets reads the target of each package from its METADATA, in
// package order, and lists every problem; a package with a problem gives
// no target. rules are the rules of each target's package.
func checkTargets(pkgs []*targetPackage, cfg loadConfig) ([]Target, map[string]ruleSet, PolicyErrors) {
	var errs PolicyErrors
	var targets []Target
	byID := map[string]Target{}
	rules := map[string]ruleSet{}
	for _, pi := range pkgs {
		m := &metaCheck{pi: pi}
		t := m.target(cfg, byID)
		if len(m.errs) > 0 {
			errs = append(errs, m.errs...)
			continue
		}
		byID[t.ID] = t
		targets = append(targets, t)
		rules[pi.path] = pi.rules
	}
	return targets, rules, errs
}

// metaCheck reads the target of one package and gathers the problems of
// its METADATA, each at the line of the key concerned where it can.
type metaCheck struct {
	pi   *targetPackage
	a    *ast.Annotations // its one METADATA block
	errs PolicyErrors
}

// at records a problem at loc (the package's first file when nil).
func (m *metaCheck) at(loc *ast.Location, format string, args ...any) {
	e := PolicyError{File: m.pi.files[0], Row: 1, Col: 1, Message: fmt.Sprintf(format, args...)}
	if loc != nil {
		e.File, e.Row, e.Col = loc.File, loc.Row, loc.Col
	}
	m.errs = append(m.errs, e)
}

// keyLoc is the place of the first of keys in the METADATA block.
func (m *metaCheck) keyLoc(keys ...string) *ast.Location {
	return metadataKeyLoc(m.a, m.pi.comments[0], keys...)
}

// str is custom.key trimmed, "" when absent; a value that is not a string
// is a problem, and gives "".
func (m *metaCheck) str(key string) string {
	v, ok := m.a.Custom[key]
	if !ok || v == nil {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		m.at(m.keyLoc(key), "target %s: custom.%s must be a string, got %v", m.pi.path, key, v)
		return ""
	}
	return strings.TrimSpace(s)
}

// target is the package's target (byID: the targets read before it); it
// is sound only when m.errs is empty.
func (m *metaCheck) target(cfg loadConfig, byID map[string]Target) Target {
	pi, p := m.pi, m.pi.path
	if len(pi.anns) == 0 {
		m.at(pi.loc, "target package %s has no METADATA block (custom.id, custom.scope and title are required)", p)
		return Target{}
	}
	if len(pi.anns) > 1 {
		m.at(pi.anns[1].Location, "target package %s has more than one package METADATA block", p)
		return Target{}
	}
	a := pi.anns[0]
	m.a = a
	t := Target{Package: p, Title: a.Title, Description: a.Description, File: a.Location.File, Severity: "medium", Pack: cfg.packOfFile(a.Location.File)}
	t.ID, t.Scope, t.ModelType, t.TitleEn = m.str("id"), m.str("scope"), m.str("model_type"), m.str("title_en")
	if sev := m.str("severity"); sev != "" {
		t.Severity = sev
	}
	if t.ID == "" {
		m.at(a.Location, "target %s: custom.id is missing", p)
	}
	if strings.TrimSpace(t.Title) == "" {
		m.at(a.Location, "target %s: title is missing", p)
	}
	m.checkScope(t)
	if !slices.Contains(targetSeverities, t.Severity) {
		m.at(m.keyLoc("severity"), "target %s: unknown severity %q (one of %s)", p, t.Severity, strings.Join(targetSeverities, ", "))
	}
	if raw, has := a.Custom["params"]; has {
		specs, key, msg := parseParamSpecs(raw)
		if msg != "" {
			m.at(paramKeyLoc(a, pi.comments[0], key), "target %s: custom.params: %s", p, msg)
		}
		t.Params, t.ParamsDeclared = specs, true
	}
	if !pi.rules.violation && !pi.rules.warning && !pi.rules.skip {
		m.at(pi.loc, "target %s defines none of violation, warning, skip", p)
	}
	if prev, dup := byID[t.ID]; dup && t.ID != "" {
		m.at(m.keyLoc("id"), "duplicate target id %q (also %s in %s)", t.ID, prev.Package, prev.File)
	}
	return t
}

// checkScope checks t's scope, and its model type, which only scope model
// has.
func (m *metaCheck) checkScope(t Target) {
	p := m.pi.path
	switch {
	case t.Scope == "":
		m.at(m.a.Location, "target %s: custom.scope is missing (one of %s)", p, strings.Join(targetScopes, ", "))
	case !slices.Contains(targetScopes, t.Scope):
		m.at(m.keyLoc("scope"), "target %s: unknown scope %q (one of %s)", p, t.Scope, strings.Join(targetScopes, ", "))
	case t.Scope == "model" && !slices.Contains(enumValues("models.type"), t.ModelType):
		m.at(m.keyLoc("model_type", "scope"), "target %s: scope model needs custom.model_type, one of %s (got %q)", p, strings.Join(enumValues("models.type"), ", "), t.ModelType)
	case t.Scope != "model" && t.ModelType != "":
		m.at(m.keyLoc("model_type"), "target %s: custom.model_type is only for scope model", p)
	}
}
