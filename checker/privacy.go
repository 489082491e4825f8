package checker

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/topdown"
)

// Redacted replaces, in what a target returns, every value the snapshot
// holds about a person who is not a known member or cadre (see redactor).
const Redacted = "***"

// redactor keeps out of results the snapshot values that may name a
// person: the participant_id of a participant that does not resolve to a
// unit, a cadre or a member of the snapshot (kind person, or an id the
// tables do not hold: real exports put a name or a phone number there),
// and every pair label (free text). A value that is also a known id (of a
// unit, model, cadre, or a member who takes part in a model) is not
// private: it names no one the report may not name.
//
// The rule the contract supports (docs/policy-input.md: refs are "ids
// involved"; domain.md: reports name people by member or cadre id only):
//   - a ref equal to a private value becomes Redacted;
//   - in a message (msg), a string of details, a skip reason, an error text
//     and a ref, every occurrence of a private value that stands on word
//     boundaries becomes Redacted. Only values of at least 3 characters
//     (7 when all digits) are looked for in text, so that a pair label "1"
//     or "A" does not blank every "1" of a message: such short values
//     name no one.
//
// Its sets are built once with the index and read concurrently.
type redactor struct {
	exact map[string]struct{} // every private value, for refs
	text  map[string]struct{} // the cores (trimmed to word characters) looked for in text
	first map[string]struct{} // the first word of every core: the cheap test of each word of a text
	max   int                 // the length in bytes of the longest core
}

// word reports whether r belongs to a word: letters (with Vietnamese
// marks), digits, '-' and '_'. A private value is found in a text only
// where it starts and ends a word, so that "P-01" is not found in "M-P-01".
func word(r rune) bool { return wordBMP().has(r) }

// isWord is word without the table.
func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '-' || r == '_'
}

// wordTable is isWord for every rune of the Basic Multilingual Plane, a
// bit each (8 KiB): scrub asks it of every rune of every message, and
// Vietnamese letters lie beyond Latin-1, where the unicode package
// searches its tables.
type wordTable [1 << 10]uint64

// wordBMP is the table, built at the first call.
var wordBMP = sync.OnceValue(func() *wordTable {
	var t wordTable
	for r := rune(0); r < 1<<16; r++ {
		if isWord(r) {
			t[r>>6] |= 1 << (r & 63)
		}
	}
	return &t
})

// has is word(r).
func (t *wordTable) has(r rune) bool {
	if uint32(r) < 1<<16 {
		return t[r>>6]&(1<<(r&63)) != 0
	}
	return isWord(r)
}

// firstWord is the first word of s (s starts with a word character).
func (t *wordTable) firstWord(s string) string {
	for i, r := range s {
		if !t.has(r) {
			return s[:i]
		}
	}
	return s
}

// firstWord is the first word of s (s starts with a word character).
func firstWord(s string) string { return wordBMP().firstWord(s) }

// core is v without the non-word characters at both ends, and whether it is
// long enough to be looked for in text.
func core(v string) (string, bool) {
	c := strings.TrimFunc(v, func(r rune) bool { return !word(r) })
	n := utf8.RuneCountInString(c)
	digits := strings.IndexFunc(c, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
	return c, n >= 3 && (!digits || n >= 7)
}

// buildRedactor collects the private values of the participants (after
// finishModels: memberRec holds the members found).
func (x *index) buildRedactor() {
	r := &redactor{exact: map[string]struct{}{}, text: map[string]struct{}{}, first: map[string]struct{}{}}
	known := func(id string) bool {
		if _, ok := x.unitByID[id]; ok {
			return true
		}
		if _, ok := x.modelByID[id]; ok {
			return true
		}
		if _, ok := x.cadreOf(id); ok {
			return true
		}
		return x.memberRec[id] != nil
	}
	add := func(v string) {
		if v == "" || known(v) {
			return
		}
		if _, ok := r.exact[v]; ok {
			return
		}
		r.exact[v] = struct{}{}
		if c, ok := core(v); ok {
			r.text[c] = struct{}{}
			r.first[firstWord(c)] = struct{}{}
			r.max = max(r.max, len(c))
		}
	}
	for _, parts := range x.modelParts {
		for _, p := range parts {
			if p.hasPair {
				add(p.pair)
			}
			resolved := false
			switch p.kind {
			case "unit":
				_, resolved = x.unitByID[p.id]
			case "cadre":
				_, resolved = x.cadreOf(p.id)
			case "member":
				resolved = x.memberRec[p.id] != nil
			}
			if !resolved {
				add(p.id)
			}
		}
	}
	x.redact = r
}

// scrub returns s with every private value that stands on word boundaries
// replaced by Redacted; s itself when it holds none (no allocation).
func (r *redactor) scrub(s string) string {
	if r == nil || len(r.text) == 0 {
		return s
	}
	t := wordBMP()
	var b *strings.Builder
	done := 0 // s[:done] is in b
	prevWord := false
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if !t.has(c) {
			prevWord = false
			i += size
			continue
		}
		if prevWord {
			i += size
			continue
		}
		// A word starts at i.
		w := t.firstWord(s[i:])
		end := -1
		if _, ok := r.first[w]; ok {
			// The longest private value that starts here and ends a word.
			for j := i + len(w); j <= len(s) && j-i <= r.max; {
				if _, ok := r.text[s[i:j]]; ok {
					end = j
				}
				// On to the end of the next word.
				k := j
				for k < len(s) {
					c, n := utf8.DecodeRuneInString(s[k:])
					if t.has(c) {
						break
					}
					k += n
				}
				if k == len(s) {
					break
				}
				j = k + len(t.firstWord(s[k:]))
			}
		}
		if end < 0 {
			i += len(w)
			prevWord = true
			continue
		}
		if b == nil {
			b = &strings.Builder{}
			b.Grow(len(s))
		}
		b.WriteString(s[done:i])
		b.WriteString(Redacted)
		done, i, prevWord = end, end, true
	}
	if b == nil {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// ref is scrub for one ref: a private value as a whole is Redacted.
func (r *redactor) ref(s string) string {
	if r == nil {
		return s
	}
	if _, ok := r.exact[s]; ok {
		return Redacted
	}
	return r.scrub(s)
}

// value scrubs the strings of a JSON-like value (details), keys included.
// A map or list none of whose strings change is returned as it is, not
// copied: most details are counts (national scale: about 180,000 maps of
// numbers that a copy would double).
func (r *redactor) value(v any) any {
	out, _ := r.scrubValue(v)
	return out
}

// scrubValue is value, and whether a string of v changed (then out is a
// new map or list and v is untouched).
func (r *redactor) scrubValue(v any) (out any, changed bool) {
	switch x := v.(type) {
	case string:
		s := r.scrub(x)
		return s, s != x
	case map[string]any:
		for k, e := range x {
			if _, ch := r.scrubValue(e); ch || r.scrub(k) != k {
				m := make(map[string]any, len(x))
				for k, e := range x {
					m[r.scrub(k)], _ = r.scrubValue(e)
				}
				return m, true
			}
		}
		return x, false
	case []any:
		var l []any
		for i, e := range x {
			se, ch := r.scrubValue(e)
			if l == nil && ch {
				l = slices.Clone(x)
			}
			if l != nil {
				l[i] = se
			}
		}
		if l == nil {
			return x, false
		}
		return l, true
	}
	return v, false
}

// result scrubs what the target returned for one subject: messages, refs,
// details, the skip reason and the error text.
func (r *redactor) result(res *Result) {
	if r == nil || len(r.exact) == 0 {
		return
	}
	for _, vs := range [][]Violation{res.Violations, res.Warnings} {
		for i := range vs {
			v := &vs[i]
			v.Msg = r.scrub(v.Msg)
			for k, ref := range v.Refs {
				v.Refs[k] = r.ref(ref)
			}
			if len(v.Details) > 0 {
				v.Details, _ = r.value(v.Details).(map[string]any)
			}
		}
	}
	res.SkipReason = r.scrub(res.SkipReason)
	if res.Error != nil {
		e := r.scrub(*res.Error)
		res.Error = &e
	}
}

var (
	// fixedText is an OPA message made of fixed words only ("complete
	// rules must not produce multiple outputs"): it quotes no value.
	fixedText = regexp.MustCompile(`^[a-z][a-z ,()]*$`)
	// builtinName is the name of a builtin or function at the start of a
	// message ("to_number: ...").
	builtinName = regexp.MustCompile(`^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*): `)
	// conflictText is OPA's conflict of a rule or a function, which names
	// the rule from the policy's source, no value of the input.
	conflictText = regexp.MustCompile(`^(rule|function) \S+ produced conflicting values( for the same inputs)?$`)
	// typeText is a type error that names types only ("object.get: operand
	// 1 must be object but got string").
	typeText = regexp.MustCompile(`^[a-z0-9_.]+: operand \d+ must be [a-z ]+ but got [a-z]+$`)
	// boundText is the refusal of a range larger than MaxRangeNumbers
	// (memory.go): counts only.
	boundText = regexp.MustCompile(`^numbers\.range(_step)?: the range has \d+ numbers, more than the \d+ a call may make \(a bound on a policy's memory\)$`)
)

// errorText is the text of an evaluation error as a result shows it: for
// OPA's errors the location, the code and, where the message could quote a
// value of the input (a builtin's error: `to_number: strconv.ParseFloat:
// parsing "<a name and a phone>"`), only the builtin's name. Messages of
// fixed words (conflicts, cancellation) and type errors that name types only
// are kept whole.
func errorText(err error) string {
	var te *topdown.Error
	if !errors.As(err, &te) {
		return err.Error()
	}
	msg := te.Message
	switch {
	case fixedText.MatchString(msg), conflictText.MatchString(msg), typeText.MatchString(msg), boundText.MatchString(msg):
	default:
		if m := builtinName.FindStringSubmatch(msg); m != nil {
			msg = m[1] + ": the operand's value is not shown (it may hold personal data)"
		} else {
			msg = "the message is not shown (it may hold personal data)"
		}
	}
	// As topdown.Error's own text: "file:row: code: message".
	return (&topdown.Error{Code: te.Code, Message: msg, Location: te.Location}).Error()
}
