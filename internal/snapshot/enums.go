package snapshot

import "slices"

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

// levels lists the levels top first (Levels returns a copy).
var levels = []Level{LevelProvince, LevelDistrict, LevelCommune, LevelBranch, LevelGroup}

// Levels returns the levels top first, a new slice at each call.
func Levels() []Level { return slices.Clone(levels) }

// Rank orders levels: province 0 ... group 4; -1 when unknown.
func (l Level) Rank() int { return slices.Index(levels, l) }

// enums lists, per "table.column", the canonical values of each enum column
// of docs/snapshot-format.md (EnumValues returns a copy). Values are matched
// case-insensitively after aliases.
var enums = map[string][]string{
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

// EnumValues returns the canonical values of the enum column key
// ("table.column", the Enum of its ColumnSpec) in the spec's order, a new
// slice at each call; nil when key names no enum column.
func EnumValues(key string) []string { return slices.Clone(enums[key]) }

// Fields returns the four fields of work, in the order of the ratings
// table's columns. An array: a copy that costs no allocation, so a loop per
// row may call it.
func Fields() [4]string { return [4]string{"propaganda", "family", "economy", "membership"} }

// IsField reports whether name is one of the four fields of work.
func IsField(name string) bool {
	f := Fields()
	return slices.Contains(f[:], name)
}

// RatingRank orders ratings best first: excellent 0 ... weak 3; -1 when unknown.
func RatingRank(r string) int { return slices.Index(enums["ratings.rating"], r) }
