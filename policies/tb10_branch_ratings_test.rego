package targets.tb10_branch_ratings_test

import data.lib.vungmanh_test as f
import data.targets.tb10_branch_ratings as t

units := [
	f.unit("chi-1", "branch", "xa"),
	f.unit("chi-2", "branch", "xa"),
	f.inactive_unit("chi-3", "branch", "xa"),
	f.unit("to-1", "group", "chi-1"),
]

input_with(ratings) := object.union(f.unit_input(f.commune, units, []), {"ratings": ratings})

test_pass if {
	rs := {
		"chi-1": [f.rating(2022, "good", {}), f.rating(2023, "good", {})],
		"chi-2": [f.rating(2023, "fair", {})],
	}
	count(t.violation) == 0 with input as input_with(rs)
}

test_pass_empty_commune if {
	count(t.violation) == 0 with input as f.unit_input(f.commune, [], [])
}

test_fail_lists_unrated if {
	rs := {"chi-1": [f.rating(2022, "good", {}), f.rating(2024, "good", {})], "xa": [f.rating(2023, "good", {})]}
	t.violation == {{
		"msg": "2/2 chi hội của Cơ sở hội Đơn vị xa chưa có xếp loại năm 2023: Chi hội Đơn vị chi-1, Chi hội Đơn vị chi-2",
		"refs": ["chi-1", "chi-2"],
		"details": {"year": 2023, "unrated": 2, "branches": 2, "by_predecessors": 0},
	}} with input as input_with(rs)
}

test_fail_one_missing if {
	rs := {"chi-1": [f.rating(2023, "good", {})], "to-1": [f.rating(2023, "good", {})]}
	some v in t.violation with input as input_with(rs)
	v.refs == ["chi-2"]
}

test_year_follows_as_of if {
	rs := {"chi-1": [f.rating(2024, "good", {})], "chi-2": [f.rating(2024, "good", {})]}
	count(t.violation) == 0 with input as input_with(rs) with input.snapshot.as_of as "2025-01-15"
}

# ---- after the 1 July 2025 reform (domain.md, point 5) ------------------------

# pred(id, effective, ratings): a history entry (docs/policy-input.md).
pred(id, effective, ratings) := {"id": id, "kind": "merge", "effective": effective, "ratings": ratings}

# named_pred(id, name, ratings): a predecessor branch with its name, merged
# on 1 July 2025 (its kind is the lineage's, not the place's).
named_pred(id, name, ratings) := object.union(pred(id, "2025-07-01", ratings), {"name": name, "level": "branch"})

new_branch(id, hist) := object.union(f.unit(id, "branch", "xa"), {"history": hist})

reform_input(branches, ratings) := object.union(
	f.unit_input(f.commune, branches, []),
	{"ratings": ratings, "snapshot": object.union(f.snapshot, {"as_of": "2025-09-30"})},
)

test_new_branch_rated_through_predecessors if {
	bs := [
		new_branch("chi-moi", [named_pred("chi-a", "Thôn A", [f.rating(2024, "good", {})]), pred("chi-b", "2025-07-01", [f.rating(2023, "fair", {})])]),
		f.unit("chi-cu", "branch", "xa"),
	]
	inp := reform_input(bs, {"chi-cu": [f.rating(2024, "good", {})]})
	count(t.violation) == 0 with input as inp
	t.warning == {{
		"msg": "Chi hội Đơn vị chi-moi thành lập sau năm 2024: xếp loại năm 2024 tính theo đơn vị tiền thân Chi hội Thôn A (Vững mạnh)",
		"refs": ["chi-moi", "chi-a"],
		"details": {"year": 2024, "by_predecessors": true},
	}} with input as inp
}

test_new_branch_whose_predecessors_lack_the_year_fails_and_says_so if {
	bs := [
		new_branch("chi-moi", [pred("chi-a", "2025-07-01", [f.rating(2024, "good", {})])]),
		new_branch("chi-moi-2", [pred("chi-c", "2025-07-01", [f.rating(2023, "good", {})])]),
	]
	t.violation == {{
		"msg": "1/2 chi hội của Cơ sở hội Đơn vị xa chưa có xếp loại năm 2024: Chi hội Đơn vị chi-moi-2 (1 chi hội mới sau sắp xếp được tính theo xếp loại của đơn vị tiền thân: Chi hội Đơn vị chi-moi)",
		"refs": ["chi-moi-2"],
		"details": {"year": 2024, "unrated": 1, "branches": 2, "by_predecessors": 1},
	}} with input as reform_input(bs, {})
}

# A branch that existed all of 2024 answers for its own 2024 rating.
test_branch_that_existed_does_not_borrow if {
	bs := [new_branch("chi-cu", [pred("chi-a", "2024-12-31", [f.rating(2024, "good", {})])])]
	some v in t.violation with input as reform_input(bs, {})
	v.refs == ["chi-cu"]
	count(t.warning) == 0 with input as reform_input(bs, {})
}

# Its own rating comes first: no warning.
test_own_rating_first if {
	bs := [new_branch("chi-moi", [pred("chi-a", "2025-07-01", [f.rating(2024, "weak", {})])])]
	inp := reform_input(bs, {"chi-moi": [f.rating(2024, "good", {})]})
	count(t.violation) == 0 with input as inp
	count(t.warning) == 0 with input as inp
}

# Branches named by their name; two branches of the commune with one name
# keep their ids (their parent, the commune, does not tell them apart).
test_unrated_named_and_namesakes_apart if {
	us := [
		object.union(f.unit("chi-1", "branch", "xa"), {"name": "Đông", "kind": "thôn"}),
		object.union(f.unit("chi-2", "branch", "xa"), {"name": "Thôn Đông"}),
		object.union(f.unit("chi-3", "branch", "xa"), {"name": "Tây", "kind": "thôn"}),
	]
	c := object.union(f.commune, {"name": "Thái Xuyên", "kind": "xã"})
	inp := object.union(f.unit_input(c, us, []), {"ratings": {"chi-3": [f.rating(2022, "good", {})]}})
	some v in t.violation with input as inp
	v.msg == "3/3 chi hội của Cơ sở hội Xã Thái Xuyên chưa có xếp loại năm 2023: Chi hội Thôn Đông [chi-1], Chi hội Thôn Đông [chi-2], Chi hội Thôn Tây"
}
