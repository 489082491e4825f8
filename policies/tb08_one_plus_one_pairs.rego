# METADATA
# title: Các cặp của mô hình "1+1" đúng nội dung
# description: |
#   Mỗi cặp (pair) của mô hình "1+1" đang hoạt động có đúng một người giúp đỡ
#   (helper), một người được giúp đỡ (helped) và ghi một nội dung (component):
#   - branch_twinning (chi hội mạnh giúp chi hội yếu): hai chi hội, xếp loại gần
#     nhất trước năm ra mắt mô hình (không ghi ngày ra mắt: đến năm của ngày số
#     liệu) của chi hội giúp đỡ cao hơn hẳn chi hội được giúp đỡ; chi hội được
#     giúp đỡ chưa vững mạnh khi đó mà nay (xếp loại gần nhất đến năm của ngày số
#     liệu) đã Vững mạnh hoặc Xuất sắc là thành công của mô hình: một cảnh báo
#     (warning) với details.improved, không phải vi phạm;
#   - cadre_supports_member (cán bộ giúp hội viên khó khăn): người giúp đỡ là cán
#     bộ, hoặc hội viên không có hoàn cảnh khó khăn (không phải đơn vị, không phải
#     phụ nữ chưa vào hội, không phải hội viên có hoàn cảnh khó khăn); người được
#     giúp đỡ là hội viên có hoàn cảnh khó khăn (hardship);
#   - member_recruits_woman (hội viên vận động phụ nữ vào hội): người giúp đỡ là hội
#     viên; người được giúp đỡ là phụ nữ chưa vào hội (person) hoặc hội viên vào hội
#     từ ngày ra mắt mô hình trở đi;
#   - party_mentors_cadre (đảng viên kèm cặp cán bộ): người giúp đỡ là đảng viên;
#     người được giúp đỡ là cán bộ chi hội hoặc tổ phụ nữ (chi hội trưởng, chi hội
#     phó, tổ trưởng, tổ phó) chưa là đảng viên.
#   Thông báo nêu đơn vị bằng tên, người tham gia bằng id hội viên, cán bộ (người không
#   tra được, như phụ nữ chưa vào hội, bằng vị trí và loại) và nêu cặp bằng
#   các thành viên của cặp, không bao giờ bằng nhãn pair (dữ liệu cá nhân).
# custom:
#   id: TB-08
#   scope: model
#   model_type: one_plus_one
#   severity: high
#   title_en: Every pair of a "1+1" model is well formed
#   params: {}
package targets.tb08_one_plus_one_pairs

import data.lib.vungmanh as lib

mid := input.subject.id

participants := object.get(input.subject, "participants", [])

pairs := {p.pair | some p in participants; p.pair}

# who(p), pair(k): cách thông báo nêu người tham gia p và cặp k
# (lib.participant_name, lib.pair_name): không bao giờ bằng id của người
# không tra được hay bằng nhãn cặp.
who(p) := lib.participant_name(p, participants)

pair(k) := lib.pair_name(by_pair[k], participants)

# refs(ps): id của mô hình rồi id của những người tra được trong ps.
refs(ps) := array.concat([mid], lib.participant_refs(ps))

# by_pair[k]: thành viên của cặp k, lọc một lần cho mỗi lần đánh giá và dùng
# chung cho well_formed và malformed_pairs.
by_pair := {k: ms | some k in pairs; ms := [p | some p in participants; object.get(p, "pair", "") == k]}

# well_formed[k]: cặp k có đúng một người giúp đỡ (helper), một người được
# giúp đỡ (helped) và một nội dung (component). Mỗi cặp đúng dạng có người
# giúp đỡ, nên chỉ cần xét cặp của từng người giúp đỡ; ms là các thành viên
# của cặp k. Cả bộ well_formed được tính một lần cho mỗi lần đánh giá; các
# quy tắc dưới đây chỉ tra cứu nó.
well_formed[k] := {"helper": h, "helped": x, "component": c} if {
	some h in participants
	h.role == "helper"
	k := object.get(h, "pair", "")
	ms := by_pair[k]
	count([p | some p in ms; p.role == "helper"]) == 1
	[x] := [p | some p in ms; p.role == "helped"]
	cs := {p.component | some p in ms; p.component}
	count(cs) == 1
	some c in cs
}

# malformed: các cặp không đúng dạng; ba vi phạm về số người giúp đỡ, được
# giúp đỡ và nội dung chỉ cần xét các cặp này.
malformed := pairs - object.keys(well_formed)

# malformed_pairs[k]: thành viên (members), id đã sắp xếp (ids) và các nội
# dung giúp đỡ (components) của cặp không đúng dạng k, tính một lần cho mỗi
# cặp. Mỗi cặp không đúng dạng có ít nhất một vi phạm dưới đây, và các vi
# phạm của một cặp dùng chung ids (refs) và components.
malformed_pairs[k] := {"members": ms, "ids": lib.participant_refs(ms), "components": cs} if {
	some k in malformed
	ms := by_pair[k]
	cs := {p.component | some p in ms; p.component}
}

violation contains v if {
	count(pairs) == 0
	v := {"msg": sprintf("Mô hình \"1+1\" %s chưa có cặp nào", [mid]), "refs": [mid]}
}

# (object.get(p, "pair", false) == false: thành viên không có pair, như
# "not p.pair" nhưng không cần phép phủ định, rẻ hơn khi duyệt từng thành viên.)
violation contains v if {
	some p in participants
	object.get(p, "pair", false) == false
	v := {
		"msg": sprintf("Thành viên %s của mô hình \"1+1\" %s chưa được ghép cặp", [who(p), mid]),
		"refs": refs([p]),
	}
}

violation contains v if {
	some k, pr in malformed_pairs
	some role, name in {"helper": "người giúp đỡ", "helped": "người được giúp đỡ"}
	n := count([p | some p in pr.members; object.get(p, "role", "") == role])
	n != 1
	v := {
		"msg": sprintf("Cặp %s của mô hình \"1+1\" %s có %s %s; quy định đúng 1", [pair(k), mid, lib.int_text(n), name]),
		"refs": array.concat([mid], pr.ids),
	}
}

# Thành viên của một cặp có vai trò khác helper, helped (role_ok == false
# thay cho phép phủ định, như trên).
violation contains v if {
	some p in participants
	role_ok := object.get(p, "role", "") in {"helper", "helped"}
	role_ok == false
	k := object.get(p, "pair", "")
	k in pairs
	v := {
		"msg": sprintf("Thành viên %s của cặp %s không có vai trò người giúp đỡ hay người được giúp đỡ", [who(p), pair(k)]),
		"refs": refs([p]),
	}
}

violation contains v if {
	some k, pr in malformed_pairs
	count(pr.components) == 0
	v := {
		"msg": sprintf("Cặp %s của mô hình \"1+1\" %s chưa ghi nội dung giúp đỡ (component)", [pair(k), mid]),
		"refs": array.concat([mid], pr.ids),
	}
}

violation contains v if {
	some k, pr in malformed_pairs
	count(pr.components) > 1
	v := {
		"msg": sprintf("Cặp %s của mô hình \"1+1\" %s ghi nhiều nội dung khác nhau: %s", [pair(k), mid, lib.joined(pr.components)]),
		"refs": array.concat([mid], pr.ids),
	}
}

# ---- branch_twinning ----------------------------------------------------------

is_branch(p) if {
	p.kind == "unit"
	p.unit.level == "branch"
}

# Năm cuối cùng có xếp loại được dùng để đánh giá (năm trước năm ra mắt).
judgement_year := lib.judgement_year(input.subject)

# past[id]: xếp loại trước năm ra mắt của mỗi chi hội trong một cặp
# branch_twinning.
past[id] := r if {
	some _, pr in well_formed
	pr.component == "branch_twinning"
	some p in [pr.helper, pr.helped]
	is_branch(p)
	id := p.id
	r := lib.rating_upto(object.get(p.unit, "ratings", []), judgement_year)
}

violation contains v if {
	some k, pr in well_formed
	pr.component == "branch_twinning"
	some role, name in {"helper": "giúp đỡ", "helped": "được giúp đỡ"}
	not is_branch(pr[role])
	v := {
		"msg": sprintf("Cặp %s (chi hội mạnh giúp chi hội yếu): bên %s %s không phải chi hội", [pair(k), name, who(pr[role])]),
		"refs": refs([pr[role]]),
	}
}

violation contains v if {
	some k, pr in well_formed
	pr.component == "branch_twinning"
	some role, name in {"helper": "giúp đỡ", "helped": "được giúp đỡ"}
	p := pr[role]
	is_branch(p)
	not past[p.id]
	v := {
		"msg": sprintf("Cặp %s (chi hội mạnh giúp chi hội yếu): bên %s %s chưa có xếp loại", [pair(k), name, who(p)]),
		"refs": refs([p]),
	}
}

# (lib.better và lib.label viết thẳng bằng lib.rating_rank và object.get:
# không lời gọi hàm nào cho mỗi cặp.)
violation contains v if {
	some k, pr in well_formed
	pr.component == "branch_twinning"
	is_branch(pr.helper)
	is_branch(pr.helped)
	h := past[pr.helper.id]
	x := past[pr.helped.id]
	not lib.rating_rank[h.rating] < lib.rating_rank[x.rating]
	v := {
		"msg": sprintf(
			"Cặp %s (chi hội mạnh giúp chi hội yếu): xếp loại gần nhất của bên giúp đỡ %s (%s, năm %d) không cao hơn bên được giúp đỡ %s (%s, năm %d)",
			[pair(k), who(pr.helper), object.get(lib.rating_label, h.rating, h.rating), h.year, who(pr.helped), object.get(lib.rating_label, x.rating, x.rating), x.year],
		),
		"refs": refs([pr.helper, pr.helped]),
		"details": {"helper_rating": h.rating, "helped_rating": x.rating},
	}
}

# improved: chi hội được giúp đỡ của các cặp branch_twinning đúng (giúp đỡ
# hơn hẳn được giúp đỡ trước năm ra mắt) chưa vững mạnh khi đó, nay (xếp loại
# gần nhất đến năm của ngày số liệu, sau năm đánh giá) đã vững mạnh; một phần
# tử cho mỗi cặp.
improved := sort([pr.helped.id |
	some _, pr in well_formed
	pr.component == "branch_twinning"
	h := past[pr.helper.id]
	x := past[pr.helped.id]
	lib.rating_rank[h.rating] < lib.rating_rank[x.rating]
	not x.rating in lib.strong_rating
	now := lib.latest_rating(object.get(pr.helped.unit, "ratings", []))
	now.year > x.year
	now.rating in lib.strong_rating
])

# unit_record(id): bản ghi của đơn vị id trong số người tham gia;
# unit_records: mọi đơn vị tra được của mô hình (lib.participant_name phân
# biệt các đơn vị cùng tên trong danh sách này).
unit_record(id) := p.unit if {
	some p in participants
	p.kind == "unit"
	p.id == id
	p.unit
}

unit_records := [p.unit | some p in participants; p.kind == "unit"; p.unit]

warning contains v if {
	count(improved) > 0
	v := {
		"msg": sprintf(
			"Mô hình \"1+1\" %s: %s chi hội được giúp đỡ chưa vững mạnh khi ra mắt nay đã vững mạnh (%s)",
			[mid, lib.int_text(count(improved)), concat(", ", [lib.unit_label(unit_record(id), unit_records, []) | some id in improved])],
		),
		"refs": array.concat([mid], sort({id | some id in improved})),
		"details": {"improved": improved},
	}
}

# ---- cadre_supports_member ---------------------------------------------------

violation contains v if {
	some k, pr in well_formed
	pr.component == "cadre_supports_member"
	x := pr.helped
	not hardship_member(x)
	v := {
		"msg": sprintf(
			"Cặp %s (cán bộ giúp hội viên khó khăn): người được giúp đỡ %s không phải hội viên có hoàn cảnh khó khăn được ghi nhận",
			[pair(k), who(x)],
		),
		"refs": refs([x]),
	}
}

hardship_member(p) if {
	p.kind == "member"
	p.member.hardship == true
}

# Người giúp đỡ là cán bộ, hoặc hội viên không có hoàn cảnh khó khăn: không
# phải đơn vị, phụ nữ chưa vào hội, hay id không tra được.
violation contains v if {
	some k, pr in well_formed
	pr.component == "cadre_supports_member"
	h := pr.helper
	not resolved_cadre(h)
	not resolved_member(h)
	v := {
		"msg": sprintf("Cặp %s (cán bộ giúp hội viên khó khăn): người giúp đỡ %s không phải cán bộ hay hội viên", [pair(k), who(h)]),
		"refs": refs([h]),
	}
}

# Người giúp đỡ là hội viên thì không được là hội viên có hoàn cảnh khó khăn.
violation contains v if {
	some k, pr in well_formed
	pr.component == "cadre_supports_member"
	h := pr.helper
	hardship_member(h)
	v := {
		"msg": sprintf(
			"Cặp %s (cán bộ giúp hội viên khó khăn): người giúp đỡ %s là hội viên có hoàn cảnh khó khăn; người giúp đỡ phải là cán bộ hoặc hội viên không có hoàn cảnh khó khăn",
			[pair(k), who(h)],
		),
		"refs": refs([h]),
	}
}

# ---- member_recruits_woman ---------------------------------------------------

violation contains v if {
	some k, pr in well_formed
	pr.component == "member_recruits_woman"
	h := pr.helper
	not resolved_member(h)
	v := {
		"msg": sprintf("Cặp %s (hội viên vận động phụ nữ vào hội): người vận động %s không phải hội viên", [pair(k), who(h)]),
		"refs": refs([h]),
	}
}

resolved_member(p) if {
	p.kind == "member"
	p.member
}

violation contains v if {
	some k, pr in well_formed
	pr.component == "member_recruits_woman"
	x := pr.helped
	not recruit_ok(x)
	v := {
		"msg": sprintf(
			"Cặp %s (hội viên vận động phụ nữ vào hội): người được vận động %s không phải phụ nữ chưa vào hội, cũng không phải hội viên vào hội từ ngày ra mắt mô hình (%s; ngày vào hội: %s)",
			[pair(k), who(x), lib.date_text(object.get(input.subject, "launched_on", "chưa ghi")), lib.date_text(object.get(object.get(x, "member", {}), "joined_on", "chưa ghi"))],
		),
		"refs": refs([x]),
	}
}

recruit_ok(p) if p.kind == "person"

recruit_ok(p) if {
	p.kind == "member"
	p.member.joined_on >= input.subject.launched_on
}

# ---- party_mentors_cadre -----------------------------------------------------

violation contains v if {
	some k, pr in well_formed
	pr.component == "party_mentors_cadre"
	h := pr.helper
	not party_member(h)
	v := {
		"msg": sprintf("Cặp %s (đảng viên kèm cặp cán bộ): người kèm cặp %s không phải đảng viên", [pair(k), who(h)]),
		"refs": refs([h]),
	}
}

party_member(p) if {
	p.kind == "member"
	p.member.party_member == true
}

party_member(p) if {
	p.kind == "cadre"
	p.cadre.party_member == true
}

violation contains v if {
	some k, pr in well_formed
	pr.component == "party_mentors_cadre"
	x := pr.helped
	not resolved_cadre(x)
	v := {
		"msg": sprintf("Cặp %s (đảng viên kèm cặp cán bộ): người được kèm cặp %s không phải cán bộ", [pair(k), who(x)]),
		"refs": refs([x]),
	}
}

resolved_cadre(p) if {
	p.kind == "cadre"
	p.cadre
}

# Chức vụ của cán bộ chi hội, tổ phụ nữ (người được kèm cặp phải giữ một
# chức vụ này; cán bộ cơ sở không thuộc diện).
grassroots_roles := {"branch_head", "branch_deputy", "group_head", "group_deputy"}

violation contains v if {
	some k, pr in well_formed
	pr.component == "party_mentors_cadre"
	x := pr.helped
	resolved_cadre(x)
	role := object.get(x.cadre, "role", "chưa ghi chức vụ")
	not role in grassroots_roles
	v := {
		"msg": sprintf(
			"Cặp %s (đảng viên kèm cặp cán bộ): người được kèm cặp %s là %s, không phải cán bộ chi hội hay tổ phụ nữ",
			[pair(k), who(x), object.get(lib.role_label, role, role)],
		),
		"refs": refs([x]),
	}
}

violation contains v if {
	some k, pr in well_formed
	pr.component == "party_mentors_cadre"
	x := pr.helped
	resolved_cadre(x)
	x.cadre.party_member == true
	v := {
		"msg": sprintf("Cặp %s (đảng viên kèm cặp cán bộ): người được kèm cặp %s đã là đảng viên", [pair(k), who(x)]),
		"refs": refs([x]),
	}
}
