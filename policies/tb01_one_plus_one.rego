# METADATA
# title: Mỗi cơ sở hội có mô hình "1+1"
# description: |
#   100% cơ sở hội có ít nhất một mô hình "1+1" đang hoạt động, do cơ sở hoặc một chi hội, tổ phụ nữ của cơ sở xây dựng và đã ra mắt đến ngày số liệu. Mô hình đã dừng, ra mắt sau ngày số liệu (launched_on sau as_of), hoặc của đơn vị đã ngừng hoạt động, không được tính.
# custom:
#   id: TB-01
#   scope: commune
#   model_type: ""
#   severity: high
#   title_en: Every commune union has a "1+1" model
#   params: {}
package targets.tb01_one_plus_one

import data.lib.vungmanh as lib

# Chủ thể không đạt khi cây đơn vị không có mô hình "1+1" nào đang hoạt động
# (lib.has_active_model, dừng ở mô hình đầu tiên tìm được). Khi đó mọi mô hình
# "1+1" trong số liệu đều là mô hình không được tính (đã dừng, ra mắt sau ngày
# số liệu, hoặc đơn vị xây dựng đã ngừng hoạt động): not_counted chỉ cần lọc
# theo loại, không cần lib.inactive_models (thêm một tập hợp và một phép trừ tập
# hợp). Nhãn cấp và danh sách id viết thẳng bằng object.get và sort thay cho
# lib.label và lib.ids: chỉ tiêu này được đánh giá cho mọi đơn vị, mỗi lời gọi
# hàm đều có chi phí.
violation contains v if {
	not lib.has_active_model(input, "one_plus_one")
	not_counted := {m | some m in object.get(input, "models", []); m.type == "one_plus_one"}
	n := count(not_counted)
	level := input.subject.level
	v := {
		"msg": sprintf(
			"%s %s chưa có mô hình \"1+1\" nào đang hoạt động (0 mô hình đang hoạt động; %d mô hình không được tính: đã dừng, ra mắt sau ngày số liệu hoặc thuộc đơn vị ngừng hoạt động)",
			[object.get(lib.level_label, level, level), input.subject.name, n],
		),
		"refs": array.concat([input.subject.id], sort({m.id | some m in not_counted})),
		"details": {"active": 0, "not_counted": n},
	}
}
