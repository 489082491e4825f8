package targets.tb02_three_has_three_knows_test

import data.lib.vungmanh_test as f
import data.targets.tb02_three_has_three_knows as t

subject := f.commune

units := [f.unit("chi-1", "branch", "xa"), f.inactive_unit("chi-2", "branch", "xa"), f.unit("to-1", "group", "chi-1")]

input_with(models) := f.unit_input(subject, units, models)

test_pass_model_of_subject if {
	count(t.violation) == 0 with input as input_with([f.model("m1", "xa", "three_has_three_knows", "active")])
}

test_pass_model_of_descendant if {
	count(t.violation) == 0 with input as input_with([f.model("m1", "to-1", "three_has_three_knows", "active")])
}

test_pass_one_of_many if {
	ms := [
		f.model("m1", "chi-1", "three_has_three_knows", "inactive"),
		f.model("m2", "chi-1", "three_has_three_knows", "active"),
		f.model("m3", "chi-1", "other", "active"),
	]
	count(t.violation) == 0 with input as input_with(ms)
}

test_pass_status_absent_means_active if {
	m := object.remove(f.model("m1", "chi-1", "three_has_three_knows", "active"), ["status"])
	count(t.violation) == 0 with input as input_with([m])
}

test_fail_empty_subject if {
	t.violation == {{
		"msg": "Cơ sở hội Đơn vị xa chưa có mô hình \"3 có, 3 biết\" nào đang hoạt động (0 mô hình đang hoạt động; 0 mô hình không được tính: đã dừng, ra mắt sau ngày số liệu hoặc thuộc đơn vị ngừng hoạt động)",
		"refs": ["xa"],
		"details": {"active": 0, "not_counted": 0},
	}} with input as f.unit_input(subject, [], [])
}

test_fail_only_inactive_models if {
	ms := [f.model("m2", "chi-1", "three_has_three_knows", "inactive"), f.model("m1", "xa", "three_has_three_knows", "inactive")]
	some v in t.violation with input as input_with(ms)
	v.refs == ["xa", "m1", "m2"]
	v.details.not_counted == 2
}

test_fail_model_of_inactive_unit if {
	ms := [f.model("m1", "chi-2", "three_has_three_knows", "active")]
	count(t.violation) == 1 with input as input_with(ms)
}

test_fail_other_types_only if {
	ms := [f.model("m1", "chi-1", "other", "active"), f.model("m2", "chi-1", "one_plus_one", "active")]
	some v in t.violation with input as input_with(ms)
	v.refs == ["xa"]
}

# Mô hình ra mắt đúng ngày số liệu (as_of 2024-09-30), hoặc không ghi ngày ra
# mắt, được tính.
test_pass_launched_on_or_before_as_of if {
	m := f.model("m1", "to-1", "three_has_three_knows", "active")
	count(t.violation) == 0 with input as input_with([object.union(m, {"launched_on": "2024-09-30"})])
	count(t.violation) == 0 with input as input_with([object.remove(m, ["launched_on"])])
}

# Mô hình ra mắt sau ngày số liệu không được tính (chỉ tiêu tính đến ngày số
# liệu), và được đếm trong số mô hình không được tính.
test_fail_launched_after_as_of if {
	ms := [
		object.union(f.model("m1", "to-1", "three_has_three_knows", "active"), {"launched_on": "2024-10-01"}),
		f.model("m2", "xa", "three_has_three_knows", "inactive"),
	]
	t.violation == {{
		"msg": "Cơ sở hội Đơn vị xa chưa có mô hình \"3 có, 3 biết\" nào đang hoạt động (0 mô hình đang hoạt động; 2 mô hình không được tính: đã dừng, ra mắt sau ngày số liệu hoặc thuộc đơn vị ngừng hoạt động)",
		"refs": ["xa", "m1", "m2"],
		"details": {"active": 0, "not_counted": 2},
	}} with input as input_with(ms)
}

# The message names the unit as the report does: the union's word for the
# level, then the name with the kind of the place in front when the name
# lacks it.
test_message_names_the_unit_by_kind if {
	named := object.union(subject, {"name": "Bồ Xuyên", "kind": "phường"})
	some v in t.violation with input as f.unit_input(named, [], [])
	startswith(v.msg, "Cơ sở hội Phường Bồ Xuyên chưa có mô hình \"3 có, 3 biết\" nào")
}
