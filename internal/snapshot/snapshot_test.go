package snapshot

import (
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/google/go-cmp/cmp"
)

func TestSchemasFollowTheSpec(t *testing.T) {
	for _, tb := range Tables() {
		t.Run(string(tb), func(t *testing.T) {
			s := Schema(tb)
			if s == nil {
				t.Fatal("no schema")
			}
			var want, got []string
			for _, c := range Columns(tb) {
				name := c.Name
				if tb == Members && name == "needs" {
					name = "needs_recorded" // the text is never loaded
				}
				want = append(want, name)
			}
			for _, f := range s.Fields() {
				got = append(got, f.Name)
				if f.Name == "needs" {
					t.Errorf("%s keeps the needs text column", tb)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
			for i, c := range Columns(tb) {
				if f := s.Field(i); f.Nullable == c.Required && f.Name != "needs_recorded" {
					t.Errorf("%s: nullable = %v for required = %v", f.Name, f.Nullable, c.Required)
				}
				if c.Kind == KindEnum {
					if len(EnumValues(c.Enum)) == 0 {
						t.Errorf("%s: enum %q has no values", c.Name, c.Enum)
					}
				}
			}
		})
	}
	for _, name := range []string{"unit_id", "special_group"} {
		f, _ := Schema(Members).FieldsByName(name)
		if len(f) != 1 || f[0].Type.ID() != arrow.DICTIONARY {
			t.Errorf("members.%s is not dictionary-encoded: %v", name, f)
		}
	}
}

func TestStringsReadsPlainAndDictionaryColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"a", "b"}, nil)
	sb.AppendNull()
	plain := sb.NewArray()
	sb.Release()
	defer plain.Release()

	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	for _, v := range []string{"a", "b"} {
		if err := db.AppendString(v); err != nil {
			t.Fatal(err)
		}
	}
	db.AppendNull()
	dict := db.NewArray()
	db.Release()
	defer dict.Release()

	for name, a := range map[string]arrow.Array{"plain": plain, "dictionary": dict} {
		s := Strings(a)
		var got []string
		for i := 0; i < s.Len(); i++ {
			if s.IsNull(i) {
				got = append(got, "<null>")
				continue
			}
			got = append(got, s.Value(i))
		}
		if diff := cmp.Diff([]string{"a", "b", "<null>"}, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestEnumsAndRanks(t *testing.T) {
	cases := []struct {
		name      string
		got, want any
	}{
		{"fatal", SeverityOf(DQManifest), SeverityFatal},
		{"warning NFC", SeverityOf(DQNormalised), SeverityWarning},
		{"warning ignored", SeverityOf(DQIgnored), SeverityWarning},
		{"error", SeverityOf(DQCycle), SeverityError},
		{"excellent first", RatingRank("excellent"), 0},
		{"weak last", RatingRank("weak"), 3},
		{"unknown rating", RatingRank("xuất sắc"), -1},
		{"province top", LevelProvince.Rank(), 0},
		{"group bottom", LevelGroup.Rank(), 4},
		{"unknown level", Level("thôn").Rank(), -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

// The lists of the model are copies: a caller that changes one changes
// nothing for the next.
func TestListsAreCopies(t *testing.T) {
	Tables()[0] = "x"
	Levels()[0] = "x"
	Columns(Units)[0].Name = "x"
	EnumValues("ratings.rating")[0] = "x"
	f := Fields()
	f[0] = "x"
	if Tables()[0] != Units || Levels()[0] != LevelProvince || Columns(Units)[0].Name != "unit_id" ||
		EnumValues("ratings.rating")[0] != "excellent" || Fields()[0] != "propaganda" || RatingRank("excellent") != 0 {
		t.Errorf("a change to a returned list reached the model: %v %v %v %v %v",
			Tables()[0], Levels()[0], Columns(Units)[0].Name, EnumValues("ratings.rating")[0], Fields()[0])
	}
	if !IsField("family") || IsField("rating") {
		t.Errorf("IsField(family) = %v, IsField(rating) = %v", IsField("family"), IsField("rating"))
	}
	if EnumValues("units.nope") != nil || Columns("nope") != nil {
		t.Error("an unknown key has values")
	}
}

func TestFindingError(t *testing.T) {
	f := Finding{Code: DQManifest, File: "units.csv", Row: 12, Column: "parent_id", Message: "missing"}
	if got, want := f.Error(), "DQ001 units.csv:12 column parent_id: missing"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
