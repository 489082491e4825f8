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
	mem := fl.String("memprofile", "mem.prof", "heap profile to write (taken after evaluation, snapshot still live)")
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
	out, err := checker.New(pols, checker.WithWorkers(*workers)).Evaluate(ctx, snap)
	evaluated := time.Now()
	pprof.StopCPUProfile()
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("write %q: %w", *cpu, cerr)
	}
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	h, err := os.Create(*mem)
	if err != nil {
		return fmt.Errorf("create %q: %w", *mem, err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(h); err != nil {
		h.Close()
		return fmt.Errorf("write %q: %w", *mem, err)
	}
	if err := h.Close(); err != nil {
		return fmt.Errorf("write %q: %w", *mem, err)
	}
	fmt.Printf("load_seconds=%.3f eval_seconds=%.3f results=%d\n",
		loaded.Sub(start).Seconds(), evaluated.Sub(loaded).Seconds(), len(out.Results))
	runtime.KeepAlive(out)
	return nil
}
