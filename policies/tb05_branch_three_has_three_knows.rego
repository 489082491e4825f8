# METADATA
# title: Chi hội xây dựng mô hình "3 có, 3 biết"
# description: |
#   Chi hội (hoặc một tổ phụ nữ của chi hội) đã xây dựng ít nhất một mô hình "3 có, 3 biết" đang hoạt động, đã ra mắt đến ngày số liệu. Mô hình đã dừng, ra mắt sau ngày số liệu (launched_on sau as_of), hoặc của đơn vị đã ngừng hoạt động, không được tính.
# custom:
#   id: TB-05
#   scope: branch
#   model_type: ""
#   severity: high
#   title_en: The branch has built a "3 haves, 3 knows" model
#   params: {}
package targets.tb05_branch_three_has_three_knows

import data.lib.vungmanh as lib

# Chủ thể không đạt khi cây đơn vị không có mô hình "3 có, 3 biết" nào đang hoạt
# động (lib.has_active_model, dừng ở mô hình đầu tiên tìm được). Khi đó mọi mô
# hình "3 có, 3 biết" trong số liệu đều là mô hình không được tính (đã dừng, ra
# mắt sau ngày số liệu, hoặc đơn vị xây dựng đã ngừng hoạt động): not_counted
# chỉ cần lọc theo loại, không cần lib.inactive_models (thêm một tập hợp và một
# phép trừ tập hợp). Danh sách id viết thẳng bằng sort thay cho lib.ids: chỉ
# tiêu này được đánh giá cho mọi đơn vị, mỗi lời gọi hàm đều có chi phí; tên đơn
# vị (lib.unit_text) và số (lib.int_text) chỉ được tính khi có vi phạm.
violation contains v if {
	not lib.has_active_model(input, "three_has_three_knows")
	not_counted := {m | some m in object.get(input, "models", []); m.type == "three_has_three_knows"}
	n := count(not_counted)
	v := {
		"msg": sprintf(
			"%s chưa có mô hình \"3 có, 3 biết\" nào đang hoạt động (0 mô hình đang hoạt động; %s mô hình không được tính: đã dừng, ra mắt sau ngày số liệu hoặc thuộc đơn vị ngừng hoạt động)",
			[lib.unit_text(input.subject), lib.int_text(n)],
		),
		"refs": array.concat([input.subject.id], sort({m.id | some m in not_counted})),
		"details": {"active": 0, "not_counted": n},
	}
}
