package regovm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// The plan evaluates a rule body in order up to its first undefined
// statement. Topdown first consults its rule index, which skips a rule whose
// indexed expressions (input.x == "a", a naked input.x, x in input.xs...)
// fail, wherever they are in the body: a builtin error (or a function call
// that errs) before such an expression is an error with the plan and none
// with topdown. Rather than re-implement OPA's rule index, Eval hands every
// evaluation that errs (except a cancellation) to topdown, whose outcome
// (values or error) it returns: errors are rare, and so are exact.

// fallback is topdown on the same modules and entrypoints.
type fallback struct {
	compiler *ast.Compiler
	query    ast.Body
	caps     *ast.Capabilities
}

func newFallback(modules map[string]*ast.Module, entrypoints []string, caps *ast.Capabilities) (*fallback, error) {
	cp := make(map[string]*ast.Module, len(modules))
	for k, m := range modules {
		cp[k] = m.Copy()
	}
	c := ast.NewCompiler().WithCapabilities(caps).WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(false)
	c.Compile(cp)
	if c.Failed() {
		return nil, fmt.Errorf("regovm: compile: %w", c.Errors)
	}
	parts := make([]string, len(entrypoints))
	for i, ep := range entrypoints {
		ref := "data." + strings.ReplaceAll(strings.Trim(ep, "/"), "/", ".")
		if strings.Trim(ep, "/") == "" {
			ref = "data"
		}
		parts[i] = fmt.Sprintf("x%d := [v%d | v%d := %s]", i, i, i, ref)
	}
	q, err := ast.ParseBodyWithOpts(strings.Join(parts, "; "), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("regovm: fallback query: %w", err)
	}
	return &fallback{compiler: c, query: q, caps: caps}, nil
}

func (f *fallback) eval(ctx context.Context, n int, input, data ast.Value, cancel topdown.Cancel) ([]ast.Value, error) {
	doc := map[string]any{}
	if data != nil {
		j, err := ast.JSON(data)
		if err != nil {
			return nil, fmt.Errorf("regovm: data: %w", err)
		}
		m, ok := j.(map[string]any)
		if !ok {
			return nil, errors.New("regovm: data is not an object")
		}
		doc = m
	}
	store := inmem.NewFromObjectWithOpts(doc, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	pq, err := rego.New(
		rego.ParsedQuery(f.query),
		rego.Compiler(f.compiler),
		rego.Store(store),
		rego.StoreReadAST(true),
		rego.StrictBuiltinErrors(true),
		rego.Capabilities(f.caps),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	opts := []rego.EvalOption{rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil })}
	if input != nil {
		opts = append(opts, rego.EvalParsedInput(input))
	}
	if cancel != nil {
		opts = append(opts, rego.EvalExternalCancel(cancel))
	}
	rs, err := pq.Eval(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("regovm: topdown gave %d results", len(rs))
	}
	out := make([]ast.Value, n)
	for i := range out {
		t, ok := rs[0].Bindings[fmt.Sprintf("x%d", i)].(*ast.Term)
		if !ok {
			return nil, fmt.Errorf("regovm: topdown binding x%d is %T", i, rs[0].Bindings[fmt.Sprintf("x%d", i)])
		}
		arr, ok := t.Value.(*ast.Array)
		if !ok || arr.Len() > 1 {
			return nil, fmt.Errorf("regovm: topdown value of entrypoint %d: %v", i, t)
		}
		if arr.Len() == 1 {
			out[i] = arr.Elem(0).Value
		}
	}
	return out, nil
}

func isCancel(err error) bool {
	var te *topdown.Error
	return errors.As(err, &te) && te.Code == topdown.CancelErr
}
