# Tests of the shared library, and fixtures the targets' tests share.
package lib.vungmanh_test

import data.lib.vungmanh as lib

# ---- fixtures -------------------------------------------------------------

snapshot := {"name": "thai-binh", "title": "Hội LHPN tỉnh Thái Bình", "as_of": "2024-09-30"}

province := {"id": "tinh", "level": "province", "name": "Tỉnh Thái Bình"}

district := {"id": "huyen", "level": "district", "name": "Huyện Thái Thụy"}

unit(id, level, parent) := {
	"id": id, "level": level, "name": sprintf("Đơn vị %s", [id]),
	"kind": "", "active": true, "parent_id": parent,
}

inactive_unit(id, level, parent) := object.union(unit(id, level, parent), {"active": false})

model(id, unit_id, type, status) := {
	"id": id, "unit_id": unit_id, "type": type, "name": sprintf("Mô hình %s", [id]),
	"launched_on": "2023-03-08", "status": status, "participants": [],
}

# unit_input(subject, units, models): the input of a unit-scope target.
unit_input(subject, units, models) := {
	"subject": subject,
	"ancestors": [province, district],
	"units": units,
	"models": models,
	"cadres": [],
	"ratings": {},
	"activities": {},
	"members": {},
	"snapshot": snapshot,
}

commune := unit("xa", "commune", "huyen")

# model_input(model, unit, ancestors): the input of a model-scope target.
model_input(m, u, ancestors) := {
	"subject": m,
	"unit": u,
	"ancestors": ancestors,
	"snapshot": snapshot,
}

rating(year, r, fields) := {"year": year, "rating": r, "score": 80, "fields": fields}

# ---- tests of the library --------------------------------------------------

test_rating_order if {
	lib.better("excellent", "good")
	lib.better("good", "weak")
	not lib.better("good", "good")
	not lib.better("weak", "fair")
}

test_months_before if {
	lib.months_before(3) == ["2024-06", "2024-07", "2024-08"] with input.snapshot as snapshot
	lib.months_before(3) == ["2023-11", "2023-12", "2024-01"] with input.snapshot.as_of as "2024-02-10"
	lib.months_before(1) == ["2023-12"] with input.snapshot.as_of as "2024-01-01"
	lib.months_before(0) == [] with input.snapshot as snapshot
	lib.months_before(14) == [
		"2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12", "2024-01",
		"2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08",
	] with input.snapshot as snapshot
}

# Biên của đường tắt "mọi tháng cùng năm với as_of": tháng của as_of lớn hơn
# n (tháng 1 trở đi của cùng năm, kể cả năm 0) thì dùng bảng month_text, bằng
# n thì sang năm trước (cách tính chung); cả hai cho cùng kết quả như trước.
test_months_before_same_year_boundary if {
	lib.months_before(3) == ["2024-01", "2024-02", "2024-03"] with input.snapshot.as_of as "2024-04-15"
	lib.months_before(4) == ["2023-12", "2024-01", "2024-02", "2024-03"] with input.snapshot.as_of as "2024-04-15"
	lib.months_before(11) == [
		"2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06",
		"2024-07", "2024-08", "2024-09", "2024-10", "2024-11",
	] with input.snapshot.as_of as "2024-12-31"
	lib.months_before(2) == ["0000-01", "0000-02"] with input.snapshot.as_of as "0000-03-15"
	lib.months_before(1) == ["0999-11"] with input.snapshot.as_of as "0999-12-01"

	# Không phải ngày hợp lệ (bộ nạp không để lọt), nhưng đường tắt chỉ áp dụng
	# cho tháng 1-12: tháng 14 vẫn theo cách tính chung, sang năm sau.
	lib.months_before(3) == ["2024-11", "2024-12", "2025-01"] with input.snapshot.as_of as "2024-14-01"
}

# Tháng trước năm 0 (chỉ số tháng âm): kết quả của floor(i / 12) trong OPA,
# giữ nguyên như trước khi tối ưu hóa months_before.
test_months_before_year_zero if {
	lib.months_before(2) == ["0000--1", "0000-00"] with input.snapshot.as_of as "0000-01-15"
	lib.months_before(14) == [
		"-001-01", "0000--10", "0000--9", "0000--8", "0000--7", "0000--6", "0000--5",
		"0000--4", "0000--3", "0000--2", "0000--1", "0000-00", "0000-01", "0000-02",
	] with input.snapshot.as_of as "0000-03-15"
}

test_latest_rating_skips_future_years if {
	rs := [rating(2022, "weak", {}), rating(2023, "good", {}), rating(2025, "excellent", {})]
	r := lib.latest_rating(rs) with input.snapshot as snapshot
	r.year == 2023
}

test_latest_rating_order_independent if {
	rs := [rating(2023, "good", {}), rating(2021, "weak", {})]
	lib.latest_rating(rs).rating == "good" with input.snapshot as snapshot
}

test_latest_rating_none if {
	not lib.latest_rating([]) with input.snapshot as snapshot
}

test_latest_field_rating_falls_back_to_older_year if {
	rs := [rating(2022, "good", {"economy": "not_strong"}), rating(2023, "good", {"family": "strong"})]
	lib.latest_field_rating(rs, "economy") == "not_strong" with input.snapshot as snapshot
	lib.latest_field_rating(rs, "family") == "strong" with input.snapshot as snapshot
	not lib.latest_field_rating(rs, "propaganda") with input.snapshot as snapshot
}

# Mô hình của cây đơn vị "xa": m1 đang hoạt động, m2 đã dừng, m3 vắng
# status (đang hoạt động), m4 của tổ đã ngừng hoạt động, m5 loại khác.
tree_models := [
	model("m1", "xa", "one_plus_one", "active"),
	model("m2", "chi", "one_plus_one", "inactive"),
	object.remove(model("m3", "chi", "three_has_three_knows", "active"), ["status"]),
	model("m4", "to", "three_has_three_knows", "active"),
	model("m5", "chi", "other", "active"),
]

tree_input := unit_input(commune, [unit("chi", "branch", "xa"), inactive_unit("to", "group", "chi")], tree_models)

test_active_and_inactive_models if {
	{m.id | some m in lib.active_models(tree_input, "one_plus_one")} == {"m1"}
	{m.id | some m in lib.inactive_models(tree_input, "one_plus_one")} == {"m2"}
	{m.id | some m in lib.active_models(tree_input, "three_has_three_knows")} == {"m3"}
	{m.id | some m in lib.inactive_models(tree_input, "three_has_three_knows")} == {"m4"}
	lib.active_models(tree_input, "special_members") == set()
	lib.inactive_models(tree_input, "special_members") == set()
}

# has_active_model(inp, type) là count(active_models(inp, type)) > 0.
test_has_active_model_matches_active_models if {
	inputs := [
		tree_input,
		unit_input(commune, [], []),
		unit_input(inactive_unit("xa", "commune", "huyen"), [], [model("m1", "xa", "one_plus_one", "active")]),
		object.remove(tree_input, ["models", "units"]),
		unit_input(commune, [], [model("m2", "xa", "one_plus_one", "inactive")]),
		unit_input(commune, [], [object.union(model("m3", "xa", "one_plus_one", "active"), {"launched_on": "2024-10-01"})]),
	]
	every inp in inputs {
		every type in ["one_plus_one", "three_has_three_knows", "special_members", "other"] {
			count({true | lib.has_active_model(inp, type)}) == count({true | count(lib.active_models(inp, type)) > 0})
		}
	}
}

test_in_model_commune if {
	inp := model_input({}, unit("chi", "branch", "xa"), [province, district, commune])
	lib.in_model_commune(inp, {"id": "to", "commune_id": "xa"})
	not lib.in_model_commune(inp, {"id": "to", "commune_id": "xa-khac"})
	not lib.in_model_commune(inp, {"id": "huyen"})
	not lib.in_model_commune(model_input({}, district, [province]), {"id": "to", "commune_id": "xa"})
}

test_model_commune_of_branch_model if {
	lib.model_commune(model_input({}, unit("chi", "branch", "xa"), [province, district, commune])) == "xa"
}

test_model_commune_of_commune_model if {
	lib.model_commune(model_input({}, commune, [province, district])) == "xa"
}

test_model_commune_without_commune if {
	not lib.model_commune(model_input({}, district, [province]))
}

test_param_defaults if {
	lib.param("TB-06", "min_size", 2) == 2 with data.params as {}
	lib.param("TB-06", "min_size", 2) == 1 with data.params as {"TB-06": {"min_size": 1}}
	lib.param("TB-06", "max_size", 3) == 3 with data.params as {"TB-06": {"min_size": 1}}
}

test_ids if {
	lib.ids([{"id": "b"}, {"id": "a"}, {"id": "b"}]) == ["a", "b"]
	lib.ids([]) == []
}

test_labels if {
	lib.label(lib.field_label, "economy") == "phát triển kinh tế"
	lib.label(lib.field_label, "sports") == "sports"
	lib.label(lib.rating_label, "good") == "Vững mạnh"
	lib.label(lib.role_label, "branch_head") == "chi hội trưởng"
	lib.label(lib.component_label, "branch_twinning") == "chi hội mạnh giúp chi hội yếu"
	lib.label(lib.level_label, "group") == "Tổ phụ nữ"
}

# ---- fixtures of model-scope targets ----------------------------------------

branch := unit("chi", "branch", "xa")

# Ancestors of a model built by the branch "chi" of the commune "xa".
branch_ancestors := [province, district, commune]

cadre_participant(id, unit_id, role, competence, commune_id) := {
	"id": id, "kind": "cadre", "role": "member",
	"cadre": {
		"id": id, "unit_id": unit_id, "role": role, "competence": competence,
		"strong_fields": [], "party_member": false, "commune_id": commune_id,
	},
}

unit_participant(id, level, ratings, commune_id) := {
	"id": id, "kind": "unit", "role": "member",
	"unit": object.union(unit(id, level, "xa"), {"ratings": ratings, "commune_id": commune_id}),
}

member_participant(id, member) := {
	"id": id, "kind": "member", "role": "member",
	"member": object.union({"id": id, "unit_id": "chi", "commune_id": "xa"}, member),
}

person_participant(id) := {"id": id, "kind": "person", "role": "member"}

# with_participants(m, ps): the model m with participants ps.
with_participants(m, ps) := object.union(m, {"participants": ps})

# Mô hình ra mắt sau ngày số liệu (as_of 2024-09-30) không được tính: m6 ra
# mắt ngày sau as_of, m7 đúng ngày as_of, m8 không ghi ngày ra mắt.
test_models_launched_after_as_of_not_counted if {
	ms := array.concat(tree_models, [
		object.union(model("m6", "chi", "special_members", "active"), {"launched_on": "2024-10-01"}),
		object.union(model("m7", "chi", "special_members", "active"), {"launched_on": "2024-09-30"}),
		object.remove(model("m8", "xa", "special_members", "active"), ["launched_on"]),
		object.union(model("m9", "chi", "other", "active"), {"launched_on": "2025-06-01"}),
	])
	inp := object.union(tree_input, {"models": ms})
	{m.id | some m in lib.active_models(inp, "special_members")} == {"m7", "m8"}
	{m.id | some m in lib.inactive_models(inp, "special_members")} == {"m6"}
	lib.has_active_model(inp, "special_members")
	lib.active_models(inp, "other") == {m | some m in ms; m.id == "m5"}
	future := object.union(tree_input, {"models": [object.union(model("m6", "chi", "one_plus_one", "active"), {"launched_on": "2025-06-01"})]})
	not lib.has_active_model(future, "one_plus_one")
	{m.id | some m in lib.inactive_models(future, "one_plus_one")} == {"m6"}
}

# ---- after the 1 July 2025 reform -----------------------------------------------

hist_unit := {"id": "11953", "level": "commune", "name": "Phường Phố Hiến", "history": [
	{"id": "11953", "kind": "merge", "effective": "2025-07-01", "ratings": [{"year": 2024, "rating": "fair", "fields": {}}], "activities": [
		{"month": "2025-06", "kind": "meeting"},
		{"month": "2025-07", "kind": "meeting"},
	]},
	{"id": "11956", "kind": "merge", "effective": "2025-07-01", "ratings": [{"year": 2024, "rating": "good", "fields": {}}], "history": [
		{"id": "9001", "kind": "split", "effective": "2020-01-01", "share": 0.5, "ratings": [{"year": 2019, "rating": "weak", "fields": {}}]},
	]},
]}

test_history_entries_every_depth if {
	[h.id | some h in lib.history_entries(hist_unit)] == ["11953", "11956", "9001"]
	lib.history_entries({"id": "x"}) == []
}

test_new_since_boundary if {
	lib.new_since(hist_unit, 2024)
	not lib.new_since(hist_unit, 2025)
	not lib.new_since({"id": "x"}, 2024)
}

test_year_ratings if {
	lib.year_ratings(hist_unit, [{"year": 2024, "rating": "excellent"}], 2024) == [{"year": 2024, "rating": "excellent"}]
	lib.year_ratings(hist_unit, [], 2024) == [
		{"year": 2024, "rating": "fair", "fields": {}, "unit_id": "11953"},
		{"year": 2024, "rating": "good", "fields": {}, "unit_id": "11956"},
	]
	lib.year_ratings(hist_unit, [], 2019) == [{"year": 2019, "rating": "weak", "fields": {}, "unit_id": "9001"}]
	lib.year_ratings(hist_unit, [], 2025) == []
	lib.year_ratings({"id": "x"}, [], 2024) == []
}

test_month_activities_30_june_1_july if {
	own := [{"month": "2025-07", "kind": "support"}]
	lib.month_activities(hist_unit, own, {"2025-06", "2025-07"}) == [
		{"month": "2025-07", "kind": "support"},
		{"month": "2025-06", "kind": "meeting", "unit_id": "11953"},
	]
	lib.month_activities({"id": "x"}, own, {"2025-06", "2025-07"}) == own
	lib.started(hist_unit) == "2025-07-01"
}

test_unit_text if {
	lib.unit_text({"id": "xa-viet-son-ch09", "level": "branch", "name": "Thôn Đông"}) == "Chi hội Thôn Đông"
	lib.unit_text({"id": "xa-1", "level": "commune", "name": ""}) == "xa-1"
	lib.unit_text({"id": "xa-2", "level": "commune"}) == "xa-2"
	lib.unit_text({"id": "xa-3", "level": "commune", "name": " "}) == "xa-3"
}

# The label follows the kind of the place (a city is not a "huyện") and the
# union's word for the level; nothing is said twice.
test_unit_text_kind_and_level if {
	lib.unit_text({"id": "h", "level": "district", "name": "Đông Hưng", "kind": "huyện"}) == "Hội LHPN Huyện Đông Hưng"
	lib.unit_text({"id": "tp", "level": "district", "name": "TP Thái Bình", "kind": "thành phố"}) == "Hội LHPN TP Thái Bình"
	lib.unit_text({"id": "tp", "level": "district", "name": "Thái Bình", "kind": "thành phố"}) == "Hội LHPN Thành phố Thái Bình"
	lib.unit_text({"id": "q", "level": "district", "name": "Quận 10", "kind": "quận"}) == "Hội LHPN Quận 10"
	lib.unit_text({"id": "t", "level": "province", "name": "Tỉnh Hưng Yên", "kind": "tỉnh"}) == "Hội LHPN Tỉnh Hưng Yên"
	lib.unit_text({"id": "x", "level": "commune", "name": "Thái Xuyên", "kind": "xã"}) == "Cơ sở hội Xã Thái Xuyên"
	lib.unit_text({"id": "x", "level": "commune", "name": "Phường Bồ Xuyên", "kind": "phường"}) == "Cơ sở hội Phường Bồ Xuyên"
	lib.unit_text({"id": "x", "level": "commune", "name": "Côn Đảo", "kind": "đặc khu"}) == "Cơ sở hội Đặc khu Côn Đảo"
	lib.unit_text({"id": "c", "level": "branch", "name": "Đông", "kind": "thôn"}) == "Chi hội Thôn Đông"
	lib.unit_text({"id": "c", "level": "branch", "name": "Tổ dân phố số 1", "kind": "tổ dân phố"}) == "Chi hội Tổ dân phố số 1"
	lib.unit_text({"id": "c", "level": "branch", "name": "Chi hội 5"}) == "Chi hội 5"
	lib.unit_text({"id": "t", "level": "group", "name": "Tổ phụ nữ số 1", "kind": "tổ phụ nữ"}) == "Tổ phụ nữ số 1"
	lib.unit_text({"id": "t", "level": "group", "name": "số 1", "kind": "tổ phụ nữ"}) == "Tổ phụ nữ số 1"
	lib.unit_text({"id": "t", "level": "group", "name": "Hoa Sen"}) == "Tổ phụ nữ Hoa Sen"
	lib.unit_text({"id": "u", "name": "Đông"}) == "Đông"
}

test_unit_name if {
	lib.unit_name({"id": "h", "name": " Đông Hưng ", "kind": " huyện "}) == "Huyện Đông Hưng"
	lib.unit_name({"id": "h", "name": "Đông Hưng"}) == "Đông Hưng"
	lib.unit_name({"id": "h", "name": "Huyện Đông Hưng", "kind": "huyện"}) == "Huyện Đông Hưng"
	lib.unit_name({"id": "h", "name": "huyện Đông Hưng", "kind": "Huyện"}) == "huyện Đông Hưng"
	lib.unit_name({"id": "h", "name": "Ấp Bình An", "kind": "ấp"}) == "Ấp Bình An"
	lib.unit_name({"id": "h", "name": "Bình An", "kind": "ấp"}) == "Ấp Bình An"
	lib.unit_name({"id": "h", "kind": "xã"}) == "h"
	lib.unit_name({}) == ""
}

# A predecessor's kind says merge or split, not what place it was.
test_predecessor_text if {
	lib.predecessor_text({"id": "chi-a", "kind": "merge", "level": "branch", "name": "Thôn A", "effective": "2025-07-01"}) == "Chi hội Thôn A"
	lib.predecessor_text({"id": "chi-b", "kind": "split", "effective": "2025-07-01"}) == "chi-b"
}

# Names that collide among the units of a message carry their parent's
# name, or their id when the parent does not tell them apart.
test_unit_label if {
	chi1 := {"id": "chi-1", "level": "branch", "name": "Thôn Đông", "parent_id": "xa"}
	chi2 := {"id": "chi-2", "level": "branch", "name": "Thôn Tây", "parent_id": "xa"}
	to1 := {"id": "to-1", "level": "group", "name": "Tổ phụ nữ số 1", "parent_id": "chi-1"}
	to2 := {"id": "to-2", "level": "group", "name": "Tổ phụ nữ số 1", "parent_id": "chi-2"}
	to3 := {"id": "to-3", "level": "group", "name": "Tổ phụ nữ số 1", "parent_id": "chi-2"}
	known := [chi1, chi2]

	lib.unit_label(chi1, [chi1, chi2], known) == "Chi hội Thôn Đông"
	lib.unit_label(to1, [to1], known) == "Tổ phụ nữ số 1"
	lib.unit_label(to1, [to1, to2], known) == "Tổ phụ nữ số 1 (Thôn Đông)"
	lib.unit_label(to2, [to1, to2], known) == "Tổ phụ nữ số 1 (Thôn Tây)"
	lib.unit_label(to2, [to1, to2, to3], known) == "Tổ phụ nữ số 1 [to-2]"
	lib.unit_label(to1, [to1, to2, to3], known) == "Tổ phụ nữ số 1 (Thôn Đông)"
	lib.unit_label(to1, [to1, to2], []) == "Tổ phụ nữ số 1 [to-1]"
	lib.unit_label(to1, [to1, to2], [chi1]) == "Tổ phụ nữ số 1 [to-1]"
	lib.unit_labels(["to-1", "chi-2", "to-2"], {"to-1": to1, "to-2": to2, "chi-2": chi2}, known) == "Tổ phụ nữ số 1 (Thôn Đông), Chi hội Thôn Tây, Tổ phụ nữ số 1 (Thôn Tây)"
	lib.unit_labels([], {}, known) == ""
}

test_int_text if {
	lib.int_text(0) == "0"
	lib.int_text(7) == "7"
	lib.int_text(999) == "999"
	lib.int_text(1000) == "1.000"
	lib.int_text(1234) == "1.234"
	lib.int_text(12345) == "12.345"
	lib.int_text(123456) == "123.456"
	lib.int_text(1234567) == "1.234.567"
	lib.int_text(19900000) == "19.900.000"
	lib.int_text(-999) == "-999"
	lib.int_text(-1234) == "-1.234"
	lib.count_text(1050, 1234) == "1.050/1.234"
	lib.count_text(0, 40) == "0/40"
}

test_percent_text if {
	lib.percent_text(0.888) == "88,8\u00a0%"
	lib.percent_text(0.9) == "90,0\u00a0%"
	lib.percent_text(0) == "0,0\u00a0%"
	lib.percent_text(1) == "100,0\u00a0%"
	lib.percent_text(0.8509) == "85,1\u00a0%"
	lib.percent_text(0.00049) == "0,0\u00a0%"
}

test_dates if {
	lib.date_text("2024-03-08") == "08/03/2024"
	lib.date_text("chưa ghi") == "chưa ghi"
	lib.date_text("2024-3-8") == "2024-3-8"
	lib.month_label("2024-06") == "06/2024"
	lib.month_label("2024-06-01") == "2024-06-01"
	lib.month_label("") == ""
}

# A unit taking part in a model is named by its name; units of one model
# that share a name keep their id apart. Cadres and members keep their id.
test_participant_name_of_units if {
	u1 := {"id": "chi-1", "kind": "unit", "unit": {"id": "chi-1", "level": "branch", "name": "Đông", "kind": "thôn"}}
	u2 := {"id": "chi-2", "kind": "unit", "unit": {"id": "chi-2", "level": "branch", "name": "Tây", "kind": "thôn"}}
	u3 := {"id": "chi-3", "kind": "unit", "unit": {"id": "chi-3", "level": "branch", "name": "Thôn Đông"}}
	cb := {"id": "cb-1", "kind": "cadre", "cadre": {"id": "cb-1"}}
	ps := [u1, u2, cb]
	lib.participant_name(u1, ps) == "Chi hội Thôn Đông"
	lib.participant_name(cb, ps) == "cb-1"
	lib.pair_name([u1, u2], ps) == "[Chi hội Thôn Tây, Chi hội Thôn Đông]"
	lib.participant_name(u1, [u1, u3]) == "Chi hội Thôn Đông [chi-1]"
	lib.participant_name(u3, [u1, u3]) == "Chi hội Thôn Đông [chi-3]"
	lib.participant_name({"id": "chi-9", "kind": "unit"}, [u1]) == "một người tham gia (mã đơn vị không tra được)"
}

test_model_commune_text if {
	c := {"id": "xa", "level": "commune", "name": "Thái Xuyên", "kind": "xã"}
	lib.model_commune_text(model_input({}, c, [province, district])) == "Cơ sở hội Xã Thái Xuyên"
	lib.model_commune_text(model_input({}, unit("chi", "branch", "xa"), [province, district, commune])) == "Cơ sở hội Đơn vị xa"
	lib.model_commune_text(model_input({}, district, [province])) == "cơ sở hội (không xác định)"
}
