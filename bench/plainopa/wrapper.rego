# The plain-OPA baseline: what a policy author would write without vungmanh.
#
# data.plain (written by `plainopa export`) holds the raw tables as arrays of
# row objects, the snapshot's name, title and as-of date, and the targets of
# the pack. This wrapper builds each subject's input (docs/policy-input.md) with
# comprehensions over those tables, evaluates the target packages on it with
# `with input as`, and returns one [target, subject, status] triple per
# evaluation (status pass, fail or skipped).
#
# It is written the way a careful author would: the per-unit indexes are
# computed once (grouping comprehensions over the distinct keys, which OPA's
# comprehension indexing makes linear), the input of a unit is built once and
# shared by every target of its level.
#
#	opa eval -f json -d data.json -d policies/ -d wrapper.rego data.plainopa.results
package plainopa

tables := data.plain.tables

# ---- indexes, computed once ----------------------------------------------------

rank := {"province": 0, "district": 1, "commune": 2, "branch": 3, "group": 4}

rename(r, m) := {to: v | some from, to in m; v := r[from]}

level_of := {r.unit_id: r.level | some r in tables.units}

# Every unit is a key of both graphs: graph.reachable only follows keys.
parent_edges := {r.unit_id: ps | some r in tables.units; ps := [p | p := r.parent_id]}

# children[p]: the unit ids whose parent is p ([] for a leaf).
children := object.union({r.unit_id: [] | some r in tables.units}, parents_children)

parents_children := {p: cs |
	some p in {r.parent_id | some r in tables.units}
	cs := [c | some j; data.plain.tables.units[j].parent_id == p; c := data.plain.tables.units[j].unit_id]
}

# path[u]: ancestor ids of u, root first.
path := {u: anc |
	some r in tables.units
	u := r.unit_id
	up := graph.reachable(parent_edges, {u}) - {u}
	anc := [a | some k in [0, 1, 2, 3, 4]; some a in up; rank[level_of[a]] == k]
}

commune_of := {u: c |
	some r in tables.units
	u := r.unit_id
	some c in array.concat(path[u], [u])
	level_of[c] == "commune"
}

commune_part(u) := {"commune_id": c | c := commune_of[u]}

unit_obj := {r.unit_id: o |
	some r in tables.units
	base := rename(r, {"unit_id": "id", "level": "level", "name": "name", "kind": "kind", "parent_id": "parent_id"})
	o := object.union(object.union(base, {"active": object.get(r, "active", true)}), commune_part(r.unit_id))
}

anc_obj(a) := {"id": a, "level": unit_obj[a].level, "name": unit_obj[a].name}

# subtree[u]: u and every unit below it.
subtree(u) := graph.reachable(children, {u})

ratings_by_unit := {u: sorted |
	some u in {r.unit_id | some r in tables.ratings}
	rs := [o |
		some j
		data.plain.tables.ratings[j].unit_id == u
		r := data.plain.tables.ratings[j]
		o := object.union(
			rename(r, {"year": "year", "rating": "rating", "score": "score"}),
			{"fields": rename(r, {"propaganda": "propaganda", "family": "family", "economy": "economy", "membership": "membership"})},
		)
	]
	sorted := [o | some y in sort({x.year | some x in rs}); some o in rs; o.year == y]
}

activities_by_unit := {u: acts |
	some u in {r.unit_id | some r in tables.activities}
	acts := [rename(data.plain.tables.activities[j], {"month": "month", "kind": "kind", "attendees": "attendees"}) |
		some j
		data.plain.tables.activities[j].unit_id == u
	]
}

cadre_obj := {r.cadre_id: o |
	some r in tables.cadres
	base := rename(r, {
		"cadre_id": "id", "unit_id": "unit_id", "role": "role", "competence": "competence",
		"strong_fields": "strong_fields", "member_id": "member_id", "party_member": "party_member",
	})
	o := object.union(base, commune_part(r.unit_id))
}

cadres_by_unit := {u: cs |
	some u in {r.unit_id | some r in tables.cadres}
	cs := [cadre_obj[data.plain.tables.cadres[j].cadre_id] | some j; data.plain.tables.cadres[j].unit_id == u]
}

member_by_id := {m.member_id: m | some m in tables.members}

member_obj(id) := object.union(
	rename(m, {
		"member_id": "id", "unit_id": "unit_id", "joined_on": "joined_on", "honorary": "honorary",
		"party_member": "party_member", "pioneer": "pioneer", "hardship": "hardship",
	}),
	commune_part(m.unit_id),
) if m := member_by_id[id]

resolved(p) := {"unit": object.union(unit_obj[p.participant_id], {"ratings": object.get(ratings_by_unit, p.participant_id, [])})} if {
	p.kind == "unit"
	unit_obj[p.participant_id]
} else := {"cadre": cadre_obj[p.participant_id]} if {
	p.kind == "cadre"
	cadre_obj[p.participant_id]
} else := {"member": member_obj(p.participant_id)} if {
	p.kind == "member"
	member_obj(p.participant_id)
} else := {}

participants_by_model := {m: ps |
	some m in {r.model_id | some r in tables.participants}
	ps := [o |
		some j
		data.plain.tables.participants[j].model_id == m
		p := data.plain.tables.participants[j]
		base := rename(p, {"participant_id": "id", "kind": "kind", "role": "role", "pair": "pair", "component": "component"})
		o := object.union(base, resolved(p))
	]
}

model_obj := {r.model_id: o |
	some r in tables.models
	base := rename(r, {
		"model_id": "id", "unit_id": "unit_id", "type": "type", "name": "name", "launched_on": "launched_on",
		"status": "status", "field": "field", "special_group": "special_group",
	})
	o := object.union(base, {"participants": object.get(participants_by_model, r.model_id, [])})
}

models_by_unit := {u: ms |
	some u in {r.unit_id | some r in tables.models}
	ms := [model_obj[data.plain.tables.models[j].model_id] | some j; data.plain.tables.models[j].unit_id == u]
}

# ---- member statistics ----------------------------------------------------------

as_of := data.plain.snapshot.as_of

year_before := sprintf("%04d%s", [to_number(substring(as_of, 0, 4)) - 1, substring(as_of, 4, -1)])

members_by_unit := {u: ms |
	some u in {r.unit_id | some r in tables.members}
	ms := [data.plain.tables.members[j] | some j; data.plain.tables.members[j].unit_id == u]
}

own_stats := {u: s |
	some u, ms in members_by_unit
	s := {
		"total": count(ms),
		"honorary": count([1 | some m in ms; m.honorary == true]),
		"party_member": count([1 | some m in ms; m.party_member == true]),
		"pioneer": count([1 | some m in ms; m.pioneer == true]),
		"hardship": count([1 | some m in ms; m.hardship == true]),
		"hardship_recorded": count([1 | some m in ms; is_boolean(m.hardship)]),
		"needs_recorded": count([1 | some m in ms; m.needs_recorded == true]),
		"joined_last_12_months": count([1 | some m in ms; m.joined_on > year_before; m.joined_on <= as_of]),
		"by_special_group": {g: count([1 | some m in ms; m.special_group == g]) | some g in {m.special_group | some m in ms}},
	}
}

stat_keys := ["total", "honorary", "party_member", "pioneer", "hardship", "hardship_recorded", "needs_recorded", "joined_last_12_months"]

# stats of u, counting its whole subtree.
stats(u) := object.union({k: sum([object.get(own_stats, [d, k], 0) | some d in sub]) | some k in stat_keys}, {"by_special_group": groups}) if {
	sub := subtree(u)
	names := {g | some d in sub; some g, _ in object.get(own_stats, [d, "by_special_group"], {})}
	groups := {g: sum([object.get(own_stats, [d, "by_special_group", g], 0) | some d in sub]) | some g in names}
}

member_levels := {"commune", "branch", "group"}

# ---- inputs ---------------------------------------------------------------------

snap := data.plain.snapshot

unit_input(u) := {
	"subject": unit_obj[u],
	"ancestors": [anc_obj(a) | some a in path[u]],
	"units": [unit_obj[d] | some d in sort(sub - {u})],
	"models": [m | some d in sub; some m in object.get(models_by_unit, d, [])],
	"cadres": [c | some d in sub; some c in object.get(cadres_by_unit, d, [])],
	"ratings": {d: rs | some d in sub; rs := ratings_by_unit[d]},
	"activities": {d: acts | some d in sub; acts := activities_by_unit[d]},
	"members": {d: stats(d) | some d in sub; counted(u, d)},
	"snapshot": snap,
} if sub := subtree(u)

counted(u, u)

counted(_, d) if level_of[d] in member_levels

model_input(m) := {
	"subject": model_obj[m],
	"unit": unit_obj[model_obj[m].unit_id],
	"ancestors": [anc_obj(a) | some a in path[model_obj[m].unit_id]],
	"snapshot": snap,
}

# ---- evaluation -----------------------------------------------------------------

verdict(pkg, inp) := "skipped" if {
	s := data.targets[pkg].skip with input as inp
	s != false
} else := "fail" if {
	vs := data.targets[pkg].violation with input as inp
	count(vs) > 0
} else := "pass"

unit_targets := {s: ts |
	some t in data.plain.targets
	s := t.scope
	s != "model"
	ts := [x | some x in data.plain.targets; x.scope == s]
}

model_targets := {mt: ts |
	some t in data.plain.targets
	t.scope == "model"
	mt := t.model_type
	ts := [x | some x in data.plain.targets; x.scope == "model"; x.model_type == mt]
}

unit_results := [[t.id, r.unit_id, st] |
	some r in tables.units
	object.get(r, "active", true) == true
	ts := unit_targets[r.level]
	inp := unit_input(r.unit_id)
	some t in ts
	st := verdict(t.package, inp)
]

model_results := [[t.id, r.model_id, st] |
	some r in tables.models
	object.get(r, "status", "active") == "active"
	ts := model_targets[r.type]
	unit_obj[r.unit_id].active == true
	inp := model_input(r.model_id)
	some t in ts
	st := verdict(t.package, inp)
]

results := array.concat(unit_results, model_results)
