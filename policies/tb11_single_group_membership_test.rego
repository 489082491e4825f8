package targets.tb11_single_group_membership_test

import data.lib.vungmanh_test as f
import data.targets.tb11_single_group_membership as t

units := [f.unit("chi-1", "branch", "xa"), f.unit("chi-2", "branch", "xa"), f.inactive_unit("chi-3", "branch", "xa")]

cadre(id) := f.cadre_participant(id, "chi-1", "branch_head", "good", "xa")

branch(id) := f.unit_participant(id, "branch", [], "xa")

group(id, unit_id, type, status, ps) := f.with_participants(f.model(id, unit_id, type, status), ps)

input_with(models) := f.unit_input(f.commune, units, models)

msgs(vs) := {v.msg | some v in vs}

test_pass_disjoint_groups if {
	ms := [
		group("cp-1", "xa", "cadres_progress", "active", [cadre("cb-1"), cadre("cb-2")]),
		group("cp-2", "xa", "cadres_progress", "active", [cadre("cb-3"), cadre("cb-4")]),
		group("dh-1", "xa", "accompany", "active", [branch("chi-1"), branch("chi-2")]),
	]
	count(t.violation) == 0 with input as input_with(ms)
}

test_pass_empty_commune if {
	count(t.violation) == 0 with input as f.unit_input(f.commune, [], [])
}

test_pass_same_id_in_one_of_each_kind if {
	ms := [
		group("cp-1", "xa", "cadres_progress", "active", [cadre("cb-1")]),
		group("dh-1", "xa", "accompany", "active", [branch("chi-1")]),
		group("dh-2", "xa", "accompany", "active", [cadre("chi-1")]),
	]
	count(t.violation) == 0 with input as input_with(ms)
}

test_fail_cadre_in_two_groups if {
	ms := [
		group("cp-2", "xa", "cadres_progress", "active", [cadre("cb-1"), cadre("cb-2")]),
		group("cp-1", "chi-1", "cadres_progress", "active", [cadre("cb-1"), cadre("cb-3")]),
	]
	t.violation == {{
		"msg": "Cán bộ cb-1 thuộc 2 nhóm cán bộ cùng tiến đang hoạt động: cp-1, cp-2",
		"refs": ["cb-1", "cp-1", "cp-2"],
		"details": {"model_type": "cadres_progress", "groups": 2},
	}} with input as input_with(ms)
}

test_fail_unit_in_three_groups if {
	ms := [
		group("dh-1", "xa", "accompany", "active", [branch("chi-1"), branch("chi-2")]),
		group("dh-2", "xa", "accompany", "active", [branch("chi-1")]),
		group("dh-3", "xa", "accompany", "active", [branch("chi-1")]),
	]
	msgs(t.violation) == {"Chi hội Đơn vị chi-1 thuộc 3 nhóm đồng hành vượt khó đang hoạt động: dh-1, dh-2, dh-3"} with input as input_with(ms)
}

test_pass_inactive_groups_do_not_count if {
	ms := [
		group("cp-1", "xa", "cadres_progress", "active", [cadre("cb-1")]),
		group("cp-2", "xa", "cadres_progress", "inactive", [cadre("cb-1")]),
		group("cp-3", "chi-3", "cadres_progress", "active", [cadre("cb-1")]),
	]
	count(t.violation) == 0 with input as input_with(ms)
}

test_pass_models_without_participants if {
	ms := [object.remove(f.model("cp-1", "xa", "cadres_progress", "active"), ["participants"])]
	count(t.violation) == 0 with input as input_with(ms)
}

# Một id không tra được (không có bản ghi cán bộ, đơn vị) có thể là tên người:
# không được nêu (TB-06, TB-07 báo nó là không tìm thấy).
test_pass_unknown_ids_not_named if {
	name := "Nguyễn Thị Lan 0912345678"
	unknown_cadre := {"id": name, "kind": "cadre", "role": "member"}
	unknown_unit := {"id": name, "kind": "unit", "role": "member"}
	ms := [
		group("cp-1", "xa", "cadres_progress", "active", [cadre("cb-1"), unknown_cadre]),
		group("cp-2", "xa", "cadres_progress", "active", [cadre("cb-2"), unknown_cadre]),
		group("dh-1", "xa", "accompany", "active", [branch("chi-1"), unknown_unit]),
		group("dh-2", "xa", "accompany", "active", [branch("chi-2"), unknown_unit]),
	]
	count(t.violation) == 0 with input as input_with(ms)
}

# Groups of two branches with one name carry their branch's name.
test_namesake_groups_carry_their_branch if {
	us := [
		object.union(f.unit("chi-1", "branch", "xa"), {"name": "Thôn Đông"}),
		object.union(f.unit("chi-2", "branch", "xa"), {"name": "Thôn Tây"}),
		object.union(f.unit("to-1", "group", "chi-1"), {"name": "Tổ phụ nữ số 1"}),
		object.union(f.unit("to-2", "group", "chi-2"), {"name": "Tổ phụ nữ số 1"}),
	]
	to1 := object.union(f.unit_participant("to-1", "group", [], "xa"), {"unit": us[2]})
	to2 := object.union(f.unit_participant("to-2", "group", [], "xa"), {"unit": us[3]})
	ms := [
		group("dh-1", "xa", "accompany", "active", [to1, to2]),
		group("dh-2", "xa", "accompany", "active", [to1, to2]),
	]
	msgs(t.violation) == {
		"Tổ phụ nữ số 1 (Thôn Đông) thuộc 2 nhóm đồng hành vượt khó đang hoạt động: dh-1, dh-2",
		"Tổ phụ nữ số 1 (Thôn Tây) thuộc 2 nhóm đồng hành vượt khó đang hoạt động: dh-1, dh-2",
	} with input as f.unit_input(f.commune, us, ms)
}
