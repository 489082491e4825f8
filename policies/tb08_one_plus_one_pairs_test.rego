package targets.tb08_one_plus_one_pairs_test

import data.lib.vungmanh_test as f
import data.targets.tb08_one_plus_one_pairs as t

# in_pair(p, pair, role, component): participant p placed in a pair.
in_pair(p, pair, role, component) := object.union(p, {"pair": pair, "role": role, "component": component})

branch(id, r) := f.unit_participant(id, "branch", [f.rating(2021, "weak", {}), f.rating(2022, r, {})], "xa")

member(id, m) := f.member_participant(id, m)

cadre(id, party) := object.union(
	f.cadre_participant(id, "chi", "branch_deputy", "good", "xa"),
	{"cadre": {"party_member": party}},
)

twinning := [
	in_pair(branch("chi-1", "excellent"), "c1", "helper", "branch_twinning"),
	in_pair(branch("chi-2", "fair"), "c1", "helped", "branch_twinning"),
]

support := [
	in_pair(cadre("cb-1", false), "c2", "helper", "cadre_supports_member"),
	in_pair(member("hv-1", {"hardship": true}), "c2", "helped", "cadre_supports_member"),
]

recruit := [
	in_pair(member("hv-2", {"joined_on": "2015-01-01"}), "c3", "helper", "member_recruits_woman"),
	in_pair(f.person_participant("pn-1"), "c3", "helped", "member_recruits_woman"),
	in_pair(member("hv-3", {"joined_on": "2024-05-01"}), "c4", "helper", "member_recruits_woman"),
	in_pair(member("hv-4", {"joined_on": "2023-03-08"}), "c4", "helped", "member_recruits_woman"),
]

mentor := [
	in_pair(member("hv-5", {"party_member": true}), "c5", "helper", "party_mentors_cadre"),
	in_pair(cadre("cb-2", false), "c5", "helped", "party_mentors_cadre"),
	in_pair(cadre("cb-3", true), "c6", "helper", "party_mentors_cadre"),
	in_pair(cadre("cb-4", false), "c6", "helped", "party_mentors_cadre"),
]

input_with(ps) := f.model_input(
	f.with_participants(f.model("m11", "chi", "one_plus_one", "active"), ps),
	f.branch,
	f.branch_ancestors,
)

msgs(vs) := {v.msg | some v in vs}

test_pass_all_components if {
	ps := array.concat(array.concat(twinning, support), array.concat(recruit, mentor))
	count(t.violation) == 0 with input as input_with(ps)
}

test_fail_no_pairs if {
	t.violation == {{"msg": "Mô hình \"1+1\" m11 chưa có cặp nào", "refs": ["m11"]}} with input as input_with([])
}

test_fail_unpaired_participant if {
	ps := array.concat(support, [f.person_participant("pn-2")])
	vs := t.violation with input as input_with(ps)
	vs == {{"msg": "Thành viên người tham gia thứ 3 (không phải hội viên) của mô hình \"1+1\" m11 chưa được ghép cặp", "refs": ["m11"]}}
}

# Dữ liệu cá nhân: người tham gia không phải hội viên (id là tên, số điện
# thoại trong tệp xuất thật) và nhãn cặp không bao giờ vào msg, refs, details.
test_personal_data_never_copied if {
	name := "Nguyễn Thị Lan 0912345678"
	label := "cặp của chị Hoa"
	cases := [
		[in_pair(f.person_participant(name), label, "helper", "cadre_supports_member"), in_pair(member("hv-1", {"hardship": true}), label, "helped", "cadre_supports_member")],
		[in_pair(member("hv-2", {"joined_on": "2015-01-01"}), label, "helper", "member_recruits_woman"), f.person_participant(name)],
		[in_pair(object.remove(member(name, {}), ["member"]), label, "helper", "party_mentors_cadre"), in_pair(f.person_participant("x"), label, "member", "party_mentors_cadre")],
		[in_pair(f.person_participant(name), label, "helper", "branch_twinning"), in_pair(f.person_participant("y"), label, "helped", "branch_twinning")],
		[in_pair(f.person_participant(name), label, "helped", "x"), in_pair(f.person_participant("z"), label, "helped", "y")],
	]
	every ps in cases {
		vs := t.violation with input as input_with(ps)
		count(vs) > 0
		text := json.marshal(vs)
		not contains(text, name)
		not contains(text, label)
	}
}

test_fail_two_helpers if {
	ps := array.concat(support, [in_pair(cadre("cb-9", false), "c2", "helper", "cadre_supports_member")])
	vs := t.violation with input as input_with(ps)
	some v in vs
	v.msg == "Cặp [cb-1, cb-9, hv-1] của mô hình \"1+1\" m11 có 2 người giúp đỡ; quy định đúng 1"
	v.refs == ["m11", "cb-1", "cb-9", "hv-1"]
	count(vs) == 1
}

test_fail_no_helped if {
	ps := [support[0]]
	msgs(t.violation) == {"Cặp [cb-1] của mô hình \"1+1\" m11 có 0 người được giúp đỡ; quy định đúng 1"} with input as input_with(ps)
}

test_fail_third_member_without_role if {
	ps := array.concat(support, [in_pair(member("hv-8", {}), "c2", "member", "cadre_supports_member")])
	msgs(t.violation) == {"Thành viên hv-8 của cặp [cb-1, hv-1, hv-8] không có vai trò người giúp đỡ hay người được giúp đỡ"} with input as input_with(ps)
}

test_fail_component_missing if {
	ps := [object.remove(p, ["component"]) | some p in support]
	msgs(t.violation) == {"Cặp [cb-1, hv-1] của mô hình \"1+1\" m11 chưa ghi nội dung giúp đỡ (component)"} with input as input_with(ps)
}

test_fail_components_conflict if {
	ps := [support[0], in_pair(member("hv-1", {"hardship": true}), "c2", "helped", "member_recruits_woman")]
	msgs(t.violation) == {"Cặp [cb-1, hv-1] của mô hình \"1+1\" m11 ghi nhiều nội dung khác nhau: cadre_supports_member, member_recruits_woman"} with input as input_with(ps)
}

test_fail_twinning_helper_not_better if {
	ps := [
		in_pair(branch("chi-1", "good"), "c1", "helper", "branch_twinning"),
		in_pair(branch("chi-2", "good"), "c1", "helped", "branch_twinning"),
	]
	vs := t.violation with input as input_with(ps)
	vs == {{
		"msg": "Cặp [Chi hội Đơn vị chi-1, Chi hội Đơn vị chi-2] (chi hội mạnh giúp chi hội yếu): xếp loại gần nhất của bên giúp đỡ Chi hội Đơn vị chi-1 (Vững mạnh, năm 2022) không cao hơn bên được giúp đỡ Chi hội Đơn vị chi-2 (Vững mạnh, năm 2022)",
		"refs": ["m11", "chi-1", "chi-2"],
		"details": {"helper_rating": "good", "helped_rating": "good"},
	}}
}

test_fail_twinning_reversed if {
	ps := [
		in_pair(branch("chi-1", "fair"), "c1", "helper", "branch_twinning"),
		in_pair(branch("chi-2", "excellent"), "c1", "helped", "branch_twinning"),
	]
	count(t.violation) == 1 with input as input_with(ps)
}

test_fail_twinning_helped_unrated if {
	ps := [
		in_pair(branch("chi-1", "excellent"), "c1", "helper", "branch_twinning"),
		in_pair(f.unit_participant("chi-2", "branch", [], "xa"), "c1", "helped", "branch_twinning"),
	]
	msgs(t.violation) == {"Cặp [Chi hội Đơn vị chi-1, Chi hội Đơn vị chi-2] (chi hội mạnh giúp chi hội yếu): bên được giúp đỡ Chi hội Đơn vị chi-2 chưa có xếp loại"} with input as input_with(ps)
}

test_fail_twinning_with_a_group if {
	ps := [
		in_pair(branch("chi-1", "excellent"), "c1", "helper", "branch_twinning"),
		in_pair(f.unit_participant("to-1", "group", [f.rating(2023, "weak", {})], "xa"), "c1", "helped", "branch_twinning"),
	]
	msgs(t.violation) == {"Cặp [Chi hội Đơn vị chi-1, Tổ phụ nữ Đơn vị to-1] (chi hội mạnh giúp chi hội yếu): bên được giúp đỡ Tổ phụ nữ Đơn vị to-1 không phải chi hội"} with input as input_with(ps)
}

test_fail_support_member_without_hardship if {
	ps := [support[0], in_pair(member("hv-1", {"hardship": false}), "c2", "helped", "cadre_supports_member")]
	vs := t.violation with input as input_with(ps)
	vs == {{
		"msg": "Cặp [cb-1, hv-1] (cán bộ giúp hội viên khó khăn): người được giúp đỡ hv-1 không phải hội viên có hoàn cảnh khó khăn được ghi nhận",
		"refs": ["m11", "hv-1"],
	}}
}

test_fail_support_hardship_not_recorded if {
	ps := [support[0], in_pair(member("hv-1", {}), "c2", "helped", "cadre_supports_member")]
	count(t.violation) == 1 with input as input_with(ps)
}

test_fail_support_helped_is_person if {
	ps := [support[0], in_pair(f.person_participant("pn-1"), "c2", "helped", "cadre_supports_member")]
	count(t.violation) == 1 with input as input_with(ps)
}

test_fail_recruit_helper_not_member if {
	ps := [in_pair(f.person_participant("pn-3"), "c3", "helper", "member_recruits_woman"), recruit[1]]
	msgs(t.violation) == {"Cặp [người tham gia thứ 1 (không phải hội viên), người tham gia thứ 2 (không phải hội viên)] (hội viên vận động phụ nữ vào hội): người vận động người tham gia thứ 1 (không phải hội viên) không phải hội viên"} with input as input_with(ps)
}

test_fail_recruit_joined_before_launch if {
	ps := [recruit[2], in_pair(member("hv-4", {"joined_on": "2023-03-07"}), "c4", "helped", "member_recruits_woman")]
	msgs(t.violation) == {"Cặp [hv-3, hv-4] (hội viên vận động phụ nữ vào hội): người được vận động hv-4 không phải phụ nữ chưa vào hội, cũng không phải hội viên vào hội từ ngày ra mắt mô hình (08/03/2023; ngày vào hội: 07/03/2023)"} with input as input_with(ps)
}

test_fail_recruit_join_date_unknown if {
	ps := [recruit[2], in_pair(member("hv-4", {}), "c4", "helped", "member_recruits_woman")]
	msgs(t.violation) == {"Cặp [hv-3, hv-4] (hội viên vận động phụ nữ vào hội): người được vận động hv-4 không phải phụ nữ chưa vào hội, cũng không phải hội viên vào hội từ ngày ra mắt mô hình (08/03/2023; ngày vào hội: chưa ghi)"} with input as input_with(ps)
}

test_fail_mentor_not_party_member if {
	ps := [in_pair(cadre("cb-8", false), "c6", "helper", "party_mentors_cadre"), mentor[3]]
	msgs(t.violation) == {"Cặp [cb-4, cb-8] (đảng viên kèm cặp cán bộ): người kèm cặp cb-8 không phải đảng viên"} with input as input_with(ps)
}

test_fail_mentor_helped_not_cadre if {
	ps := [mentor[0], in_pair(member("hv-6", {}), "c5", "helped", "party_mentors_cadre")]
	msgs(t.violation) == {"Cặp [hv-5, hv-6] (đảng viên kèm cặp cán bộ): người được kèm cặp hv-6 không phải cán bộ"} with input as input_with(ps)
}

# ---- người giúp đỡ của cadre_supports_member ----------------------------------

test_pass_support_helper_member_not_in_hardship if {
	every m in [{"hardship": false}, {}] {
		ps := [in_pair(member("hv-7", m), "c2", "helper", "cadre_supports_member"), support[1]]
		count(t.violation) == 0 with input as input_with(ps)
	}
}

test_fail_support_helper_is_branch if {
	ps := [in_pair(branch("chi-1", "excellent"), "c2", "helper", "cadre_supports_member"), support[1]]
	vs := t.violation with input as input_with(ps)
	vs == {{
		"msg": "Cặp [Chi hội Đơn vị chi-1, hv-1] (cán bộ giúp hội viên khó khăn): người giúp đỡ Chi hội Đơn vị chi-1 không phải cán bộ hay hội viên",
		"refs": ["m11", "chi-1"],
	}}
}

test_fail_support_helper_is_person if {
	ps := [in_pair(f.person_participant("pn-4"), "c2", "helper", "cadre_supports_member"), support[1]]
	msgs(t.violation) == {"Cặp [hv-1, người tham gia thứ 1 (không phải hội viên)] (cán bộ giúp hội viên khó khăn): người giúp đỡ người tham gia thứ 1 (không phải hội viên) không phải cán bộ hay hội viên"} with input as input_with(ps)
}

# Cán bộ hay hội viên có id không tra được (không có bản ghi cadre, member).
test_fail_support_helper_unresolved if {
	ps := [in_pair(object.remove(cadre("cb-7", false), ["cadre"]), "c2", "helper", "cadre_supports_member"), support[1]]
	msgs(t.violation) == {"Cặp [hv-1, người tham gia thứ 1 (mã cán bộ không tra được)] (cán bộ giúp hội viên khó khăn): người giúp đỡ người tham gia thứ 1 (mã cán bộ không tra được) không phải cán bộ hay hội viên"} with input as input_with(ps)
}

test_fail_support_helper_in_hardship if {
	ps := [in_pair(member("hv-7", {"hardship": true}), "c2", "helper", "cadre_supports_member"), support[1]]
	vs := t.violation with input as input_with(ps)
	vs == {{
		"msg": "Cặp [hv-1, hv-7] (cán bộ giúp hội viên khó khăn): người giúp đỡ hv-7 là hội viên có hoàn cảnh khó khăn; người giúp đỡ phải là cán bộ hoặc hội viên không có hoàn cảnh khó khăn",
		"refs": ["m11", "hv-7"],
	}}
}

# ---- người được kèm cặp của party_mentors_cadre -------------------------------

# mentee(id, role, party): cán bộ có chức vụ role được kèm cặp trong cặp c5.
mentee(id, role, party) := in_pair(
	object.union(f.cadre_participant(id, "chi", role, "good", "xa"), {"cadre": {"party_member": party}}),
	"c5", "helped", "party_mentors_cadre",
)

test_pass_mentor_helped_branch_or_group_cadre if {
	every role in ["branch_head", "branch_deputy", "group_head", "group_deputy"] {
		count(t.violation) == 0 with input as input_with([mentor[0], mentee("cb-5", role, false)])
	}
}

test_pass_mentor_helped_party_member_absent if {
	x := json.remove(mentee("cb-5", "group_head", false), ["cadre/party_member"])
	not x.cadre.party_member
	count(t.violation) == 0 with input as input_with([mentor[0], x])
}

test_fail_mentor_helped_commune_cadre if {
	vs := t.violation with input as input_with([mentor[0], mentee("cb-5", "commune_chair", false)])
	vs == {{
		"msg": "Cặp [cb-5, hv-5] (đảng viên kèm cặp cán bộ): người được kèm cặp cb-5 là chủ tịch cơ sở, không phải cán bộ chi hội hay tổ phụ nữ",
		"refs": ["m11", "cb-5"],
	}}
}

test_fail_mentor_helped_already_party_member if {
	vs := t.violation with input as input_with([mentor[0], mentee("cb-5", "branch_head", true)])
	vs == {{
		"msg": "Cặp [cb-5, hv-5] (đảng viên kèm cặp cán bộ): người được kèm cặp cb-5 đã là đảng viên",
		"refs": ["m11", "cb-5"],
	}}
}

# Người kèm cặp là cán bộ đảng viên, người được kèm cặp là cán bộ cơ sở đã là
# đảng viên: hai vi phạm.
test_fail_mentor_helped_commune_party_member if {
	helper := in_pair(cadre("cb-3", true), "c5", "helper", "party_mentors_cadre")
	msgs(t.violation) == {
		"Cặp [cb-3, cb-5] (đảng viên kèm cặp cán bộ): người được kèm cặp cb-5 là phó chủ tịch cơ sở, không phải cán bộ chi hội hay tổ phụ nữ",
		"Cặp [cb-3, cb-5] (đảng viên kèm cặp cán bộ): người được kèm cặp cb-5 đã là đảng viên",
	} with input as input_with([helper, mentee("cb-5", "commune_vice_chair", true)])
}

# ---- branch twinning judged on the ratings before the launch year (2023) ----

test_boundary_twinning_rating_of_launch_year_is_not_before if {
	ps := [
		in_pair(branch("chi-1", "excellent"), "c1", "helper", "branch_twinning"),
		in_pair(f.unit_participant("chi-2", "branch", [f.rating(2023, "fair", {})], "xa"), "c1", "helped", "branch_twinning"),
	]
	msgs(t.violation) == {"Cặp [Chi hội Đơn vị chi-1, Chi hội Đơn vị chi-2] (chi hội mạnh giúp chi hội yếu): bên được giúp đỡ Chi hội Đơn vị chi-2 chưa có xếp loại"} with input as input_with(ps)
}

test_pass_twinning_improved_pair_reports_improved if {
	now_good := f.unit_participant("chi-2", "branch", [f.rating(2022, "fair", {}), f.rating(2024, "good", {})], "xa")
	ps := [
		in_pair(branch("chi-1", "excellent"), "c1", "helper", "branch_twinning"),
		in_pair(now_good, "c1", "helped", "branch_twinning"),
	]
	count(t.violation) == 0 with input as input_with(ps)
	[w] := [w | some w in t.warning] with input as input_with(ps)
	w.details == {"improved": ["chi-2"]}
	w.msg == "Mô hình \"1+1\" m11: 1 chi hội được giúp đỡ chưa vững mạnh khi ra mắt nay đã vững mạnh (Chi hội Đơn vị chi-2)"
}

test_pass_twinning_not_improved_no_warning if {
	count(t.warning) == 0 with input as input_with(twinning)
	count(t.violation) == 0 with input as input_with(twinning)
}

test_fail_twinning_judged_before_launch_not_now if {
	# Equal before launch (2022): a later rise of the helper does not help.
	ps := [
		in_pair(f.unit_participant("chi-1", "branch", [f.rating(2022, "fair", {}), f.rating(2024, "excellent", {})], "xa"), "c1", "helper", "branch_twinning"),
		in_pair(branch("chi-2", "fair"), "c1", "helped", "branch_twinning"),
	]
	some v in t.violation with input as input_with(ps)
	v.details == {"helper_rating": "fair", "helped_rating": "fair"}
}

# Two branches of one pair that share a name keep their ids apart.
test_namesake_branches_keep_ids if {
	ps := [
		in_pair(object.union(branch("chi-1", "good"), {"unit": {"name": "Thôn Đông"}}), "c1", "helper", "branch_twinning"),
		in_pair(object.union(branch("chi-2", "good"), {"unit": {"name": "Thôn Đông"}}), "c1", "helped", "branch_twinning"),
	]
	msgs(t.violation) == {"Cặp [Chi hội Thôn Đông [chi-1], Chi hội Thôn Đông [chi-2]] (chi hội mạnh giúp chi hội yếu): xếp loại gần nhất của bên giúp đỡ Chi hội Thôn Đông [chi-1] (Vững mạnh, năm 2022) không cao hơn bên được giúp đỡ Chi hội Thôn Đông [chi-2] (Vững mạnh, năm 2022)"} with input as input_with(ps)
}
