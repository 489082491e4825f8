package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vungmanh/vungmanh/internal/storage"
	"github.com/vungmanh/vungmanh/internal/storage/storagetest"
)

type opener func(t *testing.T) storage.Bucket

func drivers() map[string]opener {
	return map[string]opener{
		"dir": func(t *testing.T) storage.Bucket {
			b, err := storage.Open(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		"gcs": func(t *testing.T) storage.Bucket {
			return storagetest.NewServer(t, "b").Open(t, "some/prefix")
		},
	}
}

func TestBucketContract(t *testing.T) {
	for name, open := range drivers() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			if _, err := b.Read(ctx, "a/x.json"); !errors.Is(err, storage.ErrNotExist) {
				t.Fatalf("Read absent: %v, want ErrNotExist", err)
			}
			if d, g, err := b.ReadGen(ctx, "a/x.json"); err != nil || g != 0 || d != nil {
				t.Fatalf("ReadGen absent = %q, %d, %v", d, g, err)
			}
			if err := b.Create(ctx, "a/x.json", []byte("1"), false); err != nil {
				t.Fatal(err)
			}
			if err := b.Create(ctx, "a/x.json", []byte("2"), false); !errors.Is(err, storage.ErrPrecondition) {
				t.Fatalf("Create existing: %v, want ErrPrecondition", err)
			}
			if err := b.Create(ctx, "a/x.json", []byte("3"), true); err != nil {
				t.Fatalf("Create overwrite: %v", err)
			}
			if d, err := b.Read(ctx, "a/x.json"); err != nil || string(d) != "3" {
				t.Fatalf("Read = %q, %v", d, err)
			}
			if err := b.Swap(ctx, "latest.json", []byte("p1"), 0); err != nil {
				t.Fatalf("Swap new: %v", err)
			}
			if err := b.Swap(ctx, "latest.json", []byte("p1b"), 0); !errors.Is(err, storage.ErrPrecondition) {
				t.Fatalf("Swap ifGen 0 on existing: %v", err)
			}
			d, g1, err := b.ReadGen(ctx, "latest.json")
			if err != nil || g1 == 0 || string(d) != "p1" {
				t.Fatalf("ReadGen = %q, %d, %v", d, g1, err)
			}
			if err := b.Swap(ctx, "latest.json", []byte("p2"), g1); err != nil {
				t.Fatalf("Swap current: %v", err)
			}
			if err := b.Swap(ctx, "latest.json", []byte("p3"), g1); !errors.Is(err, storage.ErrPrecondition) {
				t.Fatalf("Swap stale: %v", err)
			}
			d, g2, _ := b.ReadGen(ctx, "latest.json")
			if string(d) != "p2" || g2 == g1 {
				t.Fatalf("after swap: %q gen %d (was %d)", d, g2, g1)
			}
			if err := b.Create(ctx, "a/b/y.csv", []byte("y"), false); err != nil {
				t.Fatal(err)
			}
			keys, err := b.List(ctx, "a/")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"a/b/y.csv", "a/x.json"}, keys); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}
			all, _ := b.List(ctx, "")
			if diff := cmp.Diff([]string{"a/b/y.csv", "a/x.json", "latest.json"}, all); diff != "" {
				t.Errorf("List all (-want +got):\n%s", diff)
			}
			for _, k := range []string{"", "/a", "a/../b", ".hidden", "a//b", "a/./b", "a/.gen"} {
				if err := b.Create(ctx, k, nil, true); err == nil {
					t.Errorf("Create(%q) accepted an invalid key", k)
				}
			}
		})
	}
}

// Concurrent compare-and-swap increments never lose an update.
func TestSwapNoLostUpdate(t *testing.T) {
	for name, open := range drivers() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			const workers, each = 4, 5
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						for try := 0; ; try++ {
							if try > 1000 {
								errs <- errors.New("no progress after 1000 tries")
								return
							}
							d, g, err := b.ReadGen(ctx, "n")
							if err != nil {
								errs <- err
								return
							}
							n, _ := strconv.Atoi(string(d))
							err = b.Swap(ctx, "n", []byte(strconv.Itoa(n+1)), g)
							if errors.Is(err, storage.ErrPrecondition) {
								continue
							}
							if err != nil {
								errs <- err
								return
							}
							break
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			d, _ := b.Read(ctx, "n")
			if string(d) != strconv.Itoa(workers*each) {
				t.Fatalf("counter = %s, want %d", d, workers*each)
			}
		})
	}
}

func TestDirLeavesNoTempFiles(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := storage.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Create(ctx, "r/a", []byte("a"), false)
	_ = b.Create(ctx, "r/a", []byte("b"), false)
	_ = b.Swap(ctx, "r/l", []byte("l"), 0)
	_ = b.Swap(ctx, "r/l", []byte("l"), 7)
	ents, _ := os.ReadDir(filepath.Join(root, "r"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{".l.gen", ".l.lock", "a", "l"}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestOpenURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		url     string
		wantErr bool
	}{
		{url: dir},
		{url: "file://" + dir},
		{url: "s3://x/y", wantErr: true},
		{url: "gs:///nobucket", wantErr: true},
		{url: "file://remote/x", wantErr: true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			b, err := storage.Open(ctx, tc.url)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Open(%q) err = %v, wantErr %v", tc.url, err, tc.wantErr)
			}
			if b != nil {
				_ = b.Close()
			}
		})
	}
}

// Open honours STORAGE_EMULATOR_HOST for gs:// URLs.
func TestOpenEmulatorHost(t *testing.T) {
	ctx := context.Background()
	srv := storagetest.NewServer(t, "emu")
	t.Setenv("STORAGE_EMULATOR_HOST", srv.Proxy.URL)
	b, err := storage.Open(ctx, "gs://emu/reports")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Create(ctx, "k", []byte("v"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Fake.GetObject("emu", "reports/k"); err != nil {
		t.Fatalf("object not under the prefix: %v", err)
	}
}

// Every kind of transient fault on the first request of each call is retried.
func TestGCSRetriesTransientFaults(t *testing.T) {
	ctx := context.Background()
	srv := storagetest.NewServer(t, "b")
	b := srv.Open(t, "p")
	for i, f := range storagetest.Faults() {
		t.Run(f.String(), func(t *testing.T) {
			key := fmt.Sprintf("k%d", i)
			srv.Proxy.SetPlan(storagetest.FailAt(0, f, false))
			if err := b.Create(ctx, key, []byte("v"), false); err != nil {
				t.Fatalf("Create: %v", err)
			}
			srv.Proxy.SetPlan(storagetest.FailAt(0, f, false))
			if err := b.Swap(ctx, key, []byte("w"), 0); !errors.Is(err, storage.ErrPrecondition) {
				t.Fatalf("Swap on existing with ifGen 0: %v", err)
			}
			_, g, err := b.ReadGen(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			srv.Proxy.SetPlan(storagetest.FailAt(0, f, false))
			if err := b.Swap(ctx, key, []byte("w"), g); err != nil {
				t.Fatalf("Swap: %v", err)
			}
			srv.Proxy.SetPlan(storagetest.FailAt(0, f, false))
			d, err := b.Read(ctx, key)
			if err != nil || string(d) != "w" {
				t.Fatalf("Read = %q, %v", d, err)
			}
			srv.Proxy.SetPlan(nil)
		})
	}
}

func TestGCSPersistentFaultFails(t *testing.T) {
	ctx := context.Background()
	srv := storagetest.NewServer(t, "b")
	b := srv.Open(t, "p")
	for _, f := range storagetest.Faults() {
		t.Run(f.String(), func(t *testing.T) {
			srv.Proxy.SetPlan(storagetest.FailAt(0, f, true))
			defer srv.Proxy.SetPlan(nil)
			if err := b.Create(ctx, "x-"+f.String(), []byte("v"), false); err == nil && f != storagetest.FaultLostResponse {
				t.Fatal("Create succeeded through a persistent fault")
			}
		})
	}
}
