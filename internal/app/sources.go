package app

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/sample"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/loaders"
	"github.com/vungmanh/vungmanh/policies"
)

// readSettingFile reads a file named by a setting (params, waivers): a local
// path, a file:// URL or gs://bucket/path/file.yaml (storage.ReadFile). A
// file that cannot be read is a *ConfigError naming the setting, unless ctx
// was cancelled.
func readSettingFile(ctx context.Context, setting, name string) ([]byte, error) {
	loc, err := storage.ParseURL(name)
	if _, file := loc.Split(); err == nil && loc.IsGCS() && (file == "" || strings.HasSuffix(name, "/")) {
		return nil, configErrorf(setting, "--%s %q: want gs://bucket/path/file.yaml", setting, name)
	}
	var data []byte
	if err == nil {
		data, err = storage.ReadFile(ctx, loc)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read --%s %q: %w", setting, name, ctx.Err())
		}
		return nil, configErrorf(setting, "--%s %q cannot be read: %v", setting, name, err)
	}
	return data, nil
}

// readParams reads and parses --params; nil when unset.
func readParams(ctx context.Context, name string) (map[string]any, error) {
	f, err := readParamsFile(ctx, name)
	if err != nil || f == nil {
		return nil, err
	}
	return f.val, nil
}

// readWaivers reads and parses --waivers; nil when unset.
func readWaivers(ctx context.Context, name string) ([]checker.Waiver, error) {
	if name == "" {
		return nil, nil
	}
	data, err := readSettingFile(ctx, "waivers", name)
	if err != nil {
		return nil, err
	}
	w, err := checker.ParseWaivers(data)
	if err != nil {
		return nil, configErrorf("waivers", "--waivers %q: %v", name, err)
	}
	return w, nil
}

// policyPacks returns the packs named by src, bottom first, or nil and
// the bundle bytes for a .tar.gz bundle. src "" is the pack built into the
// binary; a folder (local or gs://) with checker.LayerFile is a layer on
// it; any other folder replaces it.
func policyPacks(ctx context.Context, src string) ([]checker.Pack, []byte, error) {
	builtin := checker.Pack{Name: checker.BuiltinPack, FS: policies.FS}
	if src == "" {
		return []checker.Pack{builtin}, nil, nil
	}
	fsys, bundle, err := policyFolder(ctx, src)
	if err != nil || bundle != nil {
		return nil, bundle, err
	}
	layer, ok, err := checker.ReadLayer(fsys)
	if err != nil {
		return nil, nil, fmt.Errorf("load policies %q: %w", src, err)
	}
	if ok {
		return []checker.Pack{builtin, layer}, nil, nil
	}
	return []checker.Pack{{Name: packNameOf(src), FS: fsys}}, nil, nil
}

// packNameOf names the pack of a folder or bundle that replaces the
// built-in pack: its last path element.
func packNameOf(src string) string {
	s := strings.TrimSuffix(src, "/")
	if loc, err := storage.ParseURL(src); err == nil && !loc.IsGCS() {
		s = loc.Dir
		if abs, err := filepath.Abs(s); err == nil {
			s = abs
		}
	}
	s = path.Base(filepath.ToSlash(s))
	for _, ext := range []string{".tar.gz", ".tgz"} {
		s = strings.TrimSuffix(s, ext)
	}
	return s
}

// policyFS returns the policy files named by src as one fs.FS, tests
// included (for regotest): a layer's files stacked on the built-in pack's
// as checker.StackFS names them. A bundle comes back as its bytes.
func policyFS(ctx context.Context, src string) (fs.FS, []byte, error) {
	packs, bundle, err := policyPacks(ctx, src)
	if err != nil || bundle != nil {
		return nil, bundle, err
	}
	if len(packs) == 1 {
		return packs[0].FS, nil, nil
	}
	fsys, err := checker.StackFS(ctx, packs...)
	if err != nil {
		return nil, nil, fmt.Errorf("load policies %q: %w", src, err)
	}
	return fsys, nil, nil
}

// policyFolder returns the policy folder named by src as an fs.FS, or nil
// and the bundle bytes for a .tar.gz bundle.
func policyFolder(ctx context.Context, src string) (fs.FS, []byte, error) {
	if strings.HasSuffix(src, ".tar.gz") || strings.HasSuffix(src, ".tgz") {
		data, err := readSettingFile(ctx, "policies", src)
		return nil, data, err
	}
	loc, err := storage.ParseURL(src)
	if err != nil {
		return nil, nil, configErrorf("policies", "--policies %q: %v (want a folder, gs://bucket/folder or a .tar.gz bundle)", src, err)
	}
	if loc.IsGCS() {
		fsys, err := gcsPolicyFS(ctx, src, loc)
		return fsys, nil, err
	}
	st, err := os.Stat(loc.Dir)
	if err != nil {
		return nil, nil, configErrorf("policies", "policy folder %q cannot be read: %v", src, err)
	}
	if !st.IsDir() {
		return nil, nil, configErrorf("policies", "policies %q: want a folder or a .tar.gz bundle", src)
	}
	return hideKubeDirs{os.DirFS(loc.Dir)}, nil, nil
}

// gcsPolicyFS reads the .rego files under loc (gs://bucket/prefix, named
// src by the user) into memory (a policy folder is small) as a file system
// rooted at the prefix. A folder without one is a setting error (exit code
// 2); a storage failure is not.
func gcsPolicyFS(ctx context.Context, src string, loc storage.Location) (fs.FS, error) {
	b, err := storage.OpenLocation(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("open policies %q: %w", src, err)
	}
	defer b.Close()
	keys, err := b.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list policies %q: %w", src, err)
	}
	files := fstest.MapFS{}
	rego := 0
	for _, k := range keys {
		if !(strings.HasSuffix(k, ".rego") || k == checker.LayerFile) || !fs.ValidPath(k) {
			continue
		}
		if k != checker.LayerFile {
			rego++
		}
		data, err := b.Read(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("read policies %q: %w", src+"/"+k, err)
		}
		files[k] = &fstest.MapFile{Data: data}
	}
	if rego == 0 {
		return nil, configErrorf("policies", "--policies %q: no .rego file under it (want a policy folder or a .tar.gz bundle)", src)
	}
	return files, nil
}

// loadPolicies compiles the policies of src. Policy problems come back as
// checker.PolicyErrors (exit code 2).
func loadPolicies(ctx context.Context, src string) (*checker.Policies, error) {
	packs, bundle, err := policyPacks(ctx, src)
	if err != nil {
		return nil, err
	}
	if bundle != nil {
		p, err := checker.LoadBundle(ctx, bytes.NewReader(bundle), checker.WithPackName(packNameOf(src)))
		if err != nil {
			return nil, fmt.Errorf("load policy bundle %q: %w", src, err)
		}
		return p, nil
	}
	var p *checker.Policies
	switch {
	case src == "":
		// The built-in pack alone: its tests lint it (TestBuiltinPackLinted),
		// so only OPA's compile runs here.
		p, err = checker.Load(ctx, packs[0].FS, checker.WithPackName(packs[0].Name), checker.WithoutLint())
	case len(packs) == 1:
		p, err = checker.Load(ctx, packs[0].FS, checker.WithPackName(packs[0].Name))
	default:
		p, err = checker.LoadStack(ctx, packs...)
	}
	if err != nil {
		return nil, fmt.Errorf("load policies %q: %w", orBuiltin(src), err)
	}
	return p, nil
}

func orBuiltin(src string) string {
	if src == "" {
		return "built-in"
	}
	return src
}

// hideKubeDirs hides the "..data" and "..<timestamp>" entries that a
// Kubernetes ConfigMap volume adds next to its files, so that a policy
// folder mounted from a ConfigMap is not read twice.
type hideKubeDirs struct{ fsys fs.FS }

func (h hideKubeDirs) Open(name string) (fs.File, error) {
	for _, el := range strings.Split(name, "/") {
		if strings.HasPrefix(el, "..") {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
	}
	return h.fsys.Open(name)
}

func (h hideKubeDirs) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(h.fsys, name)
	out := es[:0]
	for _, e := range es {
		if !strings.HasPrefix(e.Name(), "..") {
			out = append(out, e)
		}
	}
	return out, err
}

// loadSnapshot loads the snapshot named by url: sample://PROFILE is
// generated in memory, anything else is read by the loaders.
func loadSnapshot(ctx context.Context, url string, opts ...loaders.Option) (*snapshot.Snapshot, error) {
	so, isSample, err := sample.ParseURL(url)
	if err != nil {
		return nil, configErrorf("snapshot", "--snapshot %q: %v", url, err)
	}
	if isSample {
		fsys, err := sample.FS(ctx, so)
		if err != nil {
			return nil, fmt.Errorf("generate sample %q: %w", url, err)
		}
		snap, err := loaders.LoadFS(ctx, fsys, opts...)
		if err != nil {
			return nil, fmt.Errorf("load snapshot %q: %w", url, err)
		}
		return snap, nil
	}
	snap, err := loaders.Load(ctx, url, opts...) // its errors name the snapshot
	if err != nil {
		return nil, err
	}
	return snap, nil
}
