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
		"msg": "2/2 chi hội của Đơn vị xa chưa có xếp loại năm 2023: chi-1, chi-2",
		"refs": ["chi-1", "chi-2"],
		"details": {"year": 2023, "unrated": 2, "branches": 2},
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
