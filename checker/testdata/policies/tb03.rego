# METADATA
# title: Chi hội đủ số hội viên
# custom:
#   id: TB-03
#   scope: branch
#   severity: low
#   title_en: Branch has enough members
package targets.branch_size

min_size := object.get(data.params, ["TB-03", "min_size"], 10)

violation contains {"msg": sprintf("chỉ có %d hội viên (tối thiểu %d)", [n, min_size]), "details": {"total": n}} if {
	n := input.members[input.subject.id].total
	n < min_size
}

violation contains {"msg": "không có chi hội trưởng"} if {
	count([c | some c in input.cadres; c.role == "branch_head"]) == 0
}

warning contains {"msg": sprintf("xếp loại %s năm %d", [data.vocab["ratings.rating"][r.rating].vi, r.year])} if {
	some r in object.get(input.ratings, input.subject.id, [])
	r.rating == "weak"
}
