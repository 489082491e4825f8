package sample

import (
	"math/rand/v2"
	"time"

	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// rate draws the ratings of communes, branches and groups for the two years
// before asOf; a few are missing (TB-10 finds them).
func (w *world) rate() {
	r := newRand(w.seed, 4)
	w.rating = make([]unitRating, len(w.units))
	for ui, u := range w.units {
		if u.commune < 0 {
			continue
		}
		for y := range 2 {
			miss := 0.03
			if u.level != snapshot.LevelBranch {
				miss = 0.05
			}
			if y == 1 && u.level == snapshot.LevelBranch {
				miss = 0.012
			}
			if r.Float64() < miss {
				continue
			}
			w.setRating(r, ui, y, -1)
		}
	}
}

// setRating sets unit ui's rating of year index y; rank -1 draws one.
func (w *world) setRating(r *rand.Rand, ui, y, rank int) {
	if rank < 0 {
		switch p := r.Float64(); {
		case p < 0.2:
			rank = 0
		case p < 0.65:
			rank = 1
		case p < 0.9:
			rank = 2
		default:
			rank = 3
		}
	}
	rt := &w.rating[ui]
	rt.has[y] = true
	rt.rank[y] = int8(rank)
	rt.score[y] = float32(95-rank*15) - float32(r.IntN(100))/10
	for f := range 4 {
		rt.strong[y][f] = r.Float64() < [4]float64{0.9, 0.7, 0.45, 0.2}[rank]
	}
}

// latestRated makes sure ui has a rating and returns the index of its latest year.
func (w *world) latestRated(r *rand.Rand, ui int) int {
	y := w.rating[ui].latest()
	if y < 0 {
		w.setRating(r, ui, 1, -1)
		y = 1
	}
	return y
}

// judgedRated returns the index of the rating year a model launched on
// launched is judged on (TB-07, TB-08 branch twinning: the year before the
// launch year), making sure ui is rated that year. The model must be
// launched in one of the two years after the rated ones (see pastLaunch).
func (w *world) judgedRated(r *rand.Rand, ui int, launched time.Time) int {
	y := min(1, max(0, launched.Year()-1-(w.asOf.Year()-2)))
	if !w.rating[ui].has[y] {
		w.setRating(r, ui, y, -1)
	}
	return y
}

// pastLaunch moves the launch of model mi one year later when it falls in
// the first rated year, so that a year before the launch is rated (the
// judgement of TB-07 and TB-08 branch twinning).
func (w *world) pastLaunch(mi int) {
	if m := &w.models[mi]; m.launched.Year() <= w.asOf.Year()-2 {
		m.launched = m.launched.AddDate(1, 0, 0)
	}
}

// improves says whether a well-formed pair or group of model mi shows an
// improved weaker unit (rated strong in the latest rated year): about one in
// three models launched in that year (judged on the year before), chosen without the random stream so that
// the rest of the sample stays as it was.
func (w *world) improves(mi int) bool {
	return w.models[mi].launched.Year() == w.asOf.Year()-1 && mi%3 == 0
}
