// Package sample writes synthetic snapshots in the format of
// docs/snapshot-format.md, for trying the tool, for tests and for benchmarks.
//
// # Profiles
//
//   - thai-binh-2024: the Thái Bình provincial union on 30/09/2024, as the
//     source article describes it: 8 district-level units
//     (TP Thái Bình, Đông Hưng, Hưng Hà, Kiến Xương, Quỳnh Phụ, Thái Thụy,
//     Tiền Hải, Vũ Thư), 242 communes (Vũ Thư 30), 1,797 branches (Thái
//     Thụy 254), 2-5 women's groups per branch, about 360,000 members,
//     cadres, ratings for 2022 and 2023, twelve months of activities and
//     models. A report on it shows every figure of the article: TB-01
//     passes for 104 communes with 376 active "1+1" models, TB-02 for 98
//     with 443 active "3 có, 3 biết" models; in Thái Thụy TB-05 passes for
//     254/254 branches and TB-04 for 184/254; in Vũ Thư 22 of 30 communes
//     have both models, 294 models of the two kinds; 230 cadres_progress
//     groups in 148 communes; 169 accompany groups in 94 communes. About
//     one cadres_progress, accompany or "1+1" model in ten breaks its rule
//     (TB-06, TB-07, TB-08), a few branches lack a rating (TB-10) or an
//     activity (TB-09).
//   - hung-yen-2026: the same territory on 30/09/2026, after the 2025
//     reform: no district level, the 242 communes merged into 65 directly
//     under the province hung-yen, branches kept (same ids) under their new
//     commune, and a lineage table (old commune, district and province ->
//     new unit, effective 2025-07-01). Models follow a generic realistic mix.
//   - hung-yen-2025-06 and hung-yen-2025-09: one provincial union (name
//     hung-yen) the day before and three months after the merger of 1 July
//     2025, built from the same Thái Bình territory. Before: province 34,
//     8 districts, 242 communes. After: province 33 with 104 communes
//     directly under it, no district; each new commune reuses the code of
//     its first predecessor, the old communes, districts and province are
//     kept as history versions (valid_to 2025-06-30), lineage has every
//     kind (merge, split with shares, rename, move) and the communes'
//     ratings of 2023 and 2024 are on the old communes' codes. Run both
//     into one --out: the second run's delta lists merged findings. See
//     merger.go.
//   - national: Vietnam on 30/09/2024 with 63 provinces and their
//     districts, about 10,600 communes, 140,000 branches and 19.9 million
//     members at Scale 1. Scale multiplies the number of communes (tiny
//     scales keep fewer provinces).
//   - national with Reform: the same territory (same Scale and Seed, same
//     ids) on 30/09/2025, after the reform, as a versioned export like
//     hung-yen-2025-09: the 34 provinces of the reform under the state's
//     codes (01 Hà Nội ... 96 Cà Mau), each formed from the old provinces
//     the reform merged into it, with the real number of communes scaled
//     (3,321 at Scale 1) directly under it; each new commune is a run of
//     old communes of one old province and reuses the code of its first;
//     the old provinces, districts and communes are history versions
//     (valid_to 2025-06-30); lineage links every old unit to its successor
//     (merge, split with shares, rename, move); branches and groups keep
//     their ids and members; the old communes' ratings of 2023 and 2024
//     stay on their codes. Run national then national with Reform into one
//     --out: the second run's delta lists merged findings. See reform.go.
//
// Members carry ids only (no names, no phone numbers): a clean sample has
// no data-quality finding at all. members.needs holds a short text for most
// members, as exports do; the loaders keep only whether it was recorded.
//
// # Formats
//
// Format "csv" (default) writes UTF-8 CSV with a header; "parquet" writes
// typed columns (string, bool, date32, int64, float64, list<string> for
// cadres.strong_fields) in row groups of 65,536 rows; "xlsx" streams one
// sheet per file with excelize (at most 1,048,575 rows: national samples
// above a small scale do not fit and Write says so). Members are generated
// from their index and written in batches: memory does not grow with the
// number of members.
//
// # Defects
//
// Defects > 0 injects, in about that share of rows, the errors the loaders
// must report: DQ002 duplicate ids, DQ003 unknown references, DQ004 a cycle,
// DQ005 a branch under a branch, DQ006 unknown enum values, DQ007 bad dates,
// booleans, years and months, DQ008 NFD text, DQ009 an extra column
// (units.ghi_chu), DQ010 rows with a missing (CSV) or extra (XLSX) field.
// Each of them appears at least once. DQ001 is never injected (it would stop
// every run) and Parquet cannot carry DQ010. With defects, Parquet columns
// are all strings, as a careless export would write them, so that bad
// values can be written at all. Summary.Defects counts what was injected.
//
// # Determinism
//
// The same Options give the same bytes: every draw comes from math/rand/v2
// PCG streams seeded with Seed (members from a splitmix64 hash of Seed and
// their index), nothing depends on map order, and the Parquet and XLSX
// writers store no timestamps.
//
// # What lives where
//
//   - sample.go: Options, the profiles and formats, Write, FS and ParseURL.
//   - world.go: the world a profile builds (units, cadres, ratings, models,
//     participants; members derived from their index), its random streams.
//   - gen.go: build (a profile's world, step by step) and the cadres.
//   - territory.go: the territories of thai-binh-2024, hung-yen-2026 and
//     national (its 63 provinces); names.go: the names of districts,
//     communes and units.
//   - merger.go: the Hưng Yên merger of 1 July 2025, and the succession of
//     old communes (history, lineage, branches) that reform.go shares.
//   - reform.go: the national reform (34 provinces).
//   - ratings.go: the ratings of communes, branches and groups.
//   - planner.go: the planner of models (where, when, who takes part).
//   - models.go: the models of each kind, and the two plans (thai-binh-2024
//     and the generic mix).
//   - members.go: a member from its index.
//   - write.go, parquet.go, xlsx.go: the table files in each format.
//   - defects.go: the data-quality errors that Defects injects.
//
// # Example
//
//	sum, err := sample.Write(ctx, "./snap", sample.Options{Profile: "thai-binh-2024", Seed: 1})
//	// ./snap/snapshot.yaml, units.csv, members.csv, ...
//
//	opts, ok, err := sample.ParseURL("sample://national?scale=0.01&seed=2")
//	if ok && err == nil {
//		fsys, err := sample.FS(ctx, opts) // Parquet in memory, for loaders.LoadFS
//	}
package sample
