package report

import (
	"encoding/json"
	"time"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Planted personal data: none of these may appear in any output.
const (
	plantedName  = "Nguyễn Thị Bí Mật"
	plantedPhone = "0912345678"
	plantedNeeds = "cần vay vốn chữa bệnh"
)

func strp(s string) *string { return &s }

// fixture is a small Thái Bình-like run: two districts, four communes,
// three targets, every status.
func fixture() Inputs {
	start := time.Date(2024, 9, 30, 19, 0, 0, 0, time.UTC)
	return Inputs{
		RunID:       "20240930T190000Z-abcdef01",
		StartedAt:   start,
		FinishedAt:  start.Add(95 * time.Second),
		ToolVersion: "v0.1.0-test",
		OPAVersion:  "1.22.3",
		Snapshot: SnapshotInfo{Name: "thai-binh", Title: "Hội LHPN tỉnh Thái Bình", AsOf: "2024-09-30",
			SHA256: "5f1b"},
		PoliciesSHA256: "p0",
		Shards:         1,
		Targets: []TargetSummary{
			{ID: "TB-02", Package: "targets.three_has_three_knows", Title: "100% cơ sở hội có mô hình \"3 có, 3 biết\"",
				TitleEn: "Every commune union has a \"3 haves, 3 knows\" model", Scope: "commune", ModelType: "three_has_three_knows",
				Severity: "high", Counts: checker.Counts{Total: 4, Pass: 4},
				ByUnit: []UnitCount{
					{UnitID: "dist-vt", Level: "district", Name: "Vũ Thư", Counts: checker.Counts{Total: 2, Pass: 2}},
					{UnitID: "dist-tt", Level: "district", Name: "Thái Thụy", Counts: checker.Counts{Total: 2, Pass: 2}},
					{UnitID: "tb", Level: "province", Name: "Thái Bình", Counts: checker.Counts{Total: 4, Pass: 4}},
				}},
			{ID: "TB-01", Package: "targets.one_plus_one", Title: "100% cơ sở hội có mô hình \"1+1\"",
				TitleEn: "Every commune union has a \"1+1\" model", Description: "Mô hình 1+1: 1 chi hội mạnh giúp 1 chi hội yếu…",
				Scope: "commune", ModelType: "one_plus_one", Severity: "high", Counts: checker.Counts{Total: 4, Pass: 1, Fail: 2, Waived: 1},
				ByUnit: []UnitCount{
					{UnitID: "tb", Level: "province", Name: "Thái Bình", Counts: checker.Counts{Total: 4, Pass: 1, Fail: 2, Waived: 1}},
					{UnitID: "dist-tt", Level: "district", Name: "Thái Thụy", Counts: checker.Counts{Total: 2, Pass: 1, Fail: 1}},
					{UnitID: "dist-vt", Level: "district", Name: "Vũ Thư", Counts: checker.Counts{Total: 2, Fail: 1, Waived: 1}},
				}},
			{ID: "TB-04", Package: "targets.cadres_progress", Title: "Nhóm cán bộ chi, tổ phụ nữ cùng tiến",
				TitleEn: "Branch and group cadres progressing together", Scope: "model", ModelType: "cadres_progress",
				Severity: "medium", Counts: checker.Counts{Total: 3, Pass: 0, Skipped: 1, Error: 1},
				ByUnit: []UnitCount{
					{UnitID: "tb", Level: "province", Name: "Thái Bình", Counts: checker.Counts{Total: 3, Skipped: 1, Error: 1}},
					{UnitID: "dist-tt", Level: "district", Name: "Thái Thụy", Counts: checker.Counts{Total: 3, Skipped: 1, Error: 1}},
				}},
		},
		Results: []checker.Result{
			{Target: "TB-01", Subject: "xa-tt-2", SubjectLevel: "commune", SubjectName: "Xã Thụy Trường",
				Path: []string{"tb", "dist-tt"}, Status: checker.StatusFail,
				Violations: []checker.Violation{
					{Msg: "chưa có mô hình \"1+1\" đang hoạt động", Refs: []string{"xa-tt-2"},
						Details: map[string]any{"models": 0, "name": plantedName, "nested": map[string]any{"phone": plantedPhone, "ok": 1}}},
					{Msg: "=thiếu nội dung \"1 hội viên vận động 1 phụ nữ\"", Details: map[string]any{"needs": plantedNeeds}},
				}},
			{Target: "TB-01", Subject: "xa-tt-1", SubjectLevel: "commune", SubjectName: "Xã Thụy Hải",
				Path: []string{"tb", "dist-tt"}, Status: checker.StatusPass},
			{Target: "TB-01", Subject: "xa-vt-1", SubjectLevel: "commune", SubjectName: "Xã Tam Quang",
				Path: []string{"tb", "dist-vt"}, Status: checker.StatusFail,
				Violations: []checker.Violation{{Msg: "chưa có mô hình \"1+1\" đang hoạt động"}}},
			{Target: "TB-01", Subject: "xa-vt-2", SubjectLevel: "commune", SubjectName: "Xã Song An",
				Path: []string{"tb", "dist-vt"}, Status: checker.StatusWaived,
				Violations: []checker.Violation{{Msg: "chưa có mô hình \"1+1\" đang hoạt động"}},
				Waiver:     &checker.Waiver{Target: "TB-01", Unit: "xa-vt-2", Reason: "sáp nhập xã năm 2024", Expires: "2024-12-31", ApprovedBy: "Ban Thường vụ"}},
			{Target: "TB-02", Subject: "xa-tt-1", SubjectLevel: "commune", SubjectName: "Xã Thụy Hải", Path: []string{"tb", "dist-tt"}, Status: checker.StatusPass},
			{Target: "TB-02", Subject: "xa-tt-2", SubjectLevel: "commune", SubjectName: "Xã Thụy Trường", Path: []string{"tb", "dist-tt"}, Status: checker.StatusPass},
			{Target: "TB-02", Subject: "xa-vt-1", SubjectLevel: "commune", SubjectName: "Xã Tam Quang", Path: []string{"tb", "dist-vt"}, Status: checker.StatusPass},
			{Target: "TB-02", Subject: "xa-vt-2", SubjectLevel: "commune", SubjectName: "Xã Song An", Path: []string{"tb", "dist-vt"}, Status: checker.StatusPass},
			{Target: "TB-04", Subject: "mh-3", SubjectLevel: "model", SubjectName: "Nhóm cùng tiến số 3",
				Path: []string{"tb", "dist-tt", "xa-tt-1"}, Status: checker.StatusNotEvaluated, SkipReason: "DQ003 on row 12"},
			{Target: "TB-04", Subject: "mh-1", SubjectLevel: "model", SubjectName: "Nhóm cùng tiến số 1",
				Path: []string{"tb", "dist-tt", "xa-tt-1"}, Status: checker.StatusError, Error: strp("eval_conflict_error: complete rules must not produce multiple outputs")},
			{Target: "TB-04", Subject: "mh-2", SubjectLevel: "model", SubjectName: "Nhóm cùng tiến số 2",
				Path: []string{"tb", "dist-tt", "xa-tt-1"}, Status: checker.StatusSkipped, SkipReason: "not a cadre group"},
		},
		Inventory: json.RawMessage(`{"units":{"commune":4,"branch":12},"models":[{"type":"one_plus_one","status":"active","count":3,"units_with":{"commune":2,"branch":3},"by_unit":[]}],"members":{"total":1234}}`),
		DataQuality: []snapshot.Finding{
			{Code: snapshot.DQType, Severity: snapshot.SeverityError, Table: snapshot.Members, File: "members.csv", Row: 7,
				Column: "hardship", Value: plantedPhone, Message: "not a boolean"},
			{Code: snapshot.DQUnknownRef, Severity: snapshot.SeverityError, Table: snapshot.Units, File: "units.csv", Row: 12,
				Column: "parent_id", Value: "xa-zz", Message: "unknown parent unit"},
			{Code: snapshot.DQIgnored, Severity: snapshot.SeverityWarning, Table: snapshot.Members, File: "members.csv",
				Column: "phone", Message: "column ignored"},
		},
		Waivers: checker.WaiverReport{Applied: 1,
			Expired: []checker.Waiver{{Target: "TB-02", Unit: "xa-tt-2", Reason: "đã hết hạn", Expires: "2024-06-30", ApprovedBy: "Ban Thường vụ"}},
			Unused:  []checker.Waiver{}},
	}
}

// previous is the run before fixture(): xa-tt-1 failed TB-01 then.
func previous() *Report {
	in := fixture()
	in.RunID = "20240831T190000Z-00000001"
	in.Snapshot.AsOf = "2024-08-31"
	in.StartedAt = in.StartedAt.AddDate(0, -1, 0)
	in.FinishedAt = in.FinishedAt.AddDate(0, -1, 0)
	for i, r := range in.Results {
		if r.Target == "TB-01" && r.Subject == "xa-tt-1" {
			in.Results[i].Status = checker.StatusFail
			in.Results[i].Violations = []checker.Violation{{Msg: "chưa có mô hình \"1+1\" đang hoạt động"}}
		}
		if r.Target == "TB-01" && r.Subject == "xa-vt-1" {
			in.Results[i].Status = checker.StatusPass
			in.Results[i].Violations = nil
		}
	}
	in.Targets[0].Pass, in.Targets[0].Fail = 3, 1 // TB-02
	return Build(in)
}
