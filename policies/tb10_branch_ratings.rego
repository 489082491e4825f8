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
package targets.tb10_branch_ratings

import data.lib.vungmanh as lib

# Chi hội đang hoạt động (branches), chi hội đã có xếp loại năm year (rated)
# và chi hội chưa có (unrated) được tính trong thân của vi phạm, không trong
# các quy tắc riêng (mỗi quy tắc được tham chiếu có chi phí); rated là tập
# con của branches, nên "đủ xếp loại" là count(rated) == count(branches), và
# phép trừ tập hợp, sort chỉ làm khi có chi hội chưa xếp loại.
violation contains v if {
	year := lib.as_of_year - 1
	active := lib.active_unit_ids(input)
	branches := {u.id | some u in input.units; u.level == "branch"; u.id in active}
	ratings := object.get(input, "ratings", {})
	rated := {id | some id in branches; some r in object.get(ratings, id, []); r.year == year}
	count(rated) < count(branches)
	unrated := sort(branches - rated)
	v := {
		"msg": sprintf(
			"%d/%d chi hội của %s chưa có xếp loại năm %d: %s",
			[count(unrated), count(branches), input.subject.name, year, concat(", ", unrated)],
		),
		"refs": unrated,
		"details": {"year": year, "unrated": count(unrated), "branches": count(branches)},
	}
}
