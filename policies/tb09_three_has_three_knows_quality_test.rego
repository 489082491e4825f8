package targets.tb09_three_has_three_knows_quality_test

import data.lib.vungmanh_test as f
import data.targets.tb09_three_has_three_knows_quality as t

branch := f.unit("chi", "branch", "xa")

groups := [f.unit("to-1", "group", "chi"), f.unit("to-2", "group", "chi")]

model := f.model("m33", "to-1", "three_has_three_knows", "active")

good_stats := {
	"total": 40, "honorary": 0, "party_member": 3, "pioneer": 4, "hardship": 5,
	"hardship_recorded": 38, "needs_recorded": 36, "joined_last_12_months": 2, "by_special_group": {},
}

activities := {
	"chi": [{"month": "2024-06", "kind": "meeting", "attendees": 30}, {"month": "2024-08", "kind": "meeting", "attendees": 28}],
	"to-2": [{"month": "2024-07", "kind": "support", "attendees": 5}],
}

input_with(models, stats, acts) := object.union(
	f.unit_input(branch, groups, models),
	{"members": {"chi": stats}, "activities": acts},
)

good := input_with([model], good_stats, activities)

msgs(vs) := {v.msg | some v in vs}

test_pass if {
	count(t.violation) == 0 with input as good
	not t.skip with input as good
}

test_skip_without_model if {
	inp := input_with([], good_stats, activities)
	t.skip == "chi hội chưa xây dựng mô hình \"3 có, 3 biết\" đang hoạt động" with input as inp
	count(t.violation) == 0 with input as inp
}

test_skip_with_inactive_model_only if {
	inp := input_with([f.model("m33", "chi", "three_has_three_knows", "inactive")], {}, {})
	t.skip with input as inp
	count(t.violation) == 0 with input as inp
}

test_fail_no_pioneer if {
	inp := input_with([model], object.union(good_stats, {"pioneer": 0}), activities)
	t.violation == {{
		"msg": "Chi hội Đơn vị chi chưa có hội viên tiên phong, nòng cốt (0/40 hội viên)",
		"refs": ["chi"],
		"details": {"pioneer": 0, "total": 40},
	}} with input as inp
}

test_fail_missing_month if {
	acts := object.remove(activities, ["to-2"])
	vs := t.violation with input as input_with([model], good_stats, acts)
	vs == {{
		"msg": "Chi hội Đơn vị chi không có sinh hoạt trong 1/3 tháng trước ngày số liệu: 07/2024",
		"refs": ["chi"],
		"details": {"missing_months": ["2024-07"]},
	}}
}

test_as_of_month_does_not_count if {
	acts := {"chi": [{"month": "2024-09", "kind": "meeting", "attendees": 30}]}
	vs := t.violation with input as input_with([model], good_stats, acts)
	msgs(vs) == {"Chi hội Đơn vị chi không có sinh hoạt trong 3/3 tháng trước ngày số liệu: 06/2024, 07/2024, 08/2024"}
}

test_months_param if {
	vs := t.violation with input as good with data.params as {"TB-09": {"months": 4}}
	msgs(vs) == {"Chi hội Đơn vị chi không có sinh hoạt trong 1/4 tháng trước ngày số liệu: 05/2024"}
}

test_fail_hardship_share_below if {
	inp := input_with([model], object.union(good_stats, {"hardship_recorded": 35}), activities)
	t.violation == {{
		"msg": "Chi hội Đơn vị chi mới nắm hoàn cảnh của 35/40 hội viên (87,5\u00a0%), dưới mức 90,0\u00a0%",
		"refs": ["chi"],
		"details": {"hardship_recorded": 35, "total": 40},
	}} with input as inp
}

test_fail_needs_share_below if {
	inp := input_with([model], object.union(good_stats, {"needs_recorded": 0}), activities)
	msgs(t.violation) == {"Chi hội Đơn vị chi mới nắm nhu cầu của 0/40 hội viên (0,0\u00a0%), dưới mức 90,0\u00a0%"} with input as inp
}

test_pass_share_exactly_at_threshold if {
	inp := input_with([model], object.union(good_stats, {"hardship_recorded": 36}), activities)
	count(t.violation) == 0 with input as inp
}

test_share_param if {
	vs := t.violation with input as good with data.params as {"TB-09": {"recorded_share": 0.95}}
	msgs(vs) == {"Chi hội Đơn vị chi mới nắm nhu cầu của 36/40 hội viên (90,0\u00a0%), dưới mức 95,0\u00a0%"}
}

test_fail_everything_for_empty_branch if {
	vs := t.violation with input as input_with([model], {}, {})
	msgs(vs) == {
		"Chi hội Đơn vị chi chưa có hội viên tiên phong, nòng cốt (0/0 hội viên)",
		"Chi hội Đơn vị chi không có sinh hoạt trong 3/3 tháng trước ngày số liệu: 06/2024, 07/2024, 08/2024",
	}
}

# ---- after the 1 July 2025 reform (domain.md, point 5) ------------------------

reform_branch(hist) := object.union(branch, {"history": hist})

reform_input(hist, acts) := object.union(
	f.unit_input(reform_branch(hist), groups, [model]),
	{
		"members": {"chi": good_stats}, "activities": acts,
		"snapshot": object.union(f.snapshot, {"as_of": "2025-08-31"}),
	},
)

old_branch(acts) := {"id": "chi-cu", "kind": "merge", "effective": "2025-07-01", "ratings": [], "activities": acts}

meeting(month) := {"month": month, "kind": "meeting", "attendees": 20}

# Months before the branch began count with its predecessor's activities.
test_months_before_the_reform_from_predecessors if {
	inp := reform_input([old_branch([meeting("2025-05"), meeting("2025-06")])], {"chi": [meeting("2025-07")]})
	count(t.violation) == 0 with input as inp
}

test_missing_months_say_which_came_from_predecessors if {
	inp := reform_input([old_branch([meeting("2025-06"), meeting("2025-07")])], {"to-1": [meeting("2025-07")]})
	msgs(t.violation) == {"Chi hội Đơn vị chi không có sinh hoạt trong 1/3 tháng trước ngày số liệu: 05/2025 (tháng 06/2025 tính theo sinh hoạt của đơn vị tiền thân)"} with input as inp
}

# The predecessor's July (after the 1 July start) is not the branch's.
test_predecessor_months_stop_at_the_start if {
	inp := reform_input([old_branch([meeting("2025-06"), meeting("2025-07")])], {})
	msgs(t.violation) == {"Chi hội Đơn vị chi không có sinh hoạt trong 2/3 tháng trước ngày số liệu: 05/2025, 07/2025 (tháng 06/2025 tính theo sinh hoạt của đơn vị tiền thân)"} with input as inp
}

# Large branches: counts with a dot between thousands, as the report writes.
test_thousands_written_the_vietnamese_way if {
	stats := {"total": 1234, "pioneer": 20, "hardship_recorded": 1050, "needs_recorded": 1234}
	vs := t.violation with input as input_with([model], stats, activities)
	msgs(vs) == {"Chi hội Đơn vị chi mới nắm hoàn cảnh của 1.050/1.234 hội viên (85,1\u00a0%), dưới mức 90,0\u00a0%"}
}
