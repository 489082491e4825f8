// Command profile writes CPU and heap profiles of the nightly pipeline's two
// heavy stages, loading (loaders.Load) and evaluation (checker.Evaluate of the
// built-in pack), for the benchmark harness (bench/run.sh). It stands in for
// `vungmanh run --cpuprofile/--memprofile` until the run command has them.
//
//	profile -snapshot DIR -cpuprofile cpu.prof -memprofile mem.prof [-workers 2]
//
// It prints one line of key=value pairs (load_seconds, eval_seconds,
// results) and leaves the reading to `go tool pprof`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/loaders"
	"github.com/vungmanh/vungmanh/policies"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("profile", flag.ContinueOnError)
	dir := fl.String("snapshot", "", "snapshot folder")
	cpu := fl.String("cpuprofile", "cpu.prof", "CPU profile to write")
	mem := fl.String("memprofile", "mem.prof", "heap profile to write, taken half-way through evaluation (the live peak)")
	workers := fl.Int("workers", 2, "evaluation workers")
	if err := fl.Parse(args); err != nil {
		return err
	}
	pols, err := checker.Load(ctx, policies.FS)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	f, err := os.Create(*cpu)
	if err != nil {
		return fmt.Errorf("create %q: %w", *cpu, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("start CPU profile: %w", err)
	}
	start := time.Now()
	snap, err := loaders.Load(ctx, *dir)
	if err != nil {
		pprof.StopCPUProfile()
		f.Close()
		return fmt.Errorf("load snapshot %q: %w", *dir, err)
	}
	defer snap.Release()
	loaded := time.Now()
	var heapErr error
	heapDone := false
	half := func(done, total int) { // called under the checker's lock
		if heapDone || done < total/2 {
			return
		}
		heapDone = true
		heapErr = writeHeap(*mem)
	}
	out, err := checker.New(pols, checker.WithWorkers(*workers), checker.WithProgress(half)).Evaluate(ctx, snap)
	evaluated := time.Now()
	pprof.StopCPUProfile()
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("write %q: %w", *cpu, cerr)
	}
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	if heapErr != nil {
		return heapErr
	}
	fmt.Printf("load_seconds=%.3f eval_seconds=%.3f results=%d\n",
		loaded.Sub(start).Seconds(), evaluated.Sub(loaded).Seconds(), len(out.Results))
	runtime.KeepAlive(out)
	return nil
}

func writeHeap(path string) error {
	h, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %q: %w", path, err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(h); err != nil {
		h.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := h.Close(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}
