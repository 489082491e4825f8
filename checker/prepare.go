package checker

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// prepare is what New prepares, once: the data document in a store, every
// target's own topdown query, and the groups of targets with the
// evaluation of the engine (prepareGroup).
func (c *Checker) prepare(ctx context.Context) error {
	data, err := dataDocument(c.params, c.policies.targets)
	if err != nil {
		return err
	}
	store, err := newStore(ctx, data)
	if err != nil {
		return err
	}
	c.prepared = map[string]*preparedTarget{}
	for _, t := range c.policies.targets {
		rs := c.policies.rules[t.Package]
		pq, err := c.prepareQuery(ctx, store, queryFor(t.Package, rs), t.Scope)
		if err != nil {
			return fmt.Errorf("prepare target %s: %w", t.ID, err)
		}
		c.prepared[t.ID] = &preparedTarget{Target: t, query: pq, rules: rs}
	}
	c.groups, c.unplanned, c.data = map[string]*preparedGroup{}, map[string]string{}, data
	var keys []string
	for _, t := range c.policies.targets {
		if c.scopes != nil && !c.scopes[t.Scope] {
			continue
		}
		key := t.Scope
		if t.Scope == "model" {
			key = modelKey(t.ModelType)
		}
		g := c.groups[key]
		if g == nil {
			g = &preparedGroup{keys: allInputKeys}
			if k, ok := c.policies.inputKeys[t.Scope]; ok {
				g.keys = k
			}
			c.groups[key] = g
			keys = append(keys, key)
		}
		g.targets = append(g.targets, c.prepared[t.ID])
	}
	for _, key := range keys {
		if err := c.prepareGroup(ctx, store, key, c.groups[key]); err != nil {
			return err
		}
	}
	return nil
}

// prepareGroup prepares the one evaluation of g (the group of plan key
// key): with EngineRegovm, its regovm program when OPA's planner and
// regovm can run its query (else the reason goes to c.unplanned); without
// a program, its topdown query when it has more than one target (a single
// target's query is its own, queryFor).
func (c *Checker) prepareGroup(ctx context.Context, store storage.Store, key string, g *preparedGroup) error {
	if c.engine == EngineRegovm {
		vm, err := c.planVM(ctx, store, g)
		if err != nil {
			c.unplanned[key] = err.Error()
		}
		g.vm = vm
	}
	if len(g.targets) < 2 || g.vm != nil {
		return nil
	}
	pq, err := c.prepareQuery(ctx, store, groupQuery(g.targets), g.targets[0].Scope)
	if err != nil {
		return fmt.Errorf("prepare targets of %s: %w", key, err)
	}
	g.query = pq
	return nil
}

// newStore is an in-memory store holding data (each key of it written as
// the AST value it is, and read back as such: topdown reads what regovm is
// given).
func newStore(ctx context.Context, data ast.Object) (storage.Store, error) {
	store := inmem.NewFromObjectWithOpts(map[string]any{}, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	txn, err := store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return nil, fmt.Errorf("store data: %w", err)
	}
	for _, k := range data.Keys() {
		key, ok := k.Value.(ast.String)
		if !ok {
			store.Abort(ctx, txn)
			return nil, fmt.Errorf("store data: key %v is not a string", k)
		}
		if err := store.Write(ctx, txn, storage.AddOp, storage.Path{string(key)}, data.Get(k).Value); err != nil {
			store.Abort(ctx, txn)
			return nil, fmt.Errorf("store %v: %w", k, err)
		}
	}
	if err := store.Commit(ctx, txn); err != nil {
		return nil, fmt.Errorf("store data: %w", err)
	}
	return store, nil
}

// prepareQuery prepares query against the compiled policies of scope and
// the data in store, in the sandbox (Capabilities) with strict builtin
// errors.
func (c *Checker) prepareQuery(ctx context.Context, store storage.Store, query ast.Body, scope string) (rego.PreparedEvalQuery, error) {
	return rego.New(regoOptions(c.policies.compilers[scope], store, query, Capabilities())...).PrepareForEval(ctx)
}

// regoOptions are the options of every query the checker prepares, with
// topdown (prepareQuery) or for regovm (planQuery): compiler's modules, the
// data in store read as AST values, strict builtin errors, caps.
func regoOptions(compiler *ast.Compiler, store storage.Store, query ast.Body, caps *ast.Capabilities) []func(*rego.Rego) {
	return []func(*rego.Rego){
		rego.ParsedQuery(query),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.StoreReadAST(true),
		rego.StrictBuiltinErrors(true),
		rego.Capabilities(caps),
	}
}

// groupQuery is queryFor for several targets in one query with one
// binding: r is a list of three entries per target: its violation and
// warning sets ([] when the package has no such rule), and its skip ([] when
// undefined, [value] otherwise). One binding and one expression instead of
// three per target spare OPA's result building a map entry and an
// expression value per rule and subject; reading a partial set without a
// comprehension spares one comprehension per rule. A violation or warning
// that is not a partial set and is undefined makes the whole query
// undefined: evalGroup then evaluates the targets one by one.
func groupQuery(ts []*preparedTarget) ast.Body { return groupQueryAs(ts, "r") }

// groupQueryAs is groupQuery binding the list to name.
func groupQueryAs(ts []*preparedTarget, name string) ast.Body {
	var parts []string
	for i, t := range ts {
		for j, rule := range []string{"violation", "warning", "skip"} {
			has := [3]bool{t.rules.violation, t.rules.warning, t.rules.skip}[j]
			switch {
			case has && rule != "skip":
				// A partial set is never undefined (empty at worst): no
				// comprehension needed.
				parts = append(parts, fmt.Sprintf("data.%s.%s", t.Package, rule))
			case has:
				parts = append(parts, fmt.Sprintf("[x%d_%d | x%d_%d := data.%s.%s]", i, j, i, j, t.Package, rule))
			default:
				parts = append(parts, "[]")
			}
		}
	}
	return ast.MustParseBodyWithOpts(name+" := ["+strings.Join(parts, ", ")+"]", ast.ParserOptions{RegoVersion: ast.RegoV1})
}

// dataDocument is the data document: {"params": ..., "vocab": ...}, the
// params with the defaults the targets declare (withParamDefaults).
func dataDocument(params map[string]any, targets []Target) (ast.Object, error) {
	if params == nil {
		params = map[string]any{}
	}
	params = withParamDefaults(params, targets)
	v, err := ast.InterfaceToValue(map[string]any{"params": params, "vocab": vocabData()})
	if err != nil {
		return nil, fmt.Errorf("convert params: %w", err)
	}
	return v.(ast.Object), nil
}

// queryFor asks for the rules the package defines, each wrapped so that an
// undefined rule gives an empty list instead of an undefined query.
func queryFor(pkg string, rs ruleSet) ast.Body {
	var parts []string
	add := func(name string, has bool) {
		if has {
			parts = append(parts, fmt.Sprintf("%s := [x | x := data.%s.%s]", name, pkg, name))
		} else {
			parts = append(parts, name+" := []")
		}
	}
	add("violation", rs.violation)
	add("warning", rs.warning)
	add("skip", rs.skip)
	return ast.MustParseBodyWithOpts(strings.Join(parts, "; "), ast.ParserOptions{RegoVersion: ast.RegoV1})
}
