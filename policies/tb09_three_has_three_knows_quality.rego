# METADATA
# title: Chi hội có mô hình "3 có, 3 biết" thực hiện đủ nội dung
# description: |
#   Với chi hội đã xây dựng mô hình "3 có, 3 biết" đang hoạt động (chi hội khác được
#   bỏ qua): có ít nhất một hội viên tiên phong, nòng cốt; có sinh hoạt trong từng
#   tháng của 3 tháng dương lịch liền trước tháng của ngày số liệu (tham số months,
#   không tính tháng của ngày số liệu; ngày số liệu 2024-09-30 -> các tháng 2024-06,
#   2024-07, 2024-08), tính sinh hoạt của chi hội và các tổ phụ nữ của chi hội; nắm
#   được hoàn cảnh và nhu cầu của ít nhất 90% hội viên (tham số recorded_share).
# custom:
#   id: TB-09
#   scope: branch
#   model_type: ""
#   severity: low
#   title_en: Branches with a "3 haves, 3 knows" model live up to it
package targets.tb09_three_has_three_knows_quality

import data.lib.vungmanh as lib

sid := input.subject.id

months := lib.months_before(lib.param("TB-09", "months", 3))

recorded_share := lib.param("TB-09", "recorded_share", 0.9)

# (lib.has_active_model với cùng đối số như TB-05: khi hai chỉ tiêu được
# đánh giá trong một truy vấn, kết quả được tính một lần.)
applies if lib.has_active_model(input, "three_has_three_knows")

skip := "chi hội chưa xây dựng mô hình \"3 có, 3 biết\" đang hoạt động" if not applies

stats := object.get(object.get(input, "members", {}), sid, {})

total := object.get(stats, "total", 0)

active_months := {a.month |
	some _, acts in object.get(input, "activities", {})
	some a in acts
}

missing_months := [m | some m in months; not m in active_months]

violation contains v if {
	applies
	object.get(stats, "pioneer", 0) == 0
	v := {
		"msg": sprintf("Chi hội %s chưa có hội viên tiên phong, nòng cốt (0/%d hội viên)", [sid, total]),
		"refs": [sid],
		"details": {"pioneer": 0, "total": total},
	}
}

violation contains v if {
	applies
	count(missing_months) > 0
	v := {
		"msg": sprintf(
			"Chi hội %s không có sinh hoạt trong %d/%d tháng trước ngày số liệu: %s",
			[sid, count(missing_months), count(months), concat(", ", missing_months)],
		),
		"refs": [sid],
		"details": {"missing_months": missing_months},
	}
}

violation contains v if {
	applies
	total > 0
	some key, what in {"hardship_recorded": "hoàn cảnh", "needs_recorded": "nhu cầu"}
	n := object.get(stats, key, 0)
	share := n / total
	share < recorded_share
	v := {
		"msg": sprintf(
			"Chi hội %s mới nắm %s của %d/%d hội viên (%v%%), dưới mức %v%%",
			[sid, what, n, total, percent(share), recorded_percent],
		),
		"refs": [sid],
		"details": {key: n, "total": total},
	}
}

# recorded_percent: recorded_share as a percentage, computed once per
# evaluation (three operations on decimal numbers, which OPA does in
# arbitrary precision) instead of once per violation.
recorded_percent := percent(recorded_share)

# percent(x): x as a percentage with one decimal, e.g. 0.8571 -> 85.7.
percent(x) := round(x * 1000) / 10
