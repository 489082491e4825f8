// Command floor is the "floor" baseline of the benchmark harness
// (bench/run.sh): TB-01 and TB-02 (every active commune has an active
// one_plus_one, resp. three_has_three_knows, model built by an active unit of
// its subtree) computed by hand, straight from the Arrow columns of the
// loaded snapshot. It shows how far the general machinery (input building,
// Rego evaluation) is from the cost of the work itself.
//
//	floor -snapshot DIR [-repeat 5] [-workers 1] [-cpuprofile FILE]
//
// It loads the snapshot once, then times, -repeat times each, the hand-written
// computation and our checker evaluating only TB-01 and TB-02 (the pack's
// lib.rego and the two targets) with -workers goroutines, keeps the fastest
// run of each, checks that both give the same verdicts, and prints one line
// of key=value pairs:
//
//	floor_seconds=0.0012 ours_seconds=0.0450 ratio=37.5 ours_eval_seconds=0.02 eval_ratio=16.7 bound_seconds=0.003 bound_ratio=2.5 subjects=242 workers=1
//
// ours_seconds is Evaluate (index the snapshot, then evaluate);
// ours_eval_seconds is EvaluateIndex on an index built beforehand (the
// evaluation alone); bound_seconds is EvaluateIndex of two targets that read
// one field of the input and never fail, on the same subjects: what one Rego
// evaluation per subject costs before a policy does any work, the lower bound
// of any per-subject design.
//
// It exits 1 when the verdicts differ.
package main
