# METADATA
# title: Mỗi cơ sở hội có mô hình thu hút hội viên đặc thù
# description: |
#   Mỗi cơ sở hội có ít nhất một mô hình thu hút hội viên đặc thù (công nhân, tôn giáo, dân tộc thiểu số, di cư, tiểu thương...) đang hoạt động trong cây đơn vị của cơ sở.
# custom:
#   id: TB-03
#   scope: commune
#   model_type: ""
#   severity: high
#   title_en: Every commune union has a model attracting special member groups
package targets.tb03_special_members

import data.lib.vungmanh as lib

# Mô hình "thu hút hội viên đặc thù" đang hoạt động trong cây đơn vị của chủ thể.
active := lib.active_models(input, "special_members")

# Mô hình "thu hút hội viên đặc thù" có trong số liệu nhưng không được tính (đã dừng, hoặc
# đơn vị xây dựng đã ngừng hoạt động).
not_counted := lib.inactive_models(input, "special_members")

violation contains v if {
	count(active) == 0
	v := {
		"msg": sprintf(
			"%s %s chưa có mô hình \"thu hút hội viên đặc thù\" nào đang hoạt động (0 mô hình đang hoạt động; %d mô hình đã dừng hoặc thuộc đơn vị ngừng hoạt động)",
			[lib.label(lib.level_label, input.subject.level), input.subject.name, count(not_counted)],
		),
		"refs": array.concat([input.subject.id], lib.ids(not_counted)),
		"details": {"active": 0, "not_counted": count(not_counted)},
	}
}
