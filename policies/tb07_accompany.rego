# METADATA
# title: Nhóm chi, tổ phụ nữ đồng hành vượt khó đúng quy định
# description: |
#   Mỗi nhóm "đồng hành vượt khó" đang hoạt động ghi rõ lĩnh vực (field); thành viên
#   đều là đơn vị cùng một cấp: đúng 2 chi hội (tham số branch_size), hoặc 2-3 tổ
#   phụ nữ (group_min_size, group_max_size); tất cả thuộc cơ sở hội của mô hình.
#   Theo xếp loại gần nhất của từng đơn vị trong lĩnh vực đó của một năm trước năm
#   ra mắt mô hình (không ghi ngày ra mắt: tính đến năm của ngày số liệu), có đúng
#   một đơn vị "chưa mạnh" (not_strong), các đơn vị còn lại "mạnh" (strong). Đơn vị
#   chưa có xếp loại lĩnh vực đó là một vi phạm nêu tên đơn vị. Đơn vị chưa mạnh
#   nay đã mạnh (xếp loại gần nhất đến năm của ngày số liệu) là thành công của mô
#   hình: một cảnh báo (warning) với details.improved, không phải vi phạm.
#   Thông báo nêu đơn vị bằng tên, người tham gia bằng id cán bộ, hội viên; người không
#   tra được (như phụ nữ chưa vào hội) bằng vị trí và loại (dữ liệu cá nhân).
# custom:
#   id: TB-07
#   scope: model
#   model_type: accompany
#   severity: high
#   title_en: Accompany groups pair strong and not-yet-strong units of one level
#   params:
#     branch_size:
#       type: integer
#       default: 2
#       description: số chi hội của một nhóm đồng hành gồm các chi hội
#     group_min_size:
#       type: integer
#       default: 2
#       description: số tổ phụ nữ tối thiểu của một nhóm đồng hành gồm các tổ
#     group_max_size:
#       type: integer
#       default: 3
#       description: số tổ phụ nữ tối đa của một nhóm đồng hành gồm các tổ
package targets.tb07_accompany

import data.lib.vungmanh as lib

branch_size := lib.param("TB-07", "branch_size", 2)

group_min_size := lib.param("TB-07", "group_min_size", 2)

group_max_size := lib.param("TB-07", "group_max_size", 3)

participants := object.get(input.subject, "participants", [])

# Cơ sở hội của mô hình, tính một lần cho mỗi lần đánh giá: "not x.commune_id
# == commune" là "not lib.in_model_commune(input, x)" mà không cần một lời gọi
# hàm cho mỗi thành viên (không xác định khi mô hình không thuộc cơ sở nào:
# khi đó mọi thành viên đều vi phạm, như với lib.in_model_commune).
commune := lib.model_commune(input)

# Đơn vị đã xác định được (kind unit, có bản ghi đơn vị), theo id.
units := {p.id: p.unit | some p in participants; p.kind == "unit"; p.unit}

levels := {u.level | some u in units}

# Đơn vị được nêu bằng tên (lib.unit_label): phân biệt với các đơn vị khác
# của nhóm cùng tên bằng tên đơn vị cấp trên khi tìm được (đơn vị của mô hình
# và các cấp trên của nó), nếu không bằng id.
known := array.concat(object.get(input, "ancestors", []), [input.unit])

name(id) := lib.unit_label(units[id], [u | some _, u in units], known)

names(ids) := concat(", ", [name(id) | some id in ids])

field_text := object.get(lib.field_label, input.subject.field, input.subject.field)

# Năm cuối cùng có xếp loại được dùng để đánh giá (năm trước năm ra mắt).
judgement_year := lib.judgement_year(input.subject)

# Đánh giá lĩnh vực (input.subject.field, viết thẳng thay cho một quy tắc
# riêng) của từng đơn vị có xếp loại lĩnh vực đó trước năm ra mắt mô hình.
judgement := {id: j |
	some id, u in units
	j := lib.field_rating_upto(object.get(u, "ratings", []), input.subject.field, judgement_year)
}

unrated := {id | some id, _ in units; not judgement[id]}

weak := {id | some id, j in judgement; j == "not_strong"}

refs_all := array.concat([input.subject.id], lib.participant_refs(participants))

violation contains v if {
	not input.subject.field
	v := {
		"msg": sprintf("Nhóm đồng hành %s chưa ghi lĩnh vực đồng hành (field)", [input.subject.id]),
		"refs": [input.subject.id],
	}
}

violation contains v if {
	some p in participants
	p.kind != "unit"
	v := {
		"msg": sprintf(
			"Thành viên %s của nhóm đồng hành %s không phải chi hội hoặc tổ phụ nữ (là %s)",
			[lib.participant_name(p, participants), input.subject.id, lib.label(lib.participant_kind_label, p.kind)],
		),
		"refs": array.concat([input.subject.id], lib.participant_refs([p])),
	}
}

violation contains v if {
	some i, p in participants
	p.kind == "unit"
	not p.unit
	v := {
		"msg": sprintf("Không tìm thấy đơn vị của người tham gia thứ %d của nhóm đồng hành %s", [i + 1, input.subject.id]),
		"refs": [input.subject.id],
	}
}

violation contains v if {
	count(levels) > 1
	v := {
		"msg": sprintf(
			"Nhóm đồng hành %s gồm đơn vị nhiều cấp (%s); các đơn vị phải cùng là chi hội hoặc cùng là tổ phụ nữ",
			[input.subject.id, lib.joined({lib.label(lib.level_label, l) | some l in levels})],
		),
		"refs": refs_all,
	}
}

violation contains v if {
	levels == {"branch"}
	count(units) != branch_size
	v := {
		"msg": sprintf("Nhóm đồng hành %s có %s chi hội; quy định đúng %s chi hội", [input.subject.id, lib.int_text(count(units)), lib.int_text(branch_size)]),
		"refs": refs_all,
		"details": {"size": count(units), "branch_size": branch_size},
	}
}

violation contains v if {
	levels == {"group"}
	n := count(units)
	not group_size_ok(n)
	v := {
		"msg": sprintf("Nhóm đồng hành %s có %s tổ phụ nữ; quy định từ %s đến %s tổ", [input.subject.id, lib.int_text(n), lib.int_text(group_min_size), lib.int_text(group_max_size)]),
		"refs": refs_all,
		"details": {"size": n, "group_min_size": group_min_size, "group_max_size": group_max_size},
	}
}

group_size_ok(n) if {
	n >= group_min_size
	n <= group_max_size
}

violation contains v if {
	count(levels) == 1
	some l in levels
	not l in {"branch", "group"}
	v := {
		"msg": sprintf("Nhóm đồng hành %s gồm các đơn vị cấp %s; chỉ chi hội hoặc tổ phụ nữ được ghép nhóm", [input.subject.id, lib.label(lib.level_label, l)]),
		"refs": refs_all,
	}
}

violation contains v if {
	count(units) == 0
	v := {
		"msg": sprintf("Nhóm đồng hành %s chưa có đơn vị thành viên nào", [input.subject.id]),
		"refs": [input.subject.id],
	}
}

violation contains v if {
	some id, u in units
	not u.commune_id == commune
	v := {
		"msg": sprintf(
			"%s không thuộc %s của nhóm đồng hành (thuộc cơ sở hội %s)",
			[name(id), lib.model_commune_text(input), object.get(u, "commune_id", "không xác định")],
		),
		"refs": [input.subject.id, id],
	}
}

violation contains v if {
	some id in unrated
	v := {
		"msg": sprintf(
			"%s chưa có xếp loại lĩnh vực %s, không xác định được mạnh hay chưa mạnh",
			[name(id), field_text],
		),
		"refs": [input.subject.id, id],
	}
}

violation contains v if {
	count(units) > 0
	count(unrated) == 0
	count(weak) != 1
	v := {
		"msg": sprintf(
			"Nhóm đồng hành %s phải có đúng 1 đơn vị chưa mạnh về %s, các đơn vị còn lại mạnh; hiện có %s chưa mạnh, %s mạnh%s",
			[input.subject.id, field_text, lib.int_text(count(weak)), lib.int_text(count(units) - count(weak)), weak_note],
		),
		"refs": array.concat([input.subject.id], sort(weak)),
		"details": {"not_strong": count(weak), "strong": count(units) - count(weak)},
	}
}

# weak_note: các đơn vị chưa mạnh, nêu tên khi có.
default weak_note := ""

weak_note := sprintf(" (chưa mạnh: %s)", [names(sort(weak))]) if count(weak) > 0

# Đơn vị chưa mạnh (theo xếp loại trước năm ra mắt) nay đã mạnh: xếp loại lĩnh
# vực gần nhất đến năm của ngày số liệu là "strong".
improved := sort({id |
	some id in weak
	lib.latest_field_rating(object.get(units[id], "ratings", []), input.subject.field) == "strong"
})

warning contains v if {
	count(improved) > 0
	v := {
		"msg": sprintf(
			"Nhóm đồng hành %s: %s đơn vị chưa mạnh về %s khi ra mắt nay đã mạnh (%s)",
			[input.subject.id, lib.int_text(count(improved)), field_text, names(improved)],
		),
		"refs": array.concat([input.subject.id], improved),
		"details": {"improved": improved},
	}
}
