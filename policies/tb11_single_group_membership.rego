# METADATA
# title: Mỗi cán bộ, đơn vị chỉ ở một nhóm cùng tiến, đồng hành
# description: |
#   Trong cơ sở hội, không cán bộ nào thuộc hơn một nhóm "cán bộ cùng tiến"
#   (cadres_progress) đang hoạt động, và không chi hội, tổ phụ nữ nào thuộc hơn một
#   nhóm "đồng hành vượt khó" (accompany) đang hoạt động. Nhóm ra mắt sau ngày số
#   liệu không được tính. Chỉ xét cán bộ, đơn vị tra được: id không tra được
#   có thể là tên người (dữ liệu cá nhân), không được nêu; TB-06, TB-07 đã báo
#   chúng là không tìm thấy.
# custom:
#   id: TB-11
#   scope: commune
#   model_type: ""
#   severity: medium
#   title_en: No cadre or unit is in two progress or accompany groups
#   params: {}
package targets.tb11_single_group_membership

import data.lib.vungmanh as lib

checks := {
	"cadres_progress": {"kind": "cadre", "group": "nhóm cán bộ cùng tiến"},
	"accompany": {"kind": "unit", "group": "nhóm đồng hành vượt khó"},
}

# ms: the active models of type that id takes part in. Only types with at
# least two active models are looked at (with one model or none, nobody can
# be in two: most communes have at most one of each type, so their
# participants are never visited). The same (type, id) found through several
# models gives the same violation, which the set keeps once.
violation contains v if {
	some type, c in checks
	models := lib.active_models(input, type)
	count(models) > 1
	some m in models
	some p in object.get(m, "participants", [])
	p.kind == c.kind
	lib.known_participant(p)
	id := p.id
	ms := {x.id | some x in models; some q in object.get(x, "participants", []); q.kind == c.kind; q.id == id}
	count(ms) > 1
	v := {
		"msg": sprintf("%s thuộc %s %s đang hoạt động: %s", [who(p), lib.int_text(count(ms)), c.group, lib.joined(ms)]),
		"refs": array.concat([id], sort(ms)),
		"details": {"model_type": type, "groups": count(ms)},
	}
}

# who(p): một cán bộ bằng id ("Cán bộ cb-1"), một đơn vị bằng tên, phân biệt
# với các đơn vị cùng tên của cơ sở bằng tên đơn vị cấp trên hoặc id
# (lib.unit_label).
who(p) := sprintf("Cán bộ %s", [p.id]) if p.kind == "cadre"

who(p) := lib.unit_label(p.unit, object.get(input, "units", []), array.concat([input.subject], object.get(input, "units", []))) if p.kind == "unit"
