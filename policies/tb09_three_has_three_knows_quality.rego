# METADATA
# title: Chi hội có mô hình "3 có, 3 biết" thực hiện đủ nội dung
# description: |
#   Với chi hội đã xây dựng mô hình "3 có, 3 biết" đang hoạt động, đã ra mắt đến
#   ngày số liệu (chi hội khác được bỏ qua): có ít nhất một hội viên tiên phong,
#   nòng cốt; có sinh hoạt trong từng tháng của 3 tháng dương lịch liền trước tháng
#   của ngày số liệu (tham số months, không tính tháng của ngày số liệu; ngày số
#   liệu 2024-09-30 -> các tháng 2024-06, 2024-07, 2024-08), tính sinh hoạt của chi
#   hội và các tổ phụ nữ của chi hội; nắm được hoàn cảnh và nhu cầu của ít nhất 90%
#   hội viên (tham số recorded_share).
# custom:
#   id: TB-09
#   scope: branch
#   model_type: ""
#   severity: low
#   title_en: Branches with a "3 haves, 3 knows" model live up to it
#   params:
#     months:
#       type: integer
#       default: 3
#       description: số tháng liền trước tháng của ngày số liệu phải có sinh hoạt
#     recorded_share:
#       type: number
#       default: 0.9
#       description: tỷ lệ hội viên tối thiểu đã nắm được hoàn cảnh, nhu cầu (0..1)
package targets.tb09_three_has_three_knows_quality

import data.lib.vungmanh as lib

# (lib.has_active_model với cùng đối số như TB-05: khi hai chỉ tiêu được
# đánh giá trong một truy vấn, kết quả được tính một lần.)
applies if lib.has_active_model(input, "three_has_three_knows")

skip := "chi hội chưa xây dựng mô hình \"3 có, 3 biết\" đang hoạt động" if not applies

# Các giá trị trung gian (id, thống kê hội viên, các tháng, tỷ lệ phần trăm)
# được tính ngay trong thân của từng vi phạm thay vì trong các quy tắc riêng:
# mỗi quy tắc được tham chiếu có chi phí (tra cây quy tắc, bộ nhớ đệm), lớn
# hơn việc tính lại vài object.get; stats cần cho hai vi phạm, các giá trị
# khác chỉ cho một. Đơn vị được gọi bằng tên (lib.unit_text), số, tỷ lệ và
# tháng viết kiểu Việt Nam (lib.count_text: "1.050/1.234"; lib.percent_text:
# 0.8571 -> "85,7 %"; lib.month_label: "06/2024").

violation contains v if {
	applies
	sid := input.subject.id
	stats := object.get(object.get(input, "members", {}), sid, {})
	object.get(stats, "pioneer", 0) == 0
	total := object.get(stats, "total", 0)
	v := {
		"msg": sprintf("%s chưa có hội viên tiên phong, nòng cốt (%s hội viên)", [lib.unit_text(input.subject), lib.count_text(0, total)]),
		"refs": [sid],
		"details": {"pioneer": 0, "total": total},
	}
}

violation contains v if {
	applies
	months := lib.months_before(lib.param("TB-09", "months", 3))
	active_months := {a.month |
		some _, acts in object.get(input, "activities", {})
		some a in acts
	}
	missing_own := [m | some m in months; not m in active_months]
	count(missing_own) > 0
	# Sau sắp xếp: các tháng trước khi chi hội bắt đầu tính theo sinh hoạt
	# của đơn vị tiền thân (lib.month_activities; domain.md, điểm 5).
	by_pred := {a.month | some a in lib.month_activities(input.subject, [], {m | some m in missing_own})}
	missing_months := [m | some m in missing_own; not m in by_pred]
	count(missing_months) > 0
	sid := input.subject.id
	v := {
		"msg": sprintf(
			"%s không có sinh hoạt trong %s tháng trước ngày số liệu: %s%s",
			[lib.unit_text(input.subject), lib.count_text(count(missing_months), count(months)), concat(", ", [lib.month_label(m) | some m in missing_months]), predecessor_months_note(by_pred)],
		),
		"refs": [sid],
		"details": {"missing_months": missing_months},
	}
}

default predecessor_months_note(_) := ""

predecessor_months_note(ms) := sprintf(" (tháng %s tính theo sinh hoạt của đơn vị tiền thân)", [concat(", ", [lib.month_label(m) | some m in sort(ms)])]) if count(ms) > 0

violation contains v if {
	applies
	sid := input.subject.id
	stats := object.get(object.get(input, "members", {}), sid, {})
	total := object.get(stats, "total", 0)
	total > 0
	recorded_share := lib.param("TB-09", "recorded_share", 0.9)
	some key, what in {"hardship_recorded": "hoàn cảnh", "needs_recorded": "nhu cầu"}
	n := object.get(stats, key, 0)
	share := n / total
	share < recorded_share
	v := {
		"msg": sprintf(
			"%s mới nắm %s của %s hội viên (%s), dưới mức %s",
			[lib.unit_text(input.subject), what, lib.count_text(n, total), lib.percent_text(share), lib.percent_text(recorded_share)],
		),
		"refs": [sid],
		"details": {key: n, "total": total},
	}
}
