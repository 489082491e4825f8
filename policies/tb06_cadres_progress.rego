# METADATA
# title: Nhóm cán bộ chi, tổ phụ nữ cùng tiến đúng quy định
# description: |
#   Mỗi nhóm "cán bộ chi, tổ phụ nữ cùng tiến" đang hoạt động có từ 2 đến 3 người
#   (tham số min_size, max_size), đều là cán bộ (kind cadre) giữ chức chi hội trưởng,
#   chi hội phó, tổ trưởng hoặc tổ phó, đang công tác tại cơ sở hội của mô hình;
#   có ít nhất một chi hội trưởng được đánh giá "giỏi" (good); có ít nhất một cán bộ
#   "giỏi" và một cán bộ "chưa giỏi" (not_yet_good).
#   Thông báo nêu đơn vị bằng tên, người tham gia bằng id cán bộ, hội viên; người không
#   tra được (như phụ nữ chưa vào hội) bằng vị trí và loại (dữ liệu cá nhân).
#   Cảnh báo (warning, không phải vi phạm: hướng dẫn chỉ nêu ví dụ "như"): cách
#   ghép không phải "1 kèm 1" hay "2 kèm 1" (1 hoặc 2 cán bộ giỏi với 1 cán bộ
#   chưa giỏi); và, khi số liệu có strong_fields, không cán bộ giỏi nào mạnh về
#   lĩnh vực của nhóm (field; nhóm không ghi lĩnh vực: về một lĩnh vực mà một cán
#   bộ chưa giỏi chưa mạnh).
# custom:
#   id: TB-06
#   scope: model
#   model_type: cadres_progress
#   severity: high
#   title_en: Cadres-progress groups are well formed
#   params:
#     min_size:
#       type: integer
#       default: 2
#       description: số người tối thiểu của một nhóm cùng tiến
#     max_size:
#       type: integer
#       default: 3
#       description: số người tối đa của một nhóm cùng tiến
package targets.tb06_cadres_progress

import data.lib.vungmanh as lib

min_size := lib.param("TB-06", "min_size", 2)

max_size := lib.param("TB-06", "max_size", 3)

participants := object.get(input.subject, "participants", [])

# Cơ sở hội của mô hình, tính một lần cho mỗi lần đánh giá: "not x.commune_id
# == commune" là "not lib.in_model_commune(input, x)" mà không cần một lời gọi
# hàm cho mỗi thành viên (không xác định khi mô hình không thuộc cơ sở nào:
# khi đó mọi thành viên đều vi phạm, như với lib.in_model_commune).
commune := lib.model_commune(input)

people := {p.id | some p in participants}

# Cán bộ đã xác định được (kind cadre, có bản ghi cán bộ).
cadres := [p.cadre | some p in participants; p.kind == "cadre"; p.cadre]

good := {c.id | some c in cadres; object.get(c, "competence", "") == "good"}

not_yet_good := {c.id | some c in cadres; object.get(c, "competence", "") == "not_yet_good"}

# refs của các vi phạm về cả nhóm: id của mô hình rồi id của mọi thành viên
# tra được (lib.participant_refs: không bao giờ id của người không tra
# được), sắp xếp một lần cho mỗi lần đánh giá dù có mấy vi phạm.
refs_all := array.concat([input.subject.id], lib.participant_refs(participants))

violation contains v if {
	n := count(people)
	not n >= min_size
	v := {
		"msg": sprintf("Nhóm cùng tiến %s có %s người, ít hơn mức tối thiểu %s người", [input.subject.id, lib.int_text(n), lib.int_text(min_size)]),
		"refs": refs_all,
		"details": {"size": n, "min_size": min_size, "max_size": max_size},
	}
}

violation contains v if {
	n := count(people)
	n > max_size
	v := {
		"msg": sprintf("Nhóm cùng tiến %s có %s người, nhiều hơn mức tối đa %s người", [input.subject.id, lib.int_text(n), lib.int_text(max_size)]),
		"refs": refs_all,
		"details": {"size": n, "min_size": min_size, "max_size": max_size},
	}
}

violation contains v if {
	some p in participants
	p.kind != "cadre"
	v := {
		"msg": sprintf(
			"Thành viên %s của nhóm cùng tiến %s không phải cán bộ (là %s)",
			[lib.participant_name(p, participants), input.subject.id, lib.label(lib.participant_kind_label, p.kind)],
		),
		"refs": array.concat([input.subject.id], lib.participant_refs([p])),
	}
}

violation contains v if {
	some i, p in participants
	p.kind == "cadre"
	not p.cadre
	v := {
		"msg": sprintf("Không tìm thấy cán bộ của người tham gia thứ %d của nhóm cùng tiến %s trong danh sách cán bộ", [i + 1, input.subject.id]),
		"refs": [input.subject.id],
	}
}

# (Tập vai trò và tập chi hội trưởng giỏi dưới đây viết thẳng trong vi phạm
# dùng chúng, không thành quy tắc riêng: mỗi quy tắc được tham chiếu có chi
# phí, và mỗi tập chỉ được dùng một lần.)
violation contains v if {
	some c in cadres
	not c.role in {"branch_head", "branch_deputy", "group_head", "group_deputy"}
	v := {
		"msg": sprintf(
			"Cán bộ %s (%s) không phải cán bộ chi hội hoặc tổ phụ nữ (chi hội trưởng, chi hội phó, tổ trưởng, tổ phó)",
			[c.id, object.get(lib.role_label, c.role, c.role)],
		),
		"refs": [input.subject.id, c.id],
	}
}

violation contains v if {
	some c in cadres
	not c.commune_id == commune
	v := {
		"msg": sprintf(
			"Cán bộ %s không công tác tại %s của nhóm cùng tiến (đơn vị công tác: %s)",
			[c.id, lib.model_commune_text(input), c.unit_id],
		),
		"refs": [input.subject.id, c.id, c.unit_id],
	}
}

violation contains v if {
	count({c.id | some c in cadres; c.role == "branch_head"; c.id in good}) == 0
	v := {
		"msg": sprintf("Nhóm cùng tiến %s chưa có chi hội trưởng nào được đánh giá giỏi", [input.subject.id]),
		"refs": refs_all,
	}
}

violation contains v if {
	not count(good) > 0
	v := mix_violation
}

violation contains v if {
	not count(not_yet_good) > 0
	v := mix_violation
}

mix_violation := {
	"msg": sprintf(
		"Nhóm cùng tiến %s phải có cả cán bộ giỏi và cán bộ chưa giỏi (hiện có %s giỏi, %s chưa giỏi)",
		[input.subject.id, lib.int_text(count(good)), lib.int_text(count(not_yet_good))],
	),
	"refs": refs_all,
	"details": {"good": count(good), "not_yet_good": count(not_yet_good)},
}

# ---- warnings: the guidance's examples (domain.md "How the guidance is read" 1)

# Cách ghép "1 kèm 1" (1 giỏi, 1 chưa giỏi) hoặc "2 kèm 1" (2 giỏi, 1 chưa giỏi).
pairing_ok if {
	count(not_yet_good) == 1
	count(good) in {1, 2}
}

warning contains v if {
	count(good) > 0
	count(not_yet_good) > 0
	not pairing_ok
	v := {
		"msg": sprintf(
			"Nhóm cùng tiến %s ghép %s cán bộ giỏi với %s cán bộ chưa giỏi; hướng dẫn nêu cách ghép \"1 kèm 1\" hoặc \"2 kèm 1\"",
			[input.subject.id, lib.int_text(count(good)), lib.int_text(count(not_yet_good))],
		),
		"refs": refs_all,
		"details": {"good": count(good), "not_yet_good": count(not_yet_good)},
	}
}

# Cán bộ giỏi có ghi lĩnh vực mạnh (strong_fields không rỗng: danh sách rỗng
# được coi là chưa ghi); khi không cán bộ giỏi nào có, số liệu không nói gì về
# lĩnh vực và không có cảnh báo.
good_with_fields := [c | some c in cadres; c.id in good; count(object.get(c, "strong_fields", [])) > 0]

# Lĩnh vực cần hỗ trợ: lĩnh vực của nhóm, hoặc (không ghi lĩnh vực) mọi lĩnh
# vực mà một cán bộ chưa giỏi có ghi strong_fields chưa mạnh.
needed_fields := {input.subject.field} if input.subject.field

else := {f |
	some c in cadres
	c.id in not_yet_good
	count(object.get(c, "strong_fields", [])) > 0
	some f, _ in lib.field_label
	not f in c.strong_fields
}

warning contains v if {
	count(good_with_fields) > 0
	count(needed_fields) > 0
	count({f | some c in good_with_fields; some f in c.strong_fields; f in needed_fields}) == 0
	v := {
		"msg": sprintf(
			"Nhóm cùng tiến %s: không cán bộ giỏi nào mạnh về %s",
			[input.subject.id, concat(", ", sort({object.get(lib.field_label, f, f) | some f in needed_fields}))],
		),
		"refs": refs_all,
		"details": {"fields": sort(needed_fields)},
	}
}
