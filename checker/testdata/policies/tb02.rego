# METADATA
# title: Mỗi cơ sở hội có mô hình "3 có, 3 biết"
# custom:
#   id: TB-02
#   scope: commune
#   title_en: Every commune union has a "3 haves, 3 knows" model
package targets.three_has

violation contains v if {
	some b in input.units
	b.level == "branch"
	b.active
	not has_model(b.id)
	v := {
		"msg": sprintf("chi hội %s chưa có mô hình \"3 có, 3 biết\"", [b.name]),
		"refs": [b.id],
		"details": {"members": input.members[b.id].total},
	}
}

warning contains {"msg": "chưa ghi nhận nhu cầu hội viên", "refs": [input.subject.id]} if {
	input.members[input.subject.id].needs_recorded == 0
}

has_model(unit) if {
	some m in input.models
	m.type == "three_has_three_knows"
	m.unit_id == unit
}
