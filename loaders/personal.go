package loaders

import "github.com/vungmanh/vungmanh/internal/snapshot"

// personal reports whether the rows of t describe people: members, cadres
// and the participants of models (a participant of kind person is a woman
// who is not a member, known only by whatever id the province gives her).
// Exports of these tables carry names and phone numbers, and a shifted or
// mistyped row can put them in any column, ids included. So a finding about
// such a table never quotes a cell: its Value is empty and its Message says
// what is wrong ("not a yes/no value", "the unit id is not in the units
// table") without repeating the text. File, Row, Column and Code still
// locate the cell.
func personal(t snapshot.Table) bool {
	switch t {
	case snapshot.Members, snapshot.Cadres, snapshot.Participants:
		return true
	}
	return false
}

// quote returns the value a finding about table t may carry: "" for the
// tables of people, v (clipped) otherwise.
func quote(t snapshot.Table, v string) string {
	if personal(t) {
		return ""
	}
	return clip(v)
}

// ref names a referenced id in a message: "unit xa-1", or "unit id" for the
// tables of people.
func ref(t snapshot.Table, noun, id string) string {
	if personal(t) {
		return noun + " id"
	}
	return noun + " " + clip(id)
}
