package snapshot

// Level is a unit's level in the hierarchy.
type Level string

// The levels, top first.
const (
	LevelProvince Level = "province"
	LevelDistrict Level = "district"
	LevelCommune  Level = "commune"
	LevelBranch   Level = "branch"
	LevelGroup    Level = "group"
)

// Levels lists the levels top first.
var Levels = []Level{LevelProvince, LevelDistrict, LevelCommune, LevelBranch, LevelGroup}

// Rank orders levels: province 0 ... group 4; -1 when unknown.
func (l Level) Rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Enums lists, per "table.column", the canonical values of each enum column
// of docs/snapshot-format.md. Values are matched case-insensitively after aliases.
var Enums = map[string][]string{
	"units.level":            {"province", "district", "commune", "branch", "group"},
	"cadres.role":            {"commune_chair", "commune_vice_chair", "commune_standing", "branch_head", "branch_deputy", "group_head", "group_deputy"},
	"cadres.competence":      {"good", "not_yet_good"},
	"cadres.strong_fields":   {"propaganda", "family", "economy", "membership"},
	"models.type":            {"one_plus_one", "three_has_three_knows", "special_members", "cadres_progress", "accompany", "other"},
	"models.status":          {"active", "inactive"},
	"models.field":           {"propaganda", "family", "economy", "membership"},
	"participants.kind":      {"unit", "cadre", "member", "person"},
	"participants.role":      {"helper", "helped", "member"},
	"participants.component": {"branch_twinning", "member_recruits_woman", "cadre_supports_member", "party_mentors_cadre"},
	"ratings.rating":         {"excellent", "good", "fair", "weak"},
	"ratings.propaganda":     {"strong", "not_strong"},
	"ratings.family":         {"strong", "not_strong"},
	"ratings.economy":        {"strong", "not_strong"},
	"ratings.membership":     {"strong", "not_strong"},
	"lineage.kind":           {"merge", "split", "rename", "move"},
}

// Fields are the four fields of work.
var Fields = []string{"propaganda", "family", "economy", "membership"}

// RatingRank orders ratings best first: excellent 0 ... weak 3; -1 when unknown.
func RatingRank(r string) int {
	for i, x := range Enums["ratings.rating"] {
		if x == r {
			return i
		}
	}
	return -1
}
