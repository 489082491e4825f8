package app

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
)

// memoryLimitShare is the part of the container's memory limit that the
// default soft limit (--memory-limit auto) gives the Go heap: the rest is
// left to non-heap memory (stacks, the runtime, page cache accounting).
const memoryLimitShare = 0.8

// cgroupMemoryFiles are where the container's memory limit is read from:
// cgroup v2, then v1. A Kubernetes pod's resources.limits.memory ends up
// there.
var cgroupMemoryFiles = []string{
	"/sys/fs/cgroup/memory.max",
	"/sys/fs/cgroup/memory/memory.limit_in_bytes",
}

// parseMemoryLimit reads --memory-limit: "auto" (80% of the cgroup limit
// when GOMEMLIMIT is not set), "off" or "0" (no limit set by vungmanh), or
// a size: bytes, or a number with B, KiB, MiB, GiB, TiB (or KB, MB, GB, TB:
// powers of 1000). It returns -1 for auto and 0 for off.
func parseMemoryLimit(v string) (int64, error) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "auto", "":
		return -1, nil
	case "off", "0", "none":
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	num, mult := v, 1.0
	for _, u := range units {
		if p, ok := strings.CutSuffix(v, u.suffix); ok {
			num, mult = strings.TrimSpace(p), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f*mult >= math.MaxInt64 {
		return 0, errors.New("want auto, off, or a size such as 3GiB or 3500MiB")
	}
	return int64(f * mult), nil
}

// parseMaxDecompressed reads --max-decompressed: "auto" (0: the loaders'
// default, which follows each file's stored size) or a size as
// --memory-limit takes it, above 0.
func parseMaxDecompressed(v string) (int64, error) {
	n, err := parseMemoryLimit(v)
	if err != nil || n == 0 {
		return 0, errors.New("want auto, or a size such as 2GiB or 500MiB")
	}
	return max(n, 0), nil
}

// cgroupMemoryLimit returns the memory limit of the cgroup the process runs
// in, or 0 when there is none (or it cannot be read). root prefixes the
// file names (tests use a temporary folder).
func cgroupMemoryLimit(root string) int64 {
	for _, name := range cgroupMemoryFiles {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(data))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		// cgroup v1 reports "no limit" as a huge page-rounded number.
		if n >= 1<<60 {
			return 0
		}
		return n
	}
	return 0
}

// applyMemoryLimit sets the Go runtime's soft memory limit from
// --memory-limit. With auto it leaves GOMEMLIMIT alone when set and
// otherwise uses 80% of the cgroup's limit (none: no limit). It returns the
// limit it set (0: none) and where it came from, for the log.
func applyMemoryLimit(setting string, getenv func(string) string, cgroupRoot string) (int64, string, error) {
	n, err := parseMemoryLimit(setting)
	if err != nil {
		return 0, "", err
	}
	switch {
	case n > 0:
		debug.SetMemoryLimit(n)
		return n, "memory-limit", nil
	case n == 0:
		return 0, "off", nil
	}
	if v, ok := lookupEnv(getenv, "GOMEMLIMIT"); ok && v != "" {
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT", nil
	}
	c := cgroupMemoryLimit(cgroupRoot)
	if c == 0 {
		return 0, "none", nil
	}
	n = int64(float64(c) * memoryLimitShare)
	debug.SetMemoryLimit(n)
	return n, "cgroup", nil
}

// profiler writes a CPU profile and an execution trace while the run goes
// and a heap profile at its end (--cpuprofile, --trace, --memprofile: for
// `go tool pprof` and `go tool trace`).
type profiler struct {
	cpu, trace *os.File
	memPath    string
}

// startProfiles starts the CPU profile when cpuPath is set and the
// execution trace when tracePath is.
func startProfiles(cpuPath, memPath, tracePath string) (*profiler, error) {
	p := &profiler{memPath: memPath}
	var err error
	if p.trace, err = startFile(tracePath, "trace", trace.Start); err != nil {
		return nil, err
	}
	if p.cpu, err = startFile(cpuPath, "cpu profile", pprof.StartCPUProfile); err != nil {
		p.memPath = ""
		p.stop(zerolog.Nop()) // ends the trace, when started
		return nil, err
	}
	return p, nil
}

// startFile creates path and starts writing what (a profile, a trace) to
// it; nil, nil when path is empty.
func startFile(path, what string, start func(io.Writer) error) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", what, err)
	}
	if err := start(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	return f, nil
}

// stop ends the CPU profile and writes the heap profile if not written
// yet; problems are logged, never fatal to the run.
func (p *profiler) stop(log zerolog.Logger) {
	if p == nil {
		return
	}
	if p.trace != nil {
		trace.Stop()
		if err := p.trace.Close(); err != nil {
			log.Warn().Err(err).Msg("trace not written")
		}
		p.trace = nil
	}
	if p.cpu != nil {
		pprof.StopCPUProfile()
		if err := p.cpu.Close(); err != nil {
			log.Warn().Err(err).Msg("cpu profile not written")
		}
		p.cpu = nil
	}
	p.writeHeap(log)
}

// writeHeap writes the heap profile once (the first call wins).
func (p *profiler) writeHeap(log zerolog.Logger) {
	if p == nil || p.memPath == "" {
		return
	}
	f, err := os.Create(p.memPath)
	if err != nil {
		log.Warn().Err(err).Msg("heap profile not written")
		return
	}
	runtime.GC() // up-to-date statistics
	err = pprof.Lookup("heap").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Warn().Err(err).Msg("heap profile not written")
	}
	p.memPath = ""
}

// heapAbortBytes is the heap size at which evaluation is stopped
// (checker.WithHeapAbort): 9/8 of Go's soft memory limit, i.e. 90% of the
// container's memory with --memory-limit auto (whose soft limit is 80%),
// so that the run ends with a clear error before the pod is killed for
// memory. 0 (never) when no soft limit is set.
func heapAbortBytes() uint64 {
	n := debug.SetMemoryLimit(-1)
	if n <= 0 || n == math.MaxInt64 {
		return 0
	}
	return uint64(n) / 8 * 9
}
