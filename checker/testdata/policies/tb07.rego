# METADATA
# title: Nhóm đồng hành có 2 chi hội
# custom:
#   id: TB-07
#   scope: model
#   model_type: accompany
#   title_en: Accompany group pairs 2 branches
package targets.accompany_pairs

violation contains {"msg": sprintf("có %d chi hội, cần 2", [n]), "refs": sort([p.id | some p in units])} if {
	units := [p | some p in input.subject.participants; p.kind == "unit"]
	n := count(units)
	n != 2
}

violation contains {"msg": "cần một chi hội mạnh", "refs": [input.subject.id]} if {
	count([p | some p in input.subject.participants; p.kind == "unit"; some r in p.unit.ratings; r.fields[input.subject.field] == "strong"]) == 0
}

warning contains {"msg": "mô hình trước ngày cơ sở"} if {
	input.subject.launched_on > input.snapshot.as_of
}
