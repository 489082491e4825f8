package app

import (
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/pflag"
)

// otherEnv lists the VUNGMANH_ variables that are no flag's: the Rego
// engine switch and the variables of the test and bench harness.
var otherEnv = []string{
	"VUNGMANH_REGO_ENGINE", "VUNGMANH_OPA", "VUNGMANH_CHROMIUM",
	"VUNGMANH_ARTIFACTS", "VUNGMANH_BENCH_SNAPSHOT",
}

// unknownEnv returns, for every variable of environ that starts with
// EnvPrefix but names no flag of the flag sets (nor one of otherEnv), its
// name and the nearest known name ("" when none is near): VUNGMANH_FORMAT
// would otherwise be ignored without a word. A command that shares its
// environment with run (merge) passes run's flags too: their variables
// are run's settings, not mistakes.
func unknownEnv(environ []string, sets ...*pflag.FlagSet) [][2]string {
	known := slices.Clone(otherEnv)
	for _, fs := range sets {
		fs.VisitAll(func(f *pflag.Flag) { known = append(known, envName(f.Name)) })
	}
	var out [][2]string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || slices.Contains(known, name) {
			continue
		}
		best, bestD := "", 3
		for _, k := range known {
			if d := editDistance(name, k); d < bestD {
				best, bestD = k, d
			}
		}
		out = append(out, [2]string{name, best})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// warnUnknownEnv logs one warning per unknown VUNGMANH_ variable.
func warnUnknownEnv(log zerolog.Logger, environ []string, sets ...*pflag.FlagSet) {
	for _, u := range unknownEnv(environ, sets...) {
		e := log.Warn().Str("variable", u[0])
		if u[1] != "" {
			e = e.Str("did_you_mean", u[1])
		}
		e.Msg("environment variable ignored: it names no setting of this command")
	}
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
