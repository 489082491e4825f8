package checker

import (
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// compileScopes compiles once per scope that has targets: that scope's
// target packages plus every module that is not a target, type-checked
// against the scope's input schema. A target package whose metadata is
// wrong (not among targets) is still compiled, with the commune schema, so
// that its other problems are listed too. It returns the compilers by
// scope and every problem found.
func compileScopes(modules map[string]*ast.Module, pkgs []*targetPackage, targets []Target, lint bool) (map[string]*ast.Compiler, PolicyErrors) {
	scopeOf := map[string]string{}
	byID := map[string]Target{}
	for _, t := range targets {
		scopeOf[t.Package] = t.Scope
		byID[t.ID] = t
	}
	for _, pi := range pkgs {
		if _, ok := scopeOf[pi.path]; !ok {
			scopeOf[pi.path] = "commune"
		}
	}
	// The scopes are compiled concurrently (each compiler has its own copy
	// of the modules): most of `run`'s start-up before any data is read.
	var work []*scopeCompile
	for _, scope := range targetScopes {
		set := map[string]*ast.Module{}
		var ls map[string]*ast.Module // nil: not linted
		if lint {
			ls = map[string]*ast.Module{}
		}
		has := false
		for name, m := range modules {
			if m.Package.Path.HasPrefix(targetsRoot) {
				if scopeOf[strings.TrimPrefix(m.Package.Path.String(), "data.")] != scope {
					continue
				}
				has = true
			}
			set[name] = m.Copy()
			if lint {
				ls[name] = m.Copy()
			}
		}
		if has {
			work = append(work, &scopeCompile{scope: scope, set: set, lint: ls})
		}
	}
	var wg sync.WaitGroup
	for _, w := range work {
		wg.Go(func() { w.run(byID) })
	}
	wg.Wait()
	var errs PolicyErrors
	compilers := map[string]*ast.Compiler{}
	for _, w := range work {
		errs = append(errs, w.errs...)
		if w.c != nil {
			compilers[w.scope] = w.c
		}
	}
	return compilers, errs
}

// scopeCompile is the compile of one scope: its target packages and every
// library, type-checked against the scope's input schema.
type scopeCompile struct {
	scope string
	set   map[string]*ast.Module
	lint  map[string]*ast.Module // another copy, for lintTypes; nil: WithoutLint
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
		if w.lint != nil {
			w.errs = appendNew(w.errs, lintTypes(w.lint, w.scope))
		}
		return
	}
	w.c = c
	if w.lint == nil {
		return
	}
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
