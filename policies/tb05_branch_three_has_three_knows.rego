# METADATA
# title: Chi hội xây dựng mô hình "3 có, 3 biết"
# description: |
#   Chi hội (hoặc một tổ phụ nữ của chi hội) đã xây dựng ít nhất một mô hình "3 có, 3 biết" đang hoạt động.
# custom:
#   id: TB-05
#   scope: branch
#   model_type: ""
#   severity: high
#   title_en: The branch has built a "3 haves, 3 knows" model
package targets.tb05_branch_three_has_three_knows

import data.lib.vungmanh as lib

# Mô hình "3 có, 3 biết" đang hoạt động trong cây đơn vị của chủ thể.
active := lib.active_models(input, "three_has_three_knows")

# Mô hình "3 có, 3 biết" có trong số liệu nhưng không được tính (đã dừng, hoặc
# đơn vị xây dựng đã ngừng hoạt động).
not_counted := lib.inactive_models(input, "three_has_three_knows")

violation contains v if {
	count(active) == 0
	v := {
		"msg": sprintf(
			"%s %s chưa có mô hình \"3 có, 3 biết\" nào đang hoạt động (0 mô hình đang hoạt động; %d mô hình đã dừng hoặc thuộc đơn vị ngừng hoạt động)",
			[lib.label(lib.level_label, input.subject.level), input.subject.name, count(not_counted)],
		),
		"refs": array.concat([input.subject.id], lib.ids(not_counted)),
		"details": {"active": 0, "not_counted": count(not_counted)},
	}
}
