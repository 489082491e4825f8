# METADATA
# title: Thư viện dùng chung của bộ chỉ tiêu
# description: |
#   Các hàm dùng chung cho mọi chỉ tiêu (không phải chỉ tiêu): thứ hạng xếp loại,
#   xếp loại gần nhất, các tháng trước ngày số liệu, cơ sở hội của mô hình,
#   mô hình đang hoạt động (đã ra mắt đến ngày số liệu), nhãn tiếng Việt. Chỉ
#   dùng hàm tất định; "hôm nay" là input.snapshot.as_of.
package lib.vungmanh

# Thứ hạng xếp loại, tốt nhất trước: excellent 0 ... weak 3.
rating_rank := {"excellent": 0, "good": 1, "fair": 2, "weak": 3}

# Nhãn tiếng Việt.
rating_label := {"excellent": "Xuất sắc", "good": "Vững mạnh", "fair": "Khá", "weak": "Trung bình"}

field_label := {
	"propaganda": "tuyên truyền",
	"family": "xây dựng gia đình",
	"economy": "phát triển kinh tế",
	"membership": "tập hợp hội viên",
}

role_label := {
	"commune_chair": "chủ tịch cơ sở",
	"commune_vice_chair": "phó chủ tịch cơ sở",
	"commune_standing": "ủy viên thường vụ cơ sở",
	"branch_head": "chi hội trưởng",
	"branch_deputy": "chi hội phó",
	"group_head": "tổ trưởng",
	"group_deputy": "tổ phó",
}

component_label := {
	"branch_twinning": "chi hội mạnh giúp chi hội yếu",
	"member_recruits_woman": "hội viên vận động phụ nữ vào hội",
	"cadre_supports_member": "cán bộ giúp hội viên khó khăn",
	"party_mentors_cadre": "đảng viên kèm cặp cán bộ",
}

level_label := {
	"province": "Tỉnh hội",
	"district": "Huyện hội",
	"commune": "Cơ sở hội",
	"branch": "Chi hội",
	"group": "Tổ phụ nữ",
}

# label(m, k) is m[k], or k itself when m has no label for it.
label(m, k) := object.get(m, k, k)

# better(a, b): xếp loại a tốt hơn hẳn xếp loại b.
better(a, b) if rating_rank[a] < rating_rank[b]

# Năm của ngày số liệu (as_of).
as_of_year := to_number(substring(input.snapshot.as_of, 0, 4))

# Chỉ số tháng của as_of, tháng đếm liên tục để cộng trừ: năm*12 + tháng - 1
# (as_of 2024-09-30 -> 2024*12 + 8). Tính một lần cho mỗi lần đánh giá.
as_of_month_index := ((as_of_year * 12) + to_number(substring(input.snapshot.as_of, 5, 2))) - 1

# months_before(n): n tháng dương lịch liền trước tháng của as_of (không gồm
# tháng của as_of), cũ nhất trước. as_of 2024-09-30, n 3 -> 2024-06, 2024-07, 2024-08.
# Tháng có chỉ số i là "YYYY-MM", năm floor(i / 12), tháng (i % 12) + 1.
#
# Thường gặp nhất (TB-09, mặc định 3 tháng, as_of từ tháng 4 trở đi): mọi
# tháng cùng năm với as_of. Khi đó "YYYY-" được định dạng một lần và mỗi
# tháng chỉ là một phép tra bảng month_text, thay cho bốn phép tính và một
# sprintf mỗi tháng; hàm này được tính cho mỗi chi hội.
months_before(n) := [concat("", [year_text, month_text[k]]) | some k in numbers.range((m - n) - 1, m - 2)] if {
	n > 0
	m := to_number(substring(input.snapshot.as_of, 5, 2))
	m > n
	m <= 12
	as_of_year >= 0
	year_text := sprintf("%04d-", [as_of_year])
}

# Các tháng sang năm trước, từ năm 0 trở đi (i >= 0): năm được tính bằng
# phép chia hết (i - i % 12) / 12, cùng kết quả với floor(i / 12) nhưng chỉ
# dùng số nguyên (i / 12 không chia hết thì OPA tính bằng số thực, chậm hơn
# nhiều).
else := [sprintf("%04d-%02d", [(i - r) / 12, r + 1]) |
	n > 0
	some i in numbers.range(as_of_month_index - n, as_of_month_index - 1)
	r := i % 12
] if {
	as_of_month_index >= n
}

# Các tháng trước năm 0 (i < 0; chỉ khi n rất lớn): giữ cách tính floor(i / 12).
else := [sprintf("%04d-%02d", [floor(i / 12), (i % 12) + 1]) |
	n > 0
	some i in numbers.range(as_of_month_index - n, as_of_month_index - 1)
] if {
	as_of_month_index < n
}

# month_text[k]: tháng k + 1 viết hai chữ số ("01" ... "12").
month_text := ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]

# latest_rating(ratings): bản ghi xếp loại năm gần nhất, bỏ các năm sau năm
# của as_of (năm y đã không quá năm của as_of, nên bản ghi có năm y cũng vậy).
latest_rating(ratings) := r if {
	y := max([x.year | some x in ratings; x.year <= as_of_year])
	some r in ratings
	r.year == y
}

# latest_field_rating(ratings, field): đánh giá "strong"/"not_strong" của
# lĩnh vực field trong năm gần nhất (không quá năm của as_of) có đánh giá lĩnh
# vực đó.
latest_field_rating(ratings, field) := v if {
	rs := [r | some r in ratings; r.year <= as_of_year; object.get(object.get(r, "fields", {}), field, "") != ""]
	y := max([x.year | some x in rs])
	some r in rs
	r.year == y
	v := r.fields[field]
}

# The helpers below that need the input take it as their first argument
# (inp), so that the library type-checks against the input schema of every
# scope: the checker compiles it once per scope.

# active_unit_ids(inp): đơn vị đang hoạt động của cây đơn vị đang xét (chủ thể
# và cấp dưới; phạm vi đơn vị).
active_unit_ids(inp) := {id |
	some u in array.concat([inp.subject], object.get(inp, "units", []))
	object.get(u, "active", true)
	id := u.id
}

# active_models(inp, type): mô hình loại type đang hoạt động (status vắng mặt
# = active), đã ra mắt đến ngày số liệu (launched_on vắng mặt, hoặc không sau
# inp.snapshot.as_of: các chỉ tiêu tính "đến ngày số liệu"; ngày "YYYY-MM-DD"
# so sánh như chuỗi, chuỗi rỗng nhỏ hơn mọi ngày), do một đơn vị đang hoạt
# động của cây đơn vị xây dựng (phạm vi đơn vị).
active_models(inp, type) := {m |
	units := active_unit_ids(inp)
	some m in object.get(inp, "models", [])
	m.type == type
	object.get(m, "status", "active") == "active"
	object.get(m, "launched_on", "") <= inp.snapshot.as_of
	m.unit_id in units
}

# has_active_model(inp, type): active_models(inp, type) không rỗng. Không
# dựng tập mô hình: việc đánh giá dừng ở mô hình đang hoạt động đầu tiên, và
# active_unit_ids(inp) chỉ được tính khi có mô hình loại type đang hoạt động
# (một lần cho mỗi lần đánh giá: OPA lưu kết quả của lời gọi hàm).
has_active_model(inp, type) if {
	some m in object.get(inp, "models", [])
	m.type == type
	object.get(m, "status", "active") == "active"
	object.get(m, "launched_on", "") <= inp.snapshot.as_of
	m.unit_id in active_unit_ids(inp)
}

# inactive_models(inp, type): mô hình loại type không được tính (đã dừng, ra
# mắt sau ngày số liệu, hoặc đơn vị xây dựng đã ngừng hoạt động): mọi mô hình
# loại type trừ các mô hình đang hoạt động.
inactive_models(inp, type) := {m | some m in object.get(inp, "models", []); m.type == type} - active_models(inp, type)

# model_commune(inp): cơ sở hội của mô hình (phạm vi model): chính đơn vị xây
# dựng nếu là cơ sở, nếu không thì cấp cơ sở trong inp.ancestors.
model_commune(inp) := inp.unit.id if inp.unit.level == "commune"

model_commune(inp) := c.id if {
	inp.unit.level != "commune"
	some c in inp.ancestors
	c.level == "commune"
}

# model_commune_text(inp): the model's commune named for messages
# (unit_text: "Cơ sở hội Xã Thái Xuyên"), or a placeholder when the model's
# unit is not in any commune.
default model_commune_text(_) := "cơ sở hội (không xác định)"

model_commune_text(inp) := unit_text(inp.unit) if inp.unit.level == "commune"

model_commune_text(inp) := unit_text(c) if {
	inp.unit.level != "commune"
	some c in inp.ancestors
	c.level == "commune"
}

# in_model_commune(inp, rec): bản ghi (unit, cadre, member) nằm trong cơ sở
# hội của mô hình.
in_model_commune(inp, rec) if rec.commune_id == model_commune(inp)

# param(id, key, default): tham số data.params[id][key], hoặc giá trị mặc định.
# Chỉ tiêu khai báo tham số và mặc định trong METADATA (custom.params); khi chạy,
# data.params đã có mặc định đó cho khóa mà tệp --params không đặt. default ở đây
# phải trùng mặc định đã khai báo (check kiểm tra), và dùng khi không có
# data.params (opa test, vungmanh test).
param(id, key, def) := object.get(object.get(params, id, {}), key, def)

default params := {}

params := data.params

# ids(xs): danh sách id đã sắp xếp của các bản ghi xs.
ids(xs) := sort({x.id | some x in xs})

# joined(xs): chuỗi "a, b, c" của các phần tử xs (đã sắp xếp).
joined(xs) := concat(", ", sort(xs))

# ---- Người tham gia: chỉ nêu id của hội viên, cán bộ, đơn vị -----------------
#
# Dữ liệu cá nhân (domain.md): báo cáo chỉ nêu id hội viên, id cán bộ và
# đơn vị. Người tham gia loại person (phụ nữ chưa vào hội) không có mã hội
# viên: tệp xuất thật ghi tên hoặc số điện thoại vào participant_id; một id
# không tra được trong danh sách hội viên, cán bộ, đơn vị cũng có thể là tên.
# Nhãn cặp (pair) là chữ tự do. Các chỉ tiêu không bao giờ chép những giá
# trị đó vào msg, refs hay details: chúng nêu người tham gia bằng
# participant_name và refs bằng participant_refs, nêu cặp bằng pair_name.

# known_participant(p): người tham gia p tra được: đơn vị, cán bộ, hội viên
# có bản ghi trong số liệu.
known_participant(p) if {
	p.kind == "unit"
	p.unit
}

known_participant(p) if {
	p.kind == "cadre"
	p.cadre
}

known_participant(p) if {
	p.kind == "member"
	p.member
}

# Người tham gia không tra được, theo loại (kind).
unknown_participant_label := {
	"person": "không phải hội viên",
	"member": "mã hội viên không tra được",
	"cadre": "mã cán bộ không tra được",
	"unit": "mã đơn vị không tra được",
}

# participant_name(p, ps): cách thông báo nêu người tham gia p của danh sách
# ps (input.subject.participants): một đơn vị tra được bằng tên (unit_label,
# phân biệt với các đơn vị khác của ps cùng tên bằng id); một cán bộ, hội
# viên tra được bằng id; nếu không, vị trí và loại: "người tham gia thứ 3
# (không phải hội viên)" (thứ tự của danh sách, sắp theo id).
participant_name(p, ps) := unit_label(p.unit, [q.unit | some q in ps; q.kind == "unit"; q.unit], []) if {
	p.kind == "unit"
	p.unit
} else := p.id if known_participant(p)

else := sprintf("người tham gia thứ %d (%s)", [min(is) + 1, label(unknown_participant_label, p.kind)]) if {
	is := [i | some i, q in ps; q == p]
	count(is) > 0
}

else := sprintf("một người tham gia (%s)", [label(unknown_participant_label, p.kind)])

# participant_refs(ps): id của những người tham gia tra được trong ps (refs
# không bao giờ chứa id của người không tra được), sắp xếp.
participant_refs(ps) := sort({p.id | some p in ps; known_participant(p)})

# pair_name(ms, ps): cách thông báo nêu một cặp gồm các thành viên ms (trong
# danh sách ps): không bao giờ bằng nhãn pair (chữ tự do), mà bằng tên các
# thành viên (participant_name): "Cặp %s" với pair_name là "Cặp [cb-1, hv-1]".
pair_name(ms, ps) := sprintf("[%s]", [concat(", ", sort([participant_name(p, ps) | some p in ms]))])
# ---- Sau sắp xếp đơn vị hành chính (1/7/2025) ----------------------------------
# Đơn vị mà lineage chạm tới mang "history": các đơn vị tiền thân (sáp nhập,
# chia tách, đổi tên, chuyển cấp), gần nhất trước, mỗi đơn vị có xếp loại,
# sinh hoạt và history của riêng nó (docs/policy-input.md). Chỉ tiêu xét năm
# trước (xếp loại, sinh hoạt) nhận số liệu của đơn vị tiền thân cho đơn vị
# chưa tồn tại trong năm đó, và nói rõ trong thông điệp (domain.md, điểm 5).

# history_entries(u): mọi đơn vị tiền thân của u, đến ba đời (gần nhất trước).
history_entries(u) := array.concat(array.concat(h1, h2), h3) if {
	h1 := object.get(u, "history", [])
	h2 := [e | some h in h1; some e in object.get(h, "history", [])]
	h3 := [e | some h in h2; some e in object.get(h, "history", [])]
}

# new_since(u, y): u chưa tồn tại như hiện nay trong năm y: một đơn vị tiền
# thân của u chuyển sang u sau năm y (ngày hiệu lực sau 31/12 năm y).
new_since(u, y) if {
	some h in object.get(u, "history", [])
	h.effective > sprintf("%04d-12-31", [y])
}

# predecessor_ratings(u, y): xếp loại năm y của các đơn vị tiền thân của u,
# mỗi bản ghi thêm unit_id là id của đơn vị tiền thân.
predecessor_ratings(u, y) := [object.union(r, {"unit_id": h.id}) |
	some h in history_entries(u)
	some r in object.get(h, "ratings", [])
	r.year == y
]

# year_ratings(u, own, y): xếp loại năm y của đơn vị u: của chính nó (own:
# danh sách xếp loại của u, thường là input.ratings[u.id]) nếu có; nếu không,
# khi u chưa tồn tại trong năm y, xếp loại năm y của các đơn vị tiền thân
# (bản ghi có unit_id của đơn vị tiền thân: thông điệp nói rõ). Rỗng khi không có.
year_ratings(u, own, y) := rs if {
	rs := [r | some r in own; r.year == y]
	count(rs) > 0
} else := predecessor_ratings(u, y) if {
	new_since(u, y)
} else := []

# predecessor_activities(u, months): sinh hoạt trong các tháng months của các
# đơn vị tiền thân của u, mỗi bản ghi thêm unit_id của đơn vị tiền thân.
predecessor_activities(u, months) := [object.union(a, {"unit_id": h.id}) |
	some h in history_entries(u)
	some a in object.get(h, "activities", [])
	a.month in months
]

# started(u): ngày u bắt đầu như hiện nay (ngày hiệu lực gần nhất trong
# history); không xác định khi u không có đơn vị tiền thân.
started(u) := max({h.effective | some h in object.get(u, "history", [])})

# month_activities(u, own, months): sinh hoạt trong các tháng months của u:
# của chính nó (own), cộng với sinh hoạt của các đơn vị tiền thân trong các
# tháng trước khi u bắt đầu (started): tháng của u lúc đó là tháng của đơn vị
# tiền thân.
month_activities(u, own, months) := array.concat(mine, before) if {
	mine := [a | some a in own; a.month in months]
	s := started(u)
	before := predecessor_activities(u, {m | some m in months; m < substring(s, 0, 7)})
} else := [a | some a in own; a.month in months]

# ---- strong and weak judged on the past (domain.md "How the guidance is read" 2)

# judgement_year(m): năm cuối cùng có xếp loại được dùng để đánh giá mạnh, yếu
# cho mô hình m: năm trước năm ra mắt (xếp loại "trong những năm trước"), không
# quá năm của as_of; mô hình không ghi launched_on: năm của as_of.
judgement_year(m) := min({to_number(substring(m.launched_on, 0, 4)) - 1, as_of_year}) if {
	m.launched_on
} else := as_of_year

# rating_upto(ratings, y): bản ghi xếp loại năm gần nhất không quá năm y.
rating_upto(ratings, y) := r if {
	z := max([x.year | some x in ratings; x.year <= y])
	some r in ratings
	r.year == z
}

# field_rating_upto(ratings, field, y): đánh giá "strong"/"not_strong" của
# lĩnh vực field trong năm gần nhất không quá năm y có đánh giá lĩnh vực đó.
field_rating_upto(ratings, field, y) := v if {
	rs := [r | some r in ratings; r.year <= y; object.get(object.get(r, "fields", {}), field, "") != ""]
	z := max([x.year | some x in rs])
	some r in rs
	r.year == z
	v := r.fields[field]
}

# strong_rating: xếp loại tổng thể được coi là "mạnh" (Xuất sắc, Vững mạnh).
strong_rating := {"excellent", "good"}

# ---- Chữ và số trong thông điệp / words and numbers in messages ---------------
#
# Thông điệp nêu đơn vị bằng tên, với nhãn theo loại (kind) và cấp, như báo
# cáo ghi; nêu người bằng mã hội viên, mã cán bộ (participant_name); viết số
# kiểu Việt Nam như báo cáo: 1.234 người, 87,5 %, ngày 01/03/2024, tháng 06/2024.
# Năm viết liền (năm 2023).

# unit_prefix: từ chỉ tổ chức hội của đơn vị mỗi cấp, đứng trước tên địa bàn:
# "Cơ sở hội Xã Thái Xuyên", "Chi hội Thôn Đông", "Hội LHPN Thành phố Thái Bình"
# (cấp huyện là huyện, quận, thị xã hay thành phố: nhãn theo loại của địa bàn,
# không theo cấp, vì cấp không phân biệt thành phố với huyện).
unit_prefix := {
	"province": "Hội LHPN",
	"district": "Hội LHPN",
	"commune": "Cơ sở hội",
	"branch": "Chi hội",
	"group": "Tổ phụ nữ",
}

# kind_prefixes: các từ mà tên đơn vị có thể đã bắt đầu bằng (khi đó không thêm
# loại vào trước tên: "TP Thái Bình" loại "thành phố" giữ nguyên). Cùng danh
# sách với trang báo cáo (internal/report, kindPrefixes; một phép thử so sánh
# hai bên).
kind_prefixes := [
	"tỉnh", "thành phố", "tp", "tp.", "huyện", "quận", "thị xã", "xã", "phường", "thị trấn",
	"đặc khu", "chi hội", "tổ", "thôn", "tổ dân phố", "khu phố", "ấp", "bản", "làng", "xóm", "hội lhpn",
]

# unit_name(u): tên địa bàn của đơn vị u như trang báo cáo ghi: tên, có loại
# (kind) viết hoa chữ đầu đứng trước khi tên chưa bắt đầu bằng loại đó hay một
# từ của kind_prefixes ("Đông Hưng" loại "huyện" -> "Huyện Đông Hưng"); không
# có loại thì chỉ tên; không có tên thì id.
unit_name(u) := n if {
	n := trim_space(object.get(u, "name", ""))
	n != ""
	named_by_itself(lower(n), trim_space(object.get(u, "kind", "")))
} else := concat(" ", [capitalised(k), n]) if {
	n := trim_space(object.get(u, "name", ""))
	n != ""
	k := trim_space(object.get(u, "kind", ""))
} else := object.get(u, "id", "")

# named_by_itself(low, k): tên (viết thường: low) đứng một mình, không cần
# thêm loại k: không có loại, hoặc tên đã bắt đầu bằng loại đó hay một từ của
# kind_prefixes. (Một biểu thức chính quy dựng một lần cho cả danh sách thay
# cho một phép so sánh mỗi từ: hàm này chạy cho mỗi thông điệp nêu đơn vị.)
named_by_itself(_, "")

named_by_itself(low, k) if startswith(low, concat("", [lower(k), " "]))

named_by_itself(low, _) if regex.match(kind_prefix_pattern, low)

# kind_prefix_pattern: "^(?:tỉnh|thành phố|...) " của kind_prefixes.
kind_prefix_pattern := concat("", ["^(?:", concat("|", [replace(p, ".", `\.`) | some p in kind_prefixes]), ") "])

# capitalised(s): s với chữ đầu viết hoa ("thành phố" -> "Thành phố").
capitalised(s) := concat("", [upper(substring(s, 0, 1)), substring(s, 1, -1)])

# unit_text(u) nêu đơn vị u trong thông điệp bằng tên, sau từ chỉ tổ chức hội
# của cấp (unit_prefix) trừ khi tên đã bắt đầu bằng từ đó: "Chi hội Thôn
# Đông", "Cơ sở hội Phường Bồ Xuyên", "Tổ phụ nữ số 3", "Hội LHPN Huyện Đông
# Hưng"; id khi đơn vị không có tên (báo cáo nêu đơn vị bằng tên, id chỉ dành
# cho người).
unit_text(u) := prefixed(object.get(u, "level", ""), unit_name(u)) if {
	trim_space(object.get(u, "name", "")) != ""
} else := object.get(u, "id", "")

# prefixed(level, n): n sau từ unit_prefix[level], trừ khi n đã bắt đầu bằng
# từ đó (so sánh chữ thường: unit_prefix_low) hoặc cấp không có từ nào.
prefixed(level, n) := n if {
	not unit_prefix[level]
} else := n if {
	startswith(lower(n), unit_prefix_low[level])
} else := concat(" ", [unit_prefix[level], n])

# unit_prefix_low[level]: unit_prefix[level] viết thường, với dấu cách.
unit_prefix_low := {l: concat("", [lower(p), " "]) | some l, p in unit_prefix}

# predecessor_text(h): unit_text của đơn vị tiền thân h (một phần tử history:
# kind của nó là loại thay đổi merge, split..., không phải loại địa bàn).
predecessor_text(h) := unit_text(object.remove(h, {"kind"}))

# unit_label(u, us, known): unit_text(u), phân biệt với các đơn vị khác của us
# (các đơn vị cùng được nêu trong ngữ cảnh của thông điệp, như các chi hội của
# một cơ sở) có cùng tên: thêm tên đơn vị cấp trên trong ngoặc, tìm trong known
# ("Tổ phụ nữ số 1 (Thôn Đông)"), và id trong ngoặc vuông khi vẫn trùng hoặc
# không tìm được đơn vị cấp trên ("Chi hội Thôn Đông [xa-1-ch03]").
unit_label(u, us, known) := t if {
	t := unit_text(u)
	count(namesakes(u, us)) == 0
} else := t if {
	pt := parent_name(u, known)
	every x in namesakes(u, us) {
		parent_name(x, known) != pt
	}
	t := sprintf("%s (%s)", [unit_text(u), pt])
} else := sprintf("%s [%s]", [unit_text(u), object.get(u, "id", "")])

# namesakes(u, us): các đơn vị khác của us có cùng unit_text với u.
namesakes(u, us) := [x |
	t := unit_text(u)
	some x in us
	object.get(x, "id", "") != object.get(u, "id", "")
	unit_text(x) == t
]

# parent_name(u, known): unit_name của đơn vị cấp trên của u, tìm trong known.
parent_name(u, known) := unit_name(p) if {
	pid := object.get(u, "parent_id", "")
	pid != ""
	some p in known
	p.id == pid
}

# unit_labels(ids, byid, known): unit_label của các đơn vị byid[id] với id
# theo thứ tự của ids (đã sắp xếp), nối bằng ", "; các đơn vị cùng nêu là
# mọi giá trị của byid.
unit_labels(ids, byid, known) := concat(", ", [unit_label(byid[id], us, known) | some id in ids]) if {
	us := [u | some _, u in byid]
}

# int_text(n): số nguyên có dấu chấm phân cách hàng nghìn, như báo cáo viết số
# đếm: 1234 -> "1.234", 245 -> "245", -1234 -> "-1.234". Năm và tháng không
# viết bằng hàm này.
int_text(n) := sprintf("%d", [n]) if {
	n < 1000
	n > -1000
} else := concat("", [sign_text(n), concat(".", groups)]) if {
	d := sprintf("%d", [abs(n)])
	k := count(d)
	h := ((k - 1) % 3) + 1
	groups := array.concat([substring(d, 0, h)], [substring(d, i, 3) | some i in numbers.range_step(h, k - 1, 3)])
}

sign_text(n) := "-" if n < 0

else := ""

# count_text(n, total): "n/total" viết bằng int_text: "1.200/1.234".
count_text(n, total) := concat("/", [int_text(n), int_text(total)])

# percent_text(x) viết tỷ lệ 0..1 thành phần trăm kiểu Việt Nam, một chữ số
# thập phân và dấu cách không ngắt: 0.875 -> "87,5 %", 0.9 -> "90,0 %", như
# báo cáo viết.
percent_text(x) := sprintf("%d,%d\u00a0%%", [floor(t / 10), t % 10]) if {
	t := round(x * 1000)
}

# date_text(d): ngày "YYYY-MM-DD" viết kiểu Việt Nam, "01/03/2024"; chuỗi khác
# giữ nguyên.
date_text(d) := sprintf("%s/%s/%s", [substring(d, 8, 2), substring(d, 5, 2), substring(d, 0, 4)]) if {
	regex.match(`^\d{4}-\d{2}-\d{2}$`, d)
} else := d

# month_label(m): tháng "YYYY-MM" viết kiểu Việt Nam, "06/2024"; chuỗi khác
# giữ nguyên.
month_label(m) := sprintf("%s/%s", [substring(m, 5, 2), substring(m, 0, 4)]) if {
	regex.match(`^\d{4}-\d{2}$`, m)
} else := m

# participant_kind_label: loại người tham gia, viết trong thông điệp.
participant_kind_label := {
	"unit": "đơn vị",
	"cadre": "cán bộ",
	"member": "hội viên",
	"person": "phụ nữ chưa vào hội",
}
