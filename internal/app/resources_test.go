package app

import (
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/trace"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

func TestParseMemoryLimit(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		wantErr  bool
	}{
		{"auto", "auto", -1, false},
		{"empty is auto", "", -1, false},
		{"off", "off", 0, false},
		{"zero", "0", 0, false},
		{"bytes", "1048576", 1 << 20, false},
		{"GiB", "3GiB", 3 << 30, false},
		{"Gi", "3Gi", 3 << 30, false},
		{"fraction", "3.5GiB", 3584 << 20, false},
		{"MiB with space", "3500 MiB", 3500 << 20, false},
		{"GB", "2GB", 2e9, false},
		{"negative", "-1GiB", 0, true},
		{"word", "lots", 0, true},
		{"huge", "99999999TiB", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMemoryLimit(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseMemoryLimit(%q) error %v, want error %v", tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" && !tc.wantErr {
				t.Errorf("parseMemoryLimit(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestCgroupMemoryLimit(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"none", nil, 0},
		{"v2 limit", map[string]string{"sys/fs/cgroup/memory.max": "4294967296\n"}, 4 << 30},
		{"v2 max", map[string]string{"sys/fs/cgroup/memory.max": "max\n"}, 0},
		{"v1 limit", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "2147483648\n"}, 2 << 30},
		{"v1 unlimited", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0},
		{"garbage", map[string]string{"sys/fs/cgroup/memory.max": "lots\n"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for name, data := range tc.files {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tc.want, cgroupMemoryLimit(root)); diff != "" {
				t.Errorf("cgroupMemoryLimit (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyMemoryLimit changes the process's memory limit: not parallel,
// and it restores the limit it found.
func TestApplyMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	root := t.TempDir()
	p := filepath.Join(root, "sys/fs/cgroup/memory.max")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("1000000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type res struct {
		N    int64
		From string
	}
	tests := []struct {
		name, setting string
		env           map[string]string
		want          res
	}{
		{"auto from cgroup", "auto", nil, res{800000000, "cgroup"}},
		{"GOMEMLIMIT wins over auto", "auto", map[string]string{"GOMEMLIMIT": "5GiB"}, res{old, "GOMEMLIMIT"}},
		{"explicit", "1GiB", nil, res{1 << 30, "memory-limit"}},
		{"off", "off", nil, res{0, "off"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(old)
			n, from, err := applyMemoryLimit(tc.setting, func(k string) string { return tc.env[k] }, root)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res{n, from}); diff != "" {
				t.Errorf("applyMemoryLimit(%q) (-want +got):\n%s", tc.setting, diff)
			}
			if tc.want.From == "cgroup" || tc.want.From == "memory-limit" {
				if got := debug.SetMemoryLimit(-1); got != tc.want.N {
					t.Errorf("runtime memory limit %d, want %d", got, tc.want.N)
				}
			}
		})
	}
}

func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem, tr := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof"), filepath.Join(dir, "run.trace")
	p, err := startProfiles(cpu, mem, tr)
	if err != nil {
		t.Fatal(err)
	}
	p.stop(zerolog.Nop())
	for _, f := range []string{cpu, mem, tr} {
		st, err := os.Stat(f)
		if err != nil || st.Size() == 0 {
			t.Errorf("profile %s: %v (size %v)", f, err, st)
		}
	}
}

// A profile that cannot start stops what started before it: the trace
// is not left running (trace.Start would refuse a second one).
func TestProfilesStartFailure(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "run.trace")
	if _, err := startProfiles(filepath.Join(dir, "missing", "cpu.prof"), "", tr); err == nil {
		t.Fatal("startProfiles with a cpu profile in a missing folder: no error")
	}
	if err := trace.Start(io.Discard); err != nil {
		t.Fatalf("the trace was left running: %v", err)
	}
	trace.Stop()
}
