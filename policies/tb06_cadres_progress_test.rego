package targets.tb06_cadres_progress_test

import data.lib.vungmanh_test as f
import data.targets.tb06_cadres_progress as t

head_good := f.cadre_participant("cb-1", "chi", "branch_head", "good", "xa")

deputy_weak := f.cadre_participant("cb-2", "chi", "branch_deputy", "not_yet_good", "xa")

group_head_weak := f.cadre_participant("cb-3", "to", "group_head", "not_yet_good", "xa")

group_deputy_good := f.cadre_participant("cb-4", "to", "group_deputy", "good", "xa")

input_with(ps) := f.model_input(
	f.with_participants(f.model("nhom", "chi", "cadres_progress", "active"), ps),
	f.branch,
	f.branch_ancestors,
)

msgs(vs) := {v.msg | some v in vs}

test_pass_two if {
	count(t.violation) == 0 with input as input_with([head_good, deputy_weak])
}

test_pass_three_mixed_levels if {
	count(t.violation) == 0 with input as input_with([head_good, deputy_weak, group_head_weak])
}

test_pass_commune_built_model if {
	inp := object.union(input_with([head_good, group_head_weak]), {"unit": f.commune, "ancestors": [f.province]})
	count(t.violation) == 0 with input as inp
}

test_fail_size_one if {
	t.violation == {
		{
			"msg": "Nhóm cùng tiến nhom có 1 người, ít hơn mức tối thiểu 2 người",
			"refs": ["nhom", "cb-1"],
			"details": {"size": 1, "min_size": 2, "max_size": 3},
		},
		{
			"msg": "Nhóm cùng tiến nhom phải có cả cán bộ giỏi và cán bộ chưa giỏi (hiện có 1 giỏi, 0 chưa giỏi)",
			"refs": ["nhom", "cb-1"],
			"details": {"good": 1, "not_yet_good": 0},
		},
	} with input as input_with([head_good])
}

test_fail_size_four if {
	vs := t.violation with input as input_with([head_good, deputy_weak, group_head_weak, group_deputy_good])
	msgs(vs) == {"Nhóm cùng tiến nhom có 4 người, nhiều hơn mức tối đa 3 người"}
}

test_pass_size_four_with_params if {
	ps := [head_good, deputy_weak, group_head_weak, group_deputy_good]
	count(t.violation) == 0 with input as input_with(ps) with data.params as {"TB-06": {"max_size": 4}}
}

test_fail_size_two_with_min_three if {
	vs := t.violation with input as input_with([head_good, deputy_weak]) with data.params as {"TB-06": {"min_size": 3}}
	msgs(vs) == {"Nhóm cùng tiến nhom có 2 người, ít hơn mức tối thiểu 3 người"}
}

test_fail_empty_group if {
	vs := t.violation with input as input_with([])
	"Nhóm cùng tiến nhom có 0 người, ít hơn mức tối thiểu 2 người" in msgs(vs)
	"Nhóm cùng tiến nhom chưa có chi hội trưởng nào được đánh giá giỏi" in msgs(vs)
}

test_fail_not_a_cadre if {
	vs := t.violation with input as input_with([head_good, deputy_weak, f.member_participant("hv-1", {})])
	some v in vs
	v.refs == ["nhom", "hv-1"]
	v.msg == "Thành viên hv-1 của nhóm cùng tiến nhom không phải cán bộ (là hội viên)"
}

test_fail_unknown_cadre if {
	unknown := {"id": "cb-9", "kind": "cadre", "role": "member"}
	vs := t.violation with input as input_with([head_good, deputy_weak, unknown])
	vs == {{"msg": "Không tìm thấy cán bộ của người tham gia thứ 3 của nhóm cùng tiến nhom trong danh sách cán bộ", "refs": ["nhom"]}}
}

# Dữ liệu cá nhân: người không phải hội viên được nêu bằng vị trí và loại;
# id của họ (tên, số điện thoại trong tệp xuất thật) không vào msg, refs.
test_fail_person_named_by_position if {
	name := "Nguyễn Thị Lan 0912345678"
	vs := t.violation with input as input_with([head_good, f.person_participant(name), deputy_weak])
	vs == {{
		"msg": "Thành viên người tham gia thứ 2 (không phải hội viên) của nhóm cùng tiến nhom không phải cán bộ (là phụ nữ chưa vào hội)",
		"refs": ["nhom"],
	}}
	big := t.violation with input as input_with([head_good, f.person_participant(name), deputy_weak, {"id": name, "kind": "cadre"}])
	count(big) > 1
	not contains(json.marshal(big), name)
}

test_fail_commune_cadre if {
	chair := f.cadre_participant("cb-5", "xa", "commune_chair", "not_yet_good", "xa")
	vs := t.violation with input as input_with([head_good, chair])
	msgs(vs) == {"Cán bộ cb-5 (chủ tịch cơ sở) không phải cán bộ chi hội hoặc tổ phụ nữ (chi hội trưởng, chi hội phó, tổ trưởng, tổ phó)"}
}

test_fail_other_commune if {
	outsider := f.cadre_participant("cb-6", "chi-khac", "branch_deputy", "not_yet_good", "xa-khac")
	vs := t.violation with input as input_with([head_good, outsider])
	some v in vs
	v.msg == "Cán bộ cb-6 không công tác tại Cơ sở hội Đơn vị xa của nhóm cùng tiến (đơn vị công tác: chi-khac)"
	v.refs == ["nhom", "cb-6", "chi-khac"]
}

test_fail_model_outside_any_commune if {
	inp := object.union(input_with([head_good, deputy_weak]), {"unit": f.district, "ancestors": [f.province]})
	vs := t.violation with input as inp
	count(vs) == 2
	"Cán bộ cb-1 không công tác tại cơ sở hội (không xác định) của nhóm cùng tiến (đơn vị công tác: chi)" in msgs(vs)
}

test_fail_no_good_branch_head if {
	vs := t.violation with input as input_with([group_deputy_good, deputy_weak])
	msgs(vs) == {"Nhóm cùng tiến nhom chưa có chi hội trưởng nào được đánh giá giỏi"}
}

test_fail_branch_head_not_good if {
	head_weak := f.cadre_participant("cb-7", "chi", "branch_head", "not_yet_good", "xa")
	vs := t.violation with input as input_with([head_weak, group_deputy_good])
	msgs(vs) == {"Nhóm cùng tiến nhom chưa có chi hội trưởng nào được đánh giá giỏi"}
}

test_fail_all_good if {
	vs := t.violation with input as input_with([head_good, group_deputy_good])
	msgs(vs) == {"Nhóm cùng tiến nhom phải có cả cán bộ giỏi và cán bộ chưa giỏi (hiện có 2 giỏi, 0 chưa giỏi)"}
}

test_fail_competence_missing if {
	unassessed := object.union(object.remove(deputy_weak, ["cadre"]), {"cadre": object.remove(deputy_weak.cadre, ["competence"])})
	vs := t.violation with input as input_with([head_good, unassessed])
	msgs(vs) == {"Nhóm cùng tiến nhom phải có cả cán bộ giỏi và cán bộ chưa giỏi (hiện có 1 giỏi, 0 chưa giỏi)"}
}

test_duplicate_rows_count_once if {
	vs := t.violation with input as input_with([head_good, head_good, deputy_weak])
	count(vs) == 0
}

# ---- warnings: the guidance's examples, never violations ----

with_fields(p, fs) := object.union(p, {"cadre": object.union(p.cadre, {"strong_fields": fs})})

with_field(inp, field) := object.union(inp, {"subject": object.union(inp.subject, {"field": field})})

test_warn_one_good_with_two_not_yet_good if {
	inp := input_with([head_good, deputy_weak, group_head_weak])
	count(t.violation) == 0 with input as inp
	t.warning == {{
		"msg": "Nhóm cùng tiến nhom ghép 1 cán bộ giỏi với 2 cán bộ chưa giỏi; hướng dẫn nêu cách ghép \"1 kèm 1\" hoặc \"2 kèm 1\"",
		"refs": ["nhom", "cb-1", "cb-2", "cb-3"],
		"details": {"good": 1, "not_yet_good": 2},
	}} with input as inp
}

test_no_warning_one_helps_one if {
	count(t.warning) == 0 with input as input_with([head_good, deputy_weak])
}

test_no_warning_two_help_one if {
	inp := input_with([head_good, deputy_weak, group_deputy_good])
	count(t.violation) == 0 with input as inp
	count(t.warning) == 0 with input as inp
}

test_no_pairing_warning_when_the_mix_is_a_violation if {
	# Two good, none not yet good: the hard rule fails; no warning on top.
	inp := input_with([head_good, group_deputy_good])
	count(t.violation) == 1 with input as inp
	count(t.warning) == 0 with input as inp
}

test_warn_good_cadre_not_strong_in_group_field if {
	inp := with_field(input_with([with_fields(head_good, ["family"]), deputy_weak]), "economy")
	count(t.violation) == 0 with input as inp
	[w] := [w | some w in t.warning] with input as inp
	w.msg == "Nhóm cùng tiến nhom: không cán bộ giỏi nào mạnh về phát triển kinh tế"
	w.details == {"fields": ["economy"]}
}

test_no_field_warning_when_good_cadre_strong_in_field if {
	inp := with_field(input_with([with_fields(head_good, ["family", "economy"]), deputy_weak]), "economy")
	count(t.warning) == 0 with input as inp
}

test_no_field_warning_without_strong_fields_data if {
	# Fixture cadres carry strong_fields: [] (not recorded).
	count(t.warning) == 0 with input as with_field(input_with([head_good, deputy_weak]), "economy")
}

test_warn_without_field_on_fields_the_not_yet_good_lacks if {
	weak := with_fields(deputy_weak, ["propaganda", "family", "membership"]) # weak in economy only
	inp := input_with([with_fields(head_good, ["family"]), weak])
	[w] := [w | some w in t.warning] with input as inp
	w.details == {"fields": ["economy"]}
	count(t.warning) == 0 with input as input_with([with_fields(head_good, ["economy"]), weak])
}
