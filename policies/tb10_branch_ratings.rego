# METADATA
# title: Mọi chi hội của cơ sở đã được xếp loại năm trước
# description: |
#   Mọi chi hội đang hoạt động của cơ sở hội có xếp loại chất lượng của năm liền
#   trước năm của ngày số liệu (ngày số liệu 2024-09-30 -> xếp loại năm 2023).
#   Vi phạm liệt kê các chi hội chưa có xếp loại trong refs.
# custom:
#   id: TB-10
#   scope: commune
#   model_type: ""
#   severity: medium
#   title_en: Every branch of the commune has last year's rating
#   params: {}
package targets.tb10_branch_ratings

import data.lib.vungmanh as lib

# Chi hội đang hoạt động (branches, theo id), chi hội đã có xếp loại năm year
# (rated) và chi hội chưa có (unrated) được tính trong thân của vi phạm, không
# trong các quy tắc riêng (mỗi quy tắc được tham chiếu có chi phí); rated là
# tập con của branches, nên "đủ xếp loại" là count(rated) == count(branches),
# và phần còn lại chỉ làm khi có chi hội chưa xếp loại. Sau sắp xếp (1/7/2025),
# chi hội chưa tồn tại trong năm year được tính theo xếp loại năm đó của đơn
# vị tiền thân (lib.year_ratings; domain.md, điểm 5), và thông điệp nói rõ.
violation contains v if {
	year := lib.as_of_year - 1
	active := lib.active_unit_ids(input)
	branches := {u.id: u | some u in input.units; u.level == "branch"; u.id in active}
	ratings := object.get(input, "ratings", {})
	rated := {id | some id, _ in branches; some r in object.get(ratings, id, []); r.year == year}
	count(rated) < count(branches)
	by_pred := {id | some id, u in branches; not id in rated; count(lib.year_ratings(u, [], year)) > 0}
	unrated := sort({id | some id, _ in branches} - rated - by_pred)
	count(unrated) > 0
	known := array.concat([input.subject], input.units)
	v := {
		"msg": sprintf(
			"%s chi hội của %s chưa có xếp loại năm %d: %s%s",
			[lib.count_text(count(unrated), count(branches)), lib.unit_text(input.subject), year, lib.unit_labels(unrated, branches, known), predecessor_note(sort(by_pred), branches, known)],
		),
		"refs": unrated,
		"details": {"year": year, "unrated": count(unrated), "branches": count(branches), "by_predecessors": count(by_pred)},
	}
}

# Chi hội mới sau sắp xếp, chưa có xếp loại năm trước của chính mình, được
# tính theo xếp loại của đơn vị tiền thân: cảnh báo, để lãnh đạo biết.
warning contains v if {
	year := lib.as_of_year - 1
	active := lib.active_unit_ids(input)
	some u in input.units
	u.level == "branch"
	u.history
	u.id in active
	not rated_own(u.id, year)
	rs := lib.year_ratings(u, [], year)
	count(rs) > 0
	branches := [b | some b in input.units; b.level == "branch"]
	v := {
		"msg": sprintf(
			"%s thành lập sau năm %d: xếp loại năm %d tính theo đơn vị tiền thân %s",
			[
				lib.unit_label(u, branches, array.concat([input.subject], input.units)), year, year,
				concat(", ", sort({sprintf("%s (%s)", [predecessor_name(u, r.unit_id), object.get(lib.rating_label, r.rating, r.rating)]) | some r in rs})),
			],
		),
		"refs": array.concat([u.id], sort({r.unit_id | some r in rs})),
		"details": {"year": year, "by_predecessors": true},
	}
}

rated_own(id, year) if {
	some r in object.get(object.get(input, "ratings", {}), id, [])
	r.year == year
}

# predecessor_name(u, id): tên của đơn vị tiền thân id của u.
predecessor_name(u, id) := [lib.predecessor_text(h) | some h in lib.history_entries(u); h.id == id][0]

default predecessor_note(_, _, _) := ""

predecessor_note(ids, branches, known) := sprintf(
	" (%s chi hội mới sau sắp xếp được tính theo xếp loại của đơn vị tiền thân: %s)",
	[lib.int_text(count(ids)), lib.unit_labels(ids, branches, known)],
) if count(ids) > 0
