package loaders

import "sort"

func sortStrings(s []string) { sort.Strings(s) }

func joinList(parts []string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, p...)
	}
	return string(b)
}
