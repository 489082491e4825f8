package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Dir is a Bucket on a local folder.
//
// Every write goes to a temporary file ".tmp-*" in the target's folder,
// which is synced and then renamed (or hard-linked, for a does-not-exist
// precondition) into place, so a reader sees the old object or the new one.
// CreateUnsynced skips the sync, for the many files of a folder that
// SyncFolder then makes durable at once (a run folder, before its
// manifest.json).
//
// Generations: each object K written with Swap has a sidecar ".K.gen"
// holding a decimal counter, and a lock file ".K.lock". Swap takes an
// exclusive flock(2) on the lock file, compares the counter with ifGen,
// writes counter+1 to the sidecar and only then renames the new data into
// place. A crash between the two leaves a bumped counter over the old data:
// a later Swap against the old generation fails and re-reads, which is safe
// (never a lost update). ReadGen takes a shared lock so data and counter
// match. An object written by Create (or by another tool) without a sidecar
// has generation 1. flock works across processes and across goroutines
// (each call opens its own descriptor). Files whose names start with "."
// are the driver's and are never listed.
type Dir struct {
	root string
}

// OpenDir opens (and creates when missing) a local folder as a Bucket.
func OpenDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("open bucket: empty folder path")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open bucket %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open bucket %q: %w", root, err)
	}
	// A folder that cannot be written fails now, before a run has done its
	// work, rather than when it publishes.
	probe, err := os.CreateTemp(abs, ".write-probe-*")
	if err != nil {
		return nil, fmt.Errorf("open bucket %q: cannot write in it: %w", root, err)
	}
	probe.Close()
	if err := os.Remove(probe.Name()); err != nil {
		return nil, fmt.Errorf("open bucket %q: %w", root, err)
	}
	return &Dir{root: abs}, nil
}

// ErrLocked is returned (wrapped) by LockFolder when another writer holds
// the folder's lock.
var ErrLocked = errors.New("the folder is being written by another writer")

// LockFolder takes the exclusive lock of the folder prefix (a key prefix
// without trailing slash), without waiting: ErrLocked when another writer,
// in this process or another, holds it. The lock is flock(2) on a sidecar
// ".<name>.lock" beside the folder, so the kernel releases it when its
// holder dies, even by SIGKILL. Once it holds the lock it removes the
// temporary files ".tmp-*" that a writer killed in the middle of a write
// left in the folder and its subfolders: only a holder of the lock writes
// there. Call unlock when done.
func (d *Dir) LockFolder(ctx context.Context, prefix string) (unlock func(), err error) {
	p, err := d.path(prefix)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", prefix, classify(err))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lock %q: %w", prefix, classify(err))
	}
	unlock, err = lockNow(p)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", prefix, classify(err))
	}
	if err := removeTemps(p); err != nil {
		unlock()
		return nil, fmt.Errorf("lock %q: remove the temporary files of an interrupted write: %w", prefix, err)
	}
	return unlock, nil
}

// removeTemps removes the ".tmp-*" files below dir (a missing dir has none).
func removeTemps(dir string) error {
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasPrefix(e.Name(), ".tmp-") {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Root returns the folder's absolute path.
func (d *Dir) Root() string { return d.root }

func (d *Dir) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	// No element below the root may be a symbolic link: a link inside
	// --out would make the run write (or read) outside it.
	cur := d.root
	for _, el := range strings.Split(key, "/") {
		cur = filepath.Join(cur, el)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("%w: %s", ErrSymlink, cur)
		}
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// ErrSymlink is returned (wrapped) when a key of a Dir goes through a
// symbolic link inside the folder: it is not followed. A setting to fix.
var ErrSymlink = errors.New("a symbolic link inside the folder is not followed")

// ErrPermission is returned (wrapped) when the local file system refuses
// an operation (a folder or file under the root that the process may not
// write): a setting to fix, not a fault to retry.
var ErrPermission = errors.New("permission denied in the folder")

// classify marks a refusal of the file system with ErrPermission.
func classify(err error) error {
	if errors.Is(err, fs.ErrPermission) && !errors.Is(err, ErrPermission) {
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	return err
}

func sidecar(p, ext string) string {
	return filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+ext)
}

// Read implements Bucket.
func (d *Dir) Read(ctx context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", key, classify(err))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read %q: %w", key, classify(err))
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %q: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", key, classify(err))
	}
	return b, nil
}

// ReadGen implements Bucket.
func (d *Dir) ReadGen(ctx context.Context, key string) ([]byte, int64, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, 0, fmt.Errorf("read %q: %w", key, classify(err))
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("read %q: %w", key, classify(err))
	}
	unlock, err := lock(p, syscall.LOCK_SH)
	if err != nil {
		return nil, 0, fmt.Errorf("read %q: %w", key, classify(err))
	}
	defer unlock()
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read %q: %w", key, classify(err))
	}
	gen, err := readGen(p)
	if err != nil {
		return nil, 0, fmt.Errorf("read %q: %w", key, classify(err))
	}
	return b, gen, nil
}

// Create implements Bucket. The object is durable (synced, and its
// folder's entry) when Create returns.
func (d *Dir) Create(ctx context.Context, key string, data []byte, overwrite bool) error {
	return d.create(ctx, key, writeBytes(data), overwrite, true)
}

// CreateFrom is Create with the object's bytes written by write instead
// of held whole: a report of hundreds of megabytes goes to the disk as it
// is made. write's error is CreateFrom's, and leaves no object. write may
// be called more than once (GCS's retries), each time from the start.
func (d *Dir) CreateFrom(ctx context.Context, key string, write func(io.Writer) error, overwrite bool) error {
	return d.create(ctx, key, write, overwrite, true)
}

// CreateFromUnsynced is CreateFrom without waiting for the disk, as
// CreateUnsynced.
func (d *Dir) CreateFromUnsynced(ctx context.Context, key string, write func(io.Writer) error, overwrite bool) error {
	return d.create(ctx, key, write, overwrite, false)
}

// writeBytes is the write function of an object held whole.
func writeBytes(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// CreateUnsynced is Create without waiting for the disk: a reader sees the
// whole object or none, but a crash of the machine before SyncFolder has
// returned may lose the object or leave it short. A run folder's files are
// written so, then made durable together by one SyncFolder before its
// manifest.json: thousands of fsyncs are one sync of the file system.
func (d *Dir) CreateUnsynced(ctx context.Context, key string, data []byte, overwrite bool) error {
	return d.create(ctx, key, writeBytes(data), overwrite, false)
}

// SyncFolder makes every object written below prefix (by CreateUnsynced)
// durable, their folders' entries included, or returns the error of the
// disk. On Linux it is syncfs(2) of the folder's file system, which
// reports a write-back error that no one has seen yet (since Linux 5.8);
// elsewhere each file and folder below prefix is fsynced.
func (d *Dir) SyncFolder(ctx context.Context, prefix string) error {
	p, err := d.path(prefix)
	if err != nil {
		return fmt.Errorf("sync %q: %w", prefix, classify(err))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sync %q: %w", prefix, err)
	}
	if err := syncTree(p); err != nil {
		return fmt.Errorf("sync %q: %w", prefix, classify(err))
	}
	return nil
}

func (d *Dir) create(ctx context.Context, key string, write func(io.Writer) error, overwrite, durable bool) error {
	p, err := d.path(key)
	if err != nil {
		return fmt.Errorf("create %q: %w", key, classify(err))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create %q: %w", key, classify(err))
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create %q: %w", key, classify(err))
	}
	tmp, err := writeTemp(filepath.Dir(p), write, durable)
	if err != nil {
		return fmt.Errorf("create %q: %w", key, classify(err))
	}
	defer os.Remove(tmp) // after a link or a failure; a no-op after a rename
	if overwrite {
		err = os.Rename(tmp, p)
	} else {
		err = os.Link(tmp, p) // atomic, fails when p exists
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %q: %w", key, ErrPrecondition)
		}
	}
	if err != nil {
		return fmt.Errorf("create %q: %w", key, classify(err))
	}
	if !durable {
		return nil
	}
	return syncDir(filepath.Dir(p))
}

// Swap implements Bucket.
func (d *Dir) Swap(ctx context.Context, key string, data []byte, ifGen int64) error {
	p, err := d.path(key)
	if err != nil {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	unlock, err := lock(p, syscall.LOCK_EX)
	if err != nil {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	defer unlock()
	var cur int64
	if _, err := os.Stat(p); err == nil {
		if cur, err = readGen(p); err != nil {
			return fmt.Errorf("swap %q: %w", key, classify(err))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	if cur != ifGen {
		return fmt.Errorf("swap %q: generation %d, want %d: %w", key, cur, ifGen, ErrPrecondition)
	}
	dir := filepath.Dir(p)
	tmp, err := writeTemp(dir, writeBytes(data), true)
	if err != nil {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	defer os.Remove(tmp)
	// The counter moves first: see the type's doc.
	gtmp, err := writeTemp(dir, writeBytes([]byte(strconv.FormatInt(cur+1, 10))), true)
	if err != nil {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	defer os.Remove(gtmp)
	if err := os.Rename(gtmp, sidecar(p, ".gen")); err != nil {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("swap %q: %w", key, classify(err))
	}
	return syncDir(dir)
}

// List implements Bucket.
func (d *Dir) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == d.root {
			return nil
		}
		if strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, classify(err))
	}
	sort.Strings(keys)
	return keys, nil
}

// Close implements Bucket.
func (d *Dir) Close() error { return nil }

func readGen(p string) (int64, error) {
	b, err := os.ReadFile(sidecar(p, ".gen"))
	if errors.Is(err, fs.ErrNotExist) {
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	g, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("generation file of %s: %w", filepath.Base(p), err)
	}
	return g, nil
}

// lockNow takes the exclusive lock of p without waiting: ErrLocked when
// another descriptor holds it.
func lockNow(p string) (func(), error) {
	unlock, err := lock(p, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, ErrLocked
	}
	return unlock, err
}

func lock(p string, how int) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(sidecar(p, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// writeTemp writes data to a new temporary file in dir, synced when
// durable, and returns its path.
func writeTemp(dir string, write func(io.Writer) error, durable bool) (name string, err error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		f.Close()
		return "", err
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return "", err
		}
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// syncDir fsyncs a folder (or a file); a file system that cannot sync a
// folder is no error.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) { // some file systems cannot sync a folder
		err = nil
	}
	return err
}

// Dirs returns the names of the folders right below prefix (a folder
// path ending in "/", or "" for the root), sorted: the "directories" of
// the keys below it. A missing folder has none.
func (d *Dir) Dirs(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir := d.root
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		var err error
		if dir, err = d.path(p); err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, classify(err))
		}
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, classify(err))
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
