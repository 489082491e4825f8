package targets.tb07_accompany_test

import data.lib.vungmanh_test as f
import data.targets.tb07_accompany as t

strong(level, id) := f.unit_participant(id, level, [f.rating(2022, "good", {"economy": "strong"})], "xa")

weak(level, id) := f.unit_participant(id, level, [f.rating(2022, "fair", {"economy": "not_strong"})], "xa")

accompany(ps) := object.union(f.model("dh", "xa", "accompany", "active"), {"field": "economy", "participants": ps})

input_with(ps) := f.model_input(accompany(ps), f.commune, [f.province, f.district])

msgs(vs) := {v.msg | some v in vs}

test_pass_two_branches if {
	count(t.violation) == 0 with input as input_with([strong("branch", "chi-1"), weak("branch", "chi-2")])
}

test_pass_two_groups if {
	count(t.violation) == 0 with input as input_with([strong("group", "to-1"), weak("group", "to-2")])
}

test_pass_three_groups if {
	ps := [strong("group", "to-1"), weak("group", "to-2"), strong("group", "to-3")]
	count(t.violation) == 0 with input as input_with(ps)
}

test_pass_branch_built_model if {
	inp := object.union(input_with([strong("group", "to-1"), weak("group", "to-2")]), {"unit": f.branch, "ancestors": f.branch_ancestors})
	count(t.violation) == 0 with input as inp
}

test_pass_latest_field_judgement_wins if {
	improved := f.unit_participant(
		"chi-2", "branch", [
			f.rating(2022, "fair", {"economy": "not_strong"}),
			f.rating(2023, "good", {"economy": "strong"}),
		],
		"xa",
	)
	slipped := f.unit_participant(
		"chi-1", "branch", [
			f.rating(2022, "good", {"economy": "strong"}),
			f.rating(2023, "fair", {"economy": "not_strong", "family": "strong"}),
		],
		"xa",
	)
	count(t.violation) == 0 with input as input_with([improved, slipped])
}

test_fail_field_missing if {
	m := object.remove(accompany([strong("branch", "chi-1"), weak("branch", "chi-2")]), ["field"])
	inp := f.model_input(m, f.commune, [f.province, f.district])
	t.violation == {{"msg": "Nhóm đồng hành dh chưa ghi lĩnh vực đồng hành (field)", "refs": ["dh"]}} with input as inp
}

test_fail_one_branch if {
	vs := t.violation with input as input_with([weak("branch", "chi-2")])
	msgs(vs) == {"Nhóm đồng hành dh có 1 chi hội; quy định đúng 2 chi hội"}
}

test_fail_three_branches if {
	vs := t.violation with input as input_with([strong("branch", "chi-1"), weak("branch", "chi-2"), strong("branch", "chi-3")])
	msgs(vs) == {"Nhóm đồng hành dh có 3 chi hội; quy định đúng 2 chi hội"}
}

test_fail_one_group if {
	vs := t.violation with input as input_with([weak("group", "to-1")])
	msgs(vs) == {"Nhóm đồng hành dh có 1 tổ phụ nữ; quy định từ 2 đến 3 tổ"}
}

test_fail_four_groups if {
	ps := [strong("group", "to-1"), weak("group", "to-2"), strong("group", "to-3"), strong("group", "to-4")]
	vs := t.violation with input as input_with(ps)
	msgs(vs) == {"Nhóm đồng hành dh có 4 tổ phụ nữ; quy định từ 2 đến 3 tổ"}
}

test_pass_four_groups_with_params if {
	ps := [strong("group", "to-1"), weak("group", "to-2"), strong("group", "to-3"), strong("group", "to-4")]
	count(t.violation) == 0 with input as input_with(ps) with data.params as {"TB-07": {"group_max_size": 4}}
}

test_fail_mixed_levels if {
	vs := t.violation with input as input_with([strong("branch", "chi-1"), weak("group", "to-2")])
	some v in vs
	v.msg == "Nhóm đồng hành dh gồm đơn vị nhiều cấp (Chi hội, Tổ phụ nữ); các đơn vị phải cùng là chi hội hoặc cùng là tổ phụ nữ"
	v.refs == ["dh", "chi-1", "to-2"]
	count(vs) == 1
}

test_fail_commune_units if {
	vs := t.violation with input as input_with([strong("commune", "xa-1"), weak("commune", "xa-2")])
	msgs(vs) == {"Nhóm đồng hành dh gồm các đơn vị cấp Cơ sở hội; chỉ chi hội hoặc tổ phụ nữ được ghép nhóm"}
}

test_fail_empty if {
	vs := t.violation with input as input_with([])
	msgs(vs) == {"Nhóm đồng hành dh chưa có đơn vị thành viên nào"}
}

test_fail_not_a_unit if {
	vs := t.violation with input as input_with([strong("branch", "chi-1"), weak("branch", "chi-2"), f.member_participant("hv-1", {})])
	msgs(vs) == {"Thành viên hv-1 của nhóm đồng hành dh không phải chi hội hoặc tổ phụ nữ (là hội viên)"}
}

test_fail_unknown_unit if {
	vs := t.violation with input as input_with([strong("branch", "chi-1"), weak("branch", "chi-2"), {"id": "chi-9", "kind": "unit"}])
	vs == {{"msg": "Không tìm thấy đơn vị của người tham gia thứ 3 của nhóm đồng hành dh", "refs": ["dh"]}}
}

# Dữ liệu cá nhân: người không phải hội viên được nêu bằng vị trí và loại;
# id của họ (tên, số điện thoại trong tệp xuất thật) không vào msg, refs.
test_fail_person_named_by_position if {
	name := "Nguyễn Thị Lan 0912345678"
	vs := t.violation with input as input_with([f.person_participant(name), strong("branch", "chi-1"), weak("branch", "chi-2")])
	vs == {{
		"msg": "Thành viên người tham gia thứ 1 (không phải hội viên) của nhóm đồng hành dh không phải chi hội hoặc tổ phụ nữ (là phụ nữ chưa vào hội)",
		"refs": ["dh"],
	}}
	big := t.violation with input as input_with([f.person_participant(name), strong("branch", "chi-1"), {"id": name, "kind": "unit"}])
	count(big) > 1
	not contains(json.marshal(big), name)
}

test_fail_other_commune if {
	outsider := f.unit_participant("chi-x", "branch", [f.rating(2022, "good", {"economy": "not_strong"})], "xa-khac")
	vs := t.violation with input as input_with([strong("branch", "chi-1"), outsider])
	msgs(vs) == {"Chi hội Đơn vị chi-x không thuộc Cơ sở hội Đơn vị xa của nhóm đồng hành (thuộc cơ sở hội xa-khac)"}
}

test_fail_missing_rating_names_unit if {
	unrated := f.unit_participant("chi-2", "branch", [], "xa")
	vs := t.violation with input as input_with([strong("branch", "chi-1"), unrated])
	t.violation == {{
		"msg": "Chi hội Đơn vị chi-2 chưa có xếp loại lĩnh vực phát triển kinh tế, không xác định được mạnh hay chưa mạnh",
		"refs": ["dh", "chi-2"],
	}} with input as input_with([strong("branch", "chi-1"), unrated])
	count(vs) == 1
}

test_fail_rating_of_other_field_only if {
	other := f.unit_participant("chi-2", "branch", [f.rating(2022, "fair", {"family": "not_strong"})], "xa")
	vs := t.violation with input as input_with([strong("branch", "chi-1"), other])
	count(vs) == 1
}

test_fail_future_rating_ignored if {
	future := f.unit_participant("chi-2", "branch", [f.rating(2025, "fair", {"economy": "not_strong"})], "xa")
	vs := t.violation with input as input_with([strong("branch", "chi-1"), future])
	count(vs) == 1
}

test_fail_both_strong if {
	vs := t.violation with input as input_with([strong("branch", "chi-1"), strong("branch", "chi-2")])
	t.violation == {{
		"msg": "Nhóm đồng hành dh phải có đúng 1 đơn vị chưa mạnh về phát triển kinh tế, các đơn vị còn lại mạnh; hiện có 0 chưa mạnh, 2 mạnh",
		"refs": ["dh"],
		"details": {"not_strong": 0, "strong": 2},
	}} with input as input_with([strong("branch", "chi-1"), strong("branch", "chi-2")])
	count(vs) == 1
}

test_fail_two_weak_groups if {
	ps := [weak("group", "to-1"), weak("group", "to-2"), strong("group", "to-3")]
	some v in t.violation with input as input_with(ps)
	v.refs == ["dh", "to-1", "to-2"]
	v.details == {"not_strong": 2, "strong": 1}
}

# ---- strong and weak judged on the ratings before the launch year (2023) ----

test_boundary_rating_of_launch_year_is_not_before if {
	# Rated only in 2023, the model's launch year: no judgement before launch.
	late := f.unit_participant("chi-2", "branch", [f.rating(2023, "fair", {"economy": "not_strong"})], "xa")
	msgs(t.violation) == {"Chi hội Đơn vị chi-2 chưa có xếp loại lĩnh vực phát triển kinh tế, không xác định được mạnh hay chưa mạnh"} with input as input_with([strong("branch", "chi-1"), late])
}

test_boundary_rating_of_year_before_launch_counts if {
	count(t.violation) == 0 with input as input_with([strong("branch", "chi-1"), weak("branch", "chi-2")])
	count(t.warning) == 0 with input as input_with([strong("branch", "chi-1"), weak("branch", "chi-2")])
}

test_pass_improved_pair_reports_improved if {
	now_strong := f.unit_participant(
		"chi-2", "branch", [
			f.rating(2022, "fair", {"economy": "not_strong"}),
			f.rating(2024, "good", {"economy": "strong"}),
		],
		"xa",
	)
	inp := input_with([strong("branch", "chi-1"), now_strong])
	count(t.violation) == 0 with input as inp
	[w] := [w | some w in t.warning] with input as inp
	w.details == {"improved": ["chi-2"]}
	w.refs == ["dh", "chi-2"]
}

test_fail_later_ratings_do_not_change_the_judgement if {
	# Both strong before launch: a later slip of one does not make the group valid.
	slipped := f.unit_participant(
		"chi-2", "branch", [
			f.rating(2022, "good", {"economy": "strong"}),
			f.rating(2024, "fair", {"economy": "not_strong"}),
		],
		"xa",
	)
	some v in t.violation with input as input_with([strong("branch", "chi-1"), slipped])
	v.details == {"not_strong": 0, "strong": 2}
}

test_without_launched_on_judges_up_to_as_of_year if {
	m := object.remove(accompany([
		strong("branch", "chi-1"),
		f.unit_participant("chi-2", "branch", [f.rating(2024, "fair", {"economy": "not_strong"})], "xa"),
	]), ["launched_on"])
	inp := f.model_input(m, f.commune, [f.province, f.district])
	count(t.violation) == 0 with input as inp
	count(t.warning) == 0 with input as inp
}

# ---- units named by their name ------------------------------------------------

named(p, name, parent) := object.union(p, {"unit": {"name": name, "parent_id": parent}})

# Two groups of different branches with one name: each carries its branch
# when the input knows it (the model's unit and its ancestors), else its id.
test_namesake_groups_carry_branch_or_id if {
	ps := [
		named(weak("group", "to-1"), "Tổ phụ nữ số 1", "chi"),
		named(weak("group", "to-2"), "Tổ phụ nữ số 1", "chi-khac"),
	]
	inp := object.union(input_with(ps), {"unit": object.union(f.branch, {"name": "Thôn Đông"}), "ancestors": f.branch_ancestors})
	some v in t.violation with input as inp
	v.msg == "Nhóm đồng hành dh phải có đúng 1 đơn vị chưa mạnh về phát triển kinh tế, các đơn vị còn lại mạnh; hiện có 2 chưa mạnh, 0 mạnh (chưa mạnh: Tổ phụ nữ số 1 [to-1], Tổ phụ nữ số 1 [to-2])"
}

test_distinct_names_alone if {
	ps := [named(weak("group", "to-1"), "Tổ phụ nữ số 1", "chi"), named(weak("group", "to-2"), "Tổ phụ nữ số 2", "chi")]
	some v in t.violation with input as input_with(ps)
	endswith(v.msg, "(chưa mạnh: Tổ phụ nữ số 1, Tổ phụ nữ số 2)")
}

test_improved_named if {
	now_strong := f.unit_participant("chi-2", "branch", [
		f.rating(2022, "fair", {"economy": "not_strong"}),
		f.rating(2024, "good", {"economy": "strong"}),
	], "xa")
	late := object.union(accompany([strong("branch", "chi-1"), named(now_strong, "Tây", "xa")]), {"launched_on": "2023-05-01"})
	ws := t.warning with input as f.model_input(late, f.commune, [f.province, f.district])
	ws == {{
		"msg": "Nhóm đồng hành dh: 1 đơn vị chưa mạnh về phát triển kinh tế khi ra mắt nay đã mạnh (Chi hội Tây)",
		"refs": ["dh", "chi-2"],
		"details": {"improved": ["chi-2"]},
	}}
}
