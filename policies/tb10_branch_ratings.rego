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

year := lib.as_of_year - 1

branches := {u.id |
	active := lib.active_unit_ids(input)
	some u in input.units
	u.level == "branch"
	u.id in active
}

# Chi hội đã có xếp loại năm year.
rated := {id |
	ratings := object.get(input, "ratings", {})
	some id in branches
	some r in object.get(ratings, id, [])
	r.year == year
}

unrated := sort(branches - rated)

violation contains v if {
	count(unrated) > 0
	v := {
		"msg": sprintf(
			"%d/%d chi hội của %s chưa có xếp loại năm %d: %s",
			[count(unrated), count(branches), input.subject.name, year, concat(", ", unrated)],
		),
		"refs": unrated,
		"details": {"year": year, "unrated": count(unrated), "branches": count(branches)},
	}
}
