# METADATA
# title: Tổ phụ nữ có tổ trưởng
# custom:
#   id: TB-06
#   scope: group
#   title_en: Group has a head
package targets.group_head

violation contains {"msg": "chưa có tổ trưởng"} if {
	not has_head
}

has_head if {
	some c in input.cadres
	c.role == "group_head"
}

skip if input.subject.kind == "skip-me"
