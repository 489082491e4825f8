package checker

import (
	"maps"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Label is the Vietnamese and English label of a canonical enum value.
type Label struct {
	Vi string `json:"vi"`
	En string `json:"en"`
}

// Vocab returns a copy of the vocabulary: "table.column" (the keys of
// snapshot.EnumValues) to each canonical value and its labels. Policies read it
// as data.vocab, e.g.
// data.vocab["models.type"].one_plus_one.vi == "Mô hình \"1+1\"".
func Vocab() map[string]map[string]Label {
	out := make(map[string]map[string]Label, len(vocab))
	for k, labels := range vocab {
		out[k] = maps.Clone(labels)
	}
	return out
}

var vocab = map[string]map[string]Label{
	"units.level": {
		"province": {"Tỉnh", "Province"},
		"district": {"Huyện / thành phố", "District"},
		"commune":  {"Cơ sở hội (xã / phường / thị trấn)", "Commune union"},
		"branch":   {"Chi hội", "Branch"},
		"group":    {"Tổ phụ nữ", "Women's group"},
	},
	"cadres.role": {
		"commune_chair":      {"Chủ tịch Hội cơ sở", "Commune union chair"},
		"commune_vice_chair": {"Phó Chủ tịch Hội cơ sở", "Commune union vice-chair"},
		"commune_standing":   {"Ủy viên Ban Thường vụ", "Standing committee member"},
		"branch_head":        {"Chi hội trưởng", "Branch head"},
		"branch_deputy":      {"Chi hội phó", "Branch deputy"},
		"group_head":         {"Tổ trưởng tổ phụ nữ", "Group head"},
		"group_deputy":       {"Tổ phó tổ phụ nữ", "Group deputy"},
	},
	"cadres.competence": {
		"good":         {"Tốt", "Good"},
		"not_yet_good": {"Chưa tốt", "Not yet good"},
	},
	"cadres.strong_fields": fieldLabels,
	"models.type": {
		"one_plus_one":          {"Mô hình \"1+1\"", "\"1+1\" model"},
		"three_has_three_knows": {"Mô hình \"3 có, 3 biết\"", "\"3 haves, 3 knows\" model"},
		"special_members":       {"Mô hình thu hút hội viên đặc thù", "Special member groups model"},
		"cadres_progress":       {"Nhóm cán bộ chi, tổ phụ nữ cùng tiến", "Cadres progressing together"},
		"accompany":             {"Chi, tổ phụ nữ đồng hành vượt khó", "Overcoming difficulties together"},
		"other":                 {"Mô hình khác", "Other model"},
	},
	"models.status": {
		"active":   {"Đang hoạt động", "Active"},
		"inactive": {"Ngừng hoạt động", "Inactive"},
	},
	"models.field": fieldLabels,
	"participants.kind": {
		"unit":   {"Đơn vị", "Unit"},
		"cadre":  {"Cán bộ", "Cadre"},
		"member": {"Hội viên", "Member"},
		"person": {"Phụ nữ chưa là hội viên", "Woman not (yet) a member"},
	},
	"participants.role": {
		"helper": {"Giúp đỡ", "Helper"},
		"helped": {"Được giúp đỡ", "Helped"},
		"member": {"Thành viên", "Member"},
	},
	"participants.component": {
		"branch_twinning":       {"1 chi hội mạnh giúp 1 chi hội yếu", "Branch twinning"},
		"member_recruits_woman": {"1 hội viên vận động 1 phụ nữ vào Hội", "Member recruits a woman"},
		"cadre_supports_member": {"1 cán bộ hỗ trợ 1 hội viên khó khăn", "Cadre supports a member in hardship"},
		"party_mentors_cadre":   {"1 đảng viên dìu dắt 1 cán bộ", "Party member mentors a cadre"},
	},
	"ratings.rating": {
		"excellent": {"Xuất sắc", "Excellent"},
		"good":      {"Vững mạnh", "Good"},
		"fair":      {"Khá", "Fair"},
		"weak":      {"Trung bình", "Weak"},
	},
	"ratings.propaganda": strongLabels,
	"ratings.family":     strongLabels,
	"ratings.economy":    strongLabels,
	"ratings.membership": strongLabels,
}

var fieldLabels = map[string]Label{
	"propaganda": {"Tuyên truyền", "Propaganda"},
	"family":     {"Hỗ trợ xây dựng gia đình hạnh phúc", "Family"},
	"economy":    {"Hỗ trợ phát triển kinh tế", "Economy"},
	"membership": {"Quản lý, tập hợp hội viên", "Membership"},
}

var strongLabels = map[string]Label{
	"strong":     {"Mạnh", "Strong"},
	"not_strong": {"Chưa mạnh", "Not yet strong"},
}

func enumValues(key string) []string { return snapshot.EnumValues(key) }

// vocabData is the vocabulary as plain JSON-like data for the store.
func vocabData() map[string]any {
	out := map[string]any{}
	for k, vs := range vocab {
		m := map[string]any{}
		for v, l := range vs {
			m[v] = map[string]any{"vi": l.Vi, "en": l.En}
		}
		out[k] = m
	}
	return out
}
