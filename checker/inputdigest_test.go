package checker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vungmanh/vungmanh/internal/sample"
	"github.com/vungmanh/vungmanh/internal/snapshot"
	"github.com/vungmanh/vungmanh/policies"
)

// inputDigests are the SHA-256 of every input document of each snapshot of
// TestInputsUnchanged (inputDigest), as the index built them before the
// input builders were made cheaper (issue 20). The policy input contract is
// that of docs/policy-input.md: a builder that changes a value, a key or an
// order changes the digest. Regenerate only for a deliberate change of the
// contract (the test logs the digests it computes).
var inputDigests = map[string]string{
	"synthetic province 12x4x12": "2726648ff85d21316d93c1b6ebb9dd6b34837fdd9d6a38fe2ee4f7b3239ad908",
	"reform":                     "f73fa25097cb0be6ba8ff2e9d278aa13e89302a4c989b9f73c363c675ace93e0",
	"thai-binh seed 1":           "914190a0c939830e54d4864caf807ccc5ba9a433512ec1654e9a6b900f5e6d43",
	"hung-yen 2025-09 seed 2":    "47f31d6b69f52451334bcc4283105ef49423cef5abd9b76534c2d1e5d7a17d5b",
	"national 0.002, defects":    "c0b3fa801bc6bbc1d3ae5d5c5bee2c4d09d85bec27f1fb2a886b5b3755c087dd",
	"national 0.002, reform":     "cf1c1660a61d2dd49b30b70c6023cd99b8eb13b67e1b9f4ff16bb5b183d03f7d",
}

// TestInputsUnchanged digests the input of every subject of a few
// snapshots built every way the checker builds them: alone with every key
// (Input, EvalOne), through the term cache of its job with every key, and
// through that cache with only the keys the pack's rules read, as Evaluate
// does. Each must give the same documents as the builders of main before
// issue 20: see inputDigests.
func TestInputsUnchanged(t *testing.T) {
	pols, err := Load(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	c := mustNew(t, pols)
	snaps := map[string]func() *snapshot.Snapshot{
		"synthetic province 12x4x12": func() *snapshot.Snapshot { return synthProvince(memory.NewGoAllocator(), 12, 4, 12) },
		"reform":                     func() *snapshot.Snapshot { return reformSnap(t) },
		"thai-binh seed 1": func() *snapshot.Snapshot {
			return sampleSnap(t, sample.Options{Profile: sample.ProfileThaiBinh, Seed: 1})
		},
		"hung-yen 2025-09 seed 2": func() *snapshot.Snapshot {
			return sampleSnap(t, sample.Options{Profile: sample.ProfileMergerAfter, Seed: 2})
		},
		"national 0.002, defects": func() *snapshot.Snapshot {
			return sampleSnap(t, sample.Options{Profile: sample.ProfileNational, Scale: 0.002, Seed: 4, Defects: 0.1})
		},
		"national 0.002, reform": func() *snapshot.Snapshot {
			return sampleSnap(t, sample.Options{Profile: sample.ProfileNational, Scale: 0.002, Seed: 5, Reform: true})
		},
	}
	for name, want := range inputDigests {
		t.Run(name, func(t *testing.T) {
			x, err := buildIndex(snaps[name]())
			if err != nil {
				t.Fatal(err)
			}
			got := inputDigest(t, x, c)
			t.Logf("%q: %q,", name, got)
			if got != want {
				t.Errorf("inputs digest %s, want %s: an input document changed", got, want)
			}
		})
	}
}

// inputDigest hashes, for every unit and model subject of x, its input
// built the three ways of TestInputsUnchanged, the subjects taken in the
// jobs of Evaluate (plan.batches) so that the cache is shared as there.
//
// Where a scope reads only the subject's own member statistics
// (inOwnMembers), the pruned input hashed is the one with every entry of
// input.members, as before that pruning, and the input Evaluate builds
// must be that document with input.members holding the subject's entry
// alone (ownMembersOf).
func inputDigest(t *testing.T, x *index, c *Checker) string {
	p := &plan{x: x}
	for u, row := range x.units {
		p.subjects = append(p.subjects, subject{scope: string(row.level), unit: u, model: -1})
	}
	for m, row := range x.models {
		if row.unit >= 0 {
			p.subjects = append(p.subjects, subject{scope: "model", unit: row.unit, model: m})
		}
	}
	h := sha256.New()
	write := func(h hash.Hash, s subject, how string, v fmt.Stringer) {
		fmt.Fprintf(h, "%s %s %s\n%s\n", x.subjectID(s), s.scope, how, v)
	}
	all, pruned := newTermCache(), newTermCache()
	for _, b := range p.batches() {
		all.reset() // as a worker of EvaluateIndex does between its jobs
		pruned.reset()
		for _, i := range b {
			s := p.subjects[i]
			write(h, s, "whole", x.input(s))
			write(h, s, "cached", x.inputKeys(s, all, allInputKeys))
			keys, ok := c.policies.inputKeys[s.scope]
			if !ok {
				keys = allInputKeys
			}
			if keys&inOwnMembers == 0 {
				write(h, s, "pruned", x.inputKeys(s, pruned, keys))
				continue
			}
			own := x.inputKeys(s, pruned, keys)
			whole := x.inputKeys(s, pruned, keys&^inOwnMembers|inMembers)
			write(h, s, "pruned", whole)
			if want := ownMembersOf(t, whole, x.subjectID(s)); own.Compare(want) != 0 {
				t.Errorf("%s %s: input with its own members\n%v\nwant\n%v", x.subjectID(s), s.scope, own, want)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestEnumIntern: the first 255 distinct texts get an index into
// enumTerms, the others 0, and enumTerm gives each text's term either way.
func TestEnumIntern(t *testing.T) {
	x := &index{}
	e := enumIntern{x: x}
	idx := make([]uint8, 300)
	for round := 0; round < 2; round++ { // the second round reads the local map
		for i := range idx {
			s := fmt.Sprintf("kind-%d", i)
			k := e.index(s)
			if round == 1 && k != idx[i] {
				t.Fatalf("%s: index %d, then %d", s, idx[i], k)
			}
			idx[i] = k
			if got := x.enumTerm(k, s); !got.Equal(ast.StringTerm(s)) {
				t.Errorf("%s (index %d): term %v", s, k, got)
			}
		}
	}
	for i, k := range idx {
		if want := uint8(i + 1); i < 255 && k != want || i >= 255 && k != 0 {
			t.Errorf("text %d: index %d", i, k)
		}
	}
}

// TestTermCacheReset: a worker's cache is empty at the start of each job
// (the terms of the last job are not kept alive through it).
func TestTermCacheReset(t *testing.T) {
	x, err := buildIndex(synthProvince(memory.NewGoAllocator(), 3, 3, 5))
	if err != nil {
		t.Fatal(err)
	}
	tc := newTermCache()
	for u, row := range x.units {
		if row.level == snapshot.LevelCommune {
			x.inputKeys(subject{scope: string(row.level), unit: u, model: -1}, tc, allInputKeys)
		}
	}
	for m := range x.models {
		x.inputKeys(subject{scope: "model", unit: x.models[m].unit, model: m}, tc, allInputKeys)
	}
	for which := 0; which < 7; which++ {
		if len(tc.mapOf(which)) == 0 {
			t.Fatalf("map %d empty after building inputs", which)
		}
	}
	tc.reset()
	for which := 0; which < 7; which++ {
		if n := len(tc.mapOf(which)); n != 0 {
			t.Errorf("map %d holds %d terms after reset", which, n)
		}
	}
}

// TestDescendants: descendants is the tree's Descendants for every unit,
// through the shortcut (children without children) or not.
func TestDescendants(t *testing.T) {
	for name, snap := range map[string]*snapshot.Snapshot{
		"synthetic": synthProvince(memory.NewGoAllocator(), 5, 3, 4),
		"reform":    reformSnap(t),
	} {
		x, err := buildIndex(snap)
		if err != nil {
			t.Fatal(err)
		}
		short := 0
		for u := range x.units {
			got, want := x.descendants(u), x.tree.Descendants(u)
			if len(got) != len(want) || (len(got) > 0 && !slices.Equal(got, want)) {
				t.Errorf("%s: descendants of %s: %v, want %v", name, x.units[u].id, got, want)
			}
			if len(got) > 0 && x.units[u].level == snapshot.LevelBranch {
				short++
			}
		}
		if name == "synthetic" && short == 0 {
			t.Error("no branch with groups: the shortcut is not tested")
		}
	}
}

// ownMembersOf is doc with input.members holding only the entry of the
// subject id.
func ownMembersOf(t *testing.T, doc ast.Value, id string) ast.Value {
	t.Helper()
	obj := doc.(ast.Object)
	members := obj.Get(kMembers)
	if members == nil {
		t.Fatalf("%s: no members in %v", id, doc)
	}
	key := ast.StringTerm(id)
	entry := members.Value.(ast.Object).Get(key)
	if entry == nil {
		t.Fatalf("%s: no members entry of the subject in %v", id, members)
	}
	out := obj.Copy()
	out.Insert(kMembers, ast.ObjectTerm([2]*ast.Term{key, entry}))
	return out
}
