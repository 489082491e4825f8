// Package hierarchy is the unit hierarchy (province, district, commune,
// branch, group) and the shard rule, in one place: the loaders check the
// tree with it, the checker walks it to build inputs and pick a shard's
// subjects, and the app finds with it the subjects no shard evaluates.
//
// # The tree
//
// New builds a Tree from Nodes (id, parent id, level); FromRecord reads
// them from a units record. Node i is the i-th node given; a parent id that
// is no node's, or "", gives no parent. The tree answers, by node index:
//
//   - Parent, Children (sorted by id), Descendants (sorted by id);
//   - Ancestors, root first: the chain stops at an unknown parent or where
//     it meets a node again, so a cycle never loops;
//   - Commune: the commune a node is or sits in, -1 when none (a province,
//     a district, a broken chain);
//   - OnCycle: the nodes whose chain of parents comes back to them (the
//     loaders flag them, DQ004).
//
// NestingOK is the rule of which level may sit directly under which.
//
// Known joins a Tree of loaded units to the units the loaders excluded:
// Path walks up from any id through both, Level and CommuneOn read either,
// so that a not-evaluated result gets the same path and shard as a loaded
// subject would.
//
// # The shard rule
//
// A run split into Count shards gives each commune to shard
// ShardOf(id, Count), the FNV-1a hash of its id modulo Count: the same
// commune always lands in the same shard for a given count. A subject
// belongs to the shard of its commune (Shard.Holds); subjects above the
// communes (AboveCommunes: provinces, districts) and the strays below them
// with no commune on their path (Known.HasStrays) belong to no shard: the
// merge evaluates those once.
//
//	tree, err := hierarchy.FromRecord(snap.Table(snapshot.Units))
//	...
//	shard := hierarchy.Shard{Index: 2, Count: 8}
//	for i := range tree.Len() {
//		if shard.Holds(tree.CommuneID(i)) {
//			// evaluate unit i in shard 2 of 8
//		}
//	}
//
// The package imports only internal/snapshot, Arrow and the standard
// library; a Tree is read-only once built and safe for concurrent use.
package hierarchy
