# METADATA
# title: Chi hội xây dựng mô hình "1+1"
# description: |
#   Chi hội (hoặc một tổ phụ nữ của chi hội) đã xây dựng ít nhất một mô hình "1+1" đang hoạt động.
# custom:
#   id: TB-04
#   scope: branch
#   model_type: ""
#   severity: high
#   title_en: The branch has built a "1+1" model
package targets.tb04_branch_one_plus_one

import data.lib.vungmanh as lib

# Mô hình "1+1" đang hoạt động trong cây đơn vị của chủ thể.
active := lib.active_models(input, "one_plus_one")

# Mô hình "1+1" có trong số liệu nhưng không được tính (đã dừng, hoặc
# đơn vị xây dựng đã ngừng hoạt động).
not_counted := lib.inactive_models(input, "one_plus_one")

violation contains v if {
	count(active) == 0
	v := {
		"msg": sprintf(
			"%s %s chưa có mô hình \"1+1\" nào đang hoạt động (0 mô hình đang hoạt động; %d mô hình đã dừng hoặc thuộc đơn vị ngừng hoạt động)",
			[lib.label(lib.level_label, input.subject.level), input.subject.name, count(not_counted)],
		),
		"refs": array.concat([input.subject.id], lib.ids(not_counted)),
		"details": {"active": 0, "not_counted": count(not_counted)},
	}
}
