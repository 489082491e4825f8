package report

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vungmanh/vungmanh/checker"
	"github.com/vungmanh/vungmanh/internal/snapshot"
)

// Lang is the language of the HTML and XLSX reports.
type Lang string

// The languages.
const (
	Vietnamese Lang = "vi" // the default
	English    Lang = "en"
)

// ParseLang accepts "vi", "en" and "" (Vietnamese).
func ParseLang(s string) (Lang, error) {
	switch Lang(strings.ToLower(s)) {
	case "", Vietnamese:
		return Vietnamese, nil
	case English:
		return English, nil
	}
	return "", fmt.Errorf("unknown language %q (want vi or en)", s)
}

// messages is the one catalogue of every label of the HTML and XLSX
// reports. Every key exists in every language (a test checks).
var messages = map[Lang]map[string]string{
	Vietnamese: {
		"by_child":                    "Theo đơn vị trực thuộc",
		"filter":                      "Lọc đơn vị…",
		"filter_label":                "Lọc theo tên đơn vị",
		"rows_shown":                  "đơn vị",
		"up":                          "Cấp trên",
		"errors_apart":                "Lỗi đánh giá: %s đối tượng (%s), không tính vào tỷ lệ: lỗi của chỉ tiêu, không phải chưa đạt",
		"not_evaluated_apart":         "Chưa đánh giá (lỗi dữ liệu): %s",
		"trend":                       "Xu hướng",
		"trend_points":                "%s lần",
		"goal_reached":                "Đã đạt mục tiêu %s",
		"goal_overdue":                "Mục tiêu %s đến %s đã quá hạn: hiện %s, còn thiếu %s điểm",
		"goal_pace":                   "Mục tiêu %s đến %s: hiện %s, cần tăng +%s điểm mỗi tháng",
		"goal_so_far":                 "; tốc độ đến nay %s điểm mỗi tháng",
		"stopped_title":               "Lần chạy dừng vì lỗi dữ liệu",
		"stopped_note":                "Dữ liệu xuất có lỗi nghiêm trọng nên chưa đánh giá chỉ tiêu nào. Cần sửa các lỗi dưới đây rồi xuất lại dữ liệu.",
		"dq_where":                    "Vị trí",
		"dq_message":                  "Mô tả",
		"dq_value":                    "Giá trị",
		"dq_row":                      "Dòng",
		"sheet_units":                 "Đơn vị",
		"model_status_active":         "Đang hoạt động",
		"model_status_inactive":       "Không hoạt động",
		"model_status_planned":        "Dự kiến",
		"dq_column":                   "cột",
		"dq_more":                     "… và %s lỗi khác (xem report.json)",
		"matrix_note":                 "Mỗi ô: tỷ lệ đạt; dòng dưới: số đạt / số được đánh giá.",
		"doc_title":                   "Báo cáo kết quả thực hiện chỉ tiêu",
		"as_of":                       "Số liệu đến ngày",
		"run_time":                    "Thời điểm chạy",
		"overall":                     "Tỷ lệ đạt chung",
		"targets":                     "Chỉ tiêu",
		"target":                      "Chỉ tiêu",
		"title":                       "Tên chỉ tiêu",
		"pass":                        "Đạt",
		"fail":                        "Chưa đạt",
		"waived":                      "Miễn trừ",
		"skipped":                     "Không áp dụng",
		"error":                       "Lỗi đánh giá",
		"not_evaluated":               "Chưa đánh giá",
		"total":                       "Tổng số",
		"rate":                        "Tỷ lệ",
		"subjects":                    "Đối tượng đánh giá",
		"by_district":                 "Theo huyện, thành phố",
		"by_commune":                  "Theo cơ sở hội",
		"change":                      "So với lần trước",
		"no_previous":                 "Chưa có lần chạy trước",
		"unchanged":                   "không đổi",
		"policies_changed":            "Bộ chỉ tiêu đã thay đổi so với lần trước",
		"worst_units":                 "Đơn vị cần quan tâm",
		"none":                        "Không có",
		"waivers":                     "Miễn trừ",
		"waivers_applied":             "Số trường hợp được miễn trừ",
		"waivers_expired":             "Miễn trừ đã hết hạn",
		"waivers_unused":              "Miễn trừ không được dùng",
		"unit":                        "Đơn vị",
		"expires":                     "Hết hạn",
		"reason":                      "Lý do",
		"data_quality":                "Chất lượng dữ liệu",
		"dq_fatal":                    "Nghiêm trọng",
		"dq_error":                    "Lỗi",
		"dq_warning":                  "Cảnh báo",
		"code":                        "Mã",
		"table":                       "Bảng",
		"count":                       "Số lượng",
		"findings":                    "Chi tiết chưa đạt",
		"path":                        "Thuộc",
		"under":                       "thuộc",
		"status":                      "Trạng thái",
		"messages":                    "Nội dung",
		"more_findings":               "… và %s trường hợp khác (xem findings.csv)",
		"severity_high":               "Mức độ: cao",
		"severity_medium":             "Mức độ: trung bình",
		"severity_low":                "Mức độ: thấp",
		"level":                       "Cấp",
		"level_province":              "Tỉnh",
		"level_district":              "Huyện",
		"level_commune":               "Cơ sở",
		"level_branch":                "Chi hội",
		"level_group":                 "Tổ phụ nữ",
		"level_model":                 "Mô hình",
		"sheet_summary":               "Tổng hợp",
		"sheet_findings":              "Chi tiết",
		"footer":                      "Báo cáo tạo tự động bởi vungmanh; chỉ ghi mã hội viên, không ghi thông tin cá nhân.",
		"run_id":                      "Mã lần chạy",
		"subject_id":                  "Mã đối tượng",
		"severity":                    "Mức độ",
		"finding_key":                 "Mã phát hiện",
		"table_units":                 "Đơn vị",
		"table_members":               "Hội viên",
		"table_cadres":                "Cán bộ",
		"table_models":                "Mô hình",
		"table_participants":          "Thành viên mô hình",
		"table_ratings":               "Xếp loại",
		"table_activities":            "Hoạt động",
		"table_lineage":               "Sáp nhập",
		"dq_DQ001":                    "thiếu tệp khai báo, bảng hoặc cột bắt buộc, hoặc tệp không đọc được",
		"dq_DQ002":                    "mã bị trùng",
		"dq_DQ003":                    "tham chiếu tới mã không có",
		"dq_DQ004":                    "vòng lặp trong cây đơn vị",
		"dq_DQ005":                    "sai cấp đơn vị",
		"dq_DQ006":                    "giá trị không có trong danh mục",
		"dq_DQ007":                    "giá trị sai kiểu dữ liệu",
		"dq_DQ008":                    "văn bản được chuẩn hóa Unicode",
		"dq_DQ009":                    "cột không có trong quy định, bị bỏ qua",
		"dq_DQ010":                    "dòng có số trường không đúng",
		"reason_row":                  "Dữ liệu lỗi %s (%s) ở dòng %s",
		"reason_file":                 " của tệp %s",
		"reason_column":               ", cột %s",
		"reason_ancestor":             "Đơn vị cấp trên %s không được đánh giá vì có lỗi dữ liệu",
		"reason_unit":                 "Đơn vị %s của mô hình không được đánh giá vì có lỗi dữ liệu",
		"models":                      "Mô hình",
		"model_type":                  "Loại mô hình",
		"models_active":               "Đang hoạt động",
		"communes_with":               "Cơ sở hội có",
		"branches_with":               "Chi hội có",
		"models_others":               "Không hoạt động",
		"improved_pairs":              "Cặp, nhóm đã tiến bộ",
		"all_units":                   "Toàn bộ",
		"no_models":                   "Chưa có mô hình nào.",
		"models_cell":                 "Mỗi ô: số mô hình đang hoạt động; dòng dưới: số cơ sở hội · số chi hội có mô hình.",
		"model_one_plus_one":          "\"1+1\"",
		"model_three_has_three_knows": "\"3 có, 3 biết\"",
		"model_special_members":       "Thu hút hội viên đặc thù",
		"model_cadres_progress":       "Cán bộ chi, tổ cùng tiến",
		"model_accompany":             "Chi, tổ đồng hành vượt khó",
		"model_other":                 "Mô hình khác",
	},
	English: {
		"by_child":                    "By unit below",
		"filter":                      "Filter units…",
		"filter_label":                "Filter by unit name",
		"rows_shown":                  "units",
		"up":                          "Up",
		"errors_apart":                "Evaluation errors: %s subjects (%s), left out of the rate: a fault of the target, not a failure",
		"not_evaluated_apart":         "Not evaluated (data errors): %s",
		"trend":                       "Trend",
		"trend_points":                "%s runs",
		"goal_reached":                "Goal of %s reached",
		"goal_overdue":                "Goal of %s by %s is overdue: %s now, %s points short",
		"goal_pace":                   "%s by %s: %s now, +%s points a month needed",
		"goal_so_far":                 "; %s points a month so far",
		"stopped_title":               "Run stopped by data errors",
		"stopped_note":                "The export has fatal data errors, so no target was evaluated. Fix the errors below and export again.",
		"dq_where":                    "Where",
		"dq_message":                  "Message",
		"dq_value":                    "Value",
		"dq_row":                      "Row",
		"sheet_units":                 "Units",
		"model_status_active":         "Active",
		"model_status_inactive":       "Inactive",
		"model_status_planned":        "Planned",
		"dq_column":                   "column",
		"dq_more":                     "… and %s more (see report.json)",
		"matrix_note":                 "Each cell: pass rate; below: passing / evaluated.",
		"doc_title":                   "Target compliance report",
		"as_of":                       "Data as of",
		"run_time":                    "Run time",
		"overall":                     "Overall compliance",
		"targets":                     "Targets",
		"target":                      "Target",
		"title":                       "Title",
		"pass":                        "Pass",
		"fail":                        "Fail",
		"waived":                      "Waived",
		"skipped":                     "Not applicable",
		"error":                       "Evaluation error",
		"not_evaluated":               "Not evaluated",
		"total":                       "Total",
		"rate":                        "Rate",
		"subjects":                    "Subjects evaluated",
		"by_district":                 "By district",
		"by_commune":                  "By commune",
		"change":                      "Since previous run",
		"no_previous":                 "No previous run",
		"unchanged":                   "unchanged",
		"policies_changed":            "The targets changed since the previous run",
		"worst_units":                 "Units needing attention",
		"none":                        "None",
		"waivers":                     "Waivers",
		"waivers_applied":             "Results waived",
		"waivers_expired":             "Expired waivers",
		"waivers_unused":              "Unused waivers",
		"unit":                        "Unit",
		"expires":                     "Expires",
		"reason":                      "Reason",
		"data_quality":                "Data quality",
		"dq_fatal":                    "Fatal",
		"dq_error":                    "Error",
		"dq_warning":                  "Warning",
		"code":                        "Code",
		"table":                       "Table",
		"count":                       "Count",
		"findings":                    "Findings",
		"path":                        "Under",
		"under":                       "under",
		"status":                      "Status",
		"messages":                    "Messages",
		"more_findings":               "… and %s more (see findings.csv)",
		"severity_high":               "Severity: high",
		"severity_medium":             "Severity: medium",
		"severity_low":                "Severity: low",
		"level":                       "Level",
		"level_province":              "Province",
		"level_district":              "District",
		"level_commune":               "Commune",
		"level_branch":                "Branch",
		"level_group":                 "Women's group",
		"level_model":                 "Model",
		"sheet_summary":               "Summary",
		"sheet_findings":              "Findings",
		"footer":                      "Generated by vungmanh; member ids only, no personal data.",
		"run_id":                      "Run id",
		"subject_id":                  "Subject id",
		"severity":                    "Severity",
		"finding_key":                 "Finding key",
		"table_units":                 "Units",
		"table_members":               "Members",
		"table_cadres":                "Cadres",
		"table_models":                "Models",
		"table_participants":          "Participants",
		"table_ratings":               "Ratings",
		"table_activities":            "Activities",
		"table_lineage":               "Lineage",
		"dq_DQ001":                    "manifest, required table or column missing, or file unreadable",
		"dq_DQ002":                    "duplicate id",
		"dq_DQ003":                    "reference to an unknown id",
		"dq_DQ004":                    "cycle in the unit hierarchy",
		"dq_DQ005":                    "level nesting broken",
		"dq_DQ006":                    "value not in the enum",
		"dq_DQ007":                    "value not parseable as its type",
		"dq_DQ008":                    "text changed by NFC normalisation",
		"dq_DQ009":                    "column ignored",
		"dq_DQ010":                    "wrong number of fields",
		"reason_row":                  "Data error %s (%s) on row %s",
		"reason_file":                 " of %s",
		"reason_column":               ", column %s",
		"reason_ancestor":             "The unit above, %s, is not evaluated: it has a data error",
		"reason_unit":                 "The model's unit %s is not evaluated: it has a data error",
		"models":                      "Models",
		"model_type":                  "Model type",
		"models_active":               "Active",
		"communes_with":               "Communes with one",
		"branches_with":               "Branches with one",
		"models_others":               "Not active",
		"improved_pairs":              "Improved pairs",
		"all_units":                   "All units",
		"no_models":                   "No models yet.",
		"models_cell":                 "Each cell: active models; below: communes · branches with one.",
		"model_one_plus_one":          "\"1+1\"",
		"model_three_has_three_knows": "\"3 có, 3 biết\" (3 haves, 3 knows)",
		"model_special_members":       "Attracting special members",
		"model_cadres_progress":       "Cadres progressing together",
		"model_accompany":             "Overcoming difficulties together",
		"model_other":                 "Other models",
	},
}

// T returns the label of key in lang (the key itself when unknown).
func (l Lang) T(key string) string {
	if m, ok := messages[l]; ok {
		if s, ok := m[key]; ok {
			return s
		}
	}
	if s, ok := messages[Vietnamese][key]; ok {
		return s
	}
	return key
}

// TableName is the label of a snapshot table, with the table's own name
// in brackets where the label differs: "Đơn vị (units)", "Units".
func (l Lang) TableName(t snapshot.Table) string {
	label := l.T("table_" + string(t))
	switch {
	case label == "table_"+string(t):
		return string(t)
	case strings.EqualFold(label, string(t)):
		return label
	}
	return label + " (" + string(t) + ")"
}

// reasons words the reason of a not-evaluated result for the HTML, XLSX
// and CSV. report.json keeps the reason's machine text ("DQ007 on row
// 5124", "ancestor xa-1 excluded", "unit xa-1 excluded", see
// snapshot.Reason); here its value becomes a sentence of the catalogue,
// with the file and column of the data-quality finding of that code and
// row when exactly one matches, and unit names for ids.
type reasons struct {
	lang  Lang
	r     *Report
	names map[string]string
	// label, when set, gives the site's unit labels (the id for an id
	// that is no unit), unique (no id needed): it is used instead of
	// names.
	label func(id string) string
	rows  map[dqRowKey]dqPlace // built on first use
}

type dqRowKey struct {
	code snapshot.Code
	row  int
}

type dqPlace struct {
	file, column string // "" when several findings of the key disagree
}

func newReasons(lang Lang, r *Report, names map[string]string) *reasons {
	return &reasons{lang: lang, r: r, names: names}
}

// text returns f's error text as shown: the worded reason of a
// not-evaluated result, any other error as it is.
func (x *reasons) text(f Finding) string {
	if f.Error == nil {
		return ""
	}
	if f.Status != checker.StatusNotEvaluated || f.Reason == nil {
		return *f.Error
	}
	switch r := *f.Reason; r.Kind {
	case snapshot.ReasonRow:
		out := fmt.Sprintf(x.lang.T("reason_row"), r.Code, x.lang.T("dq_"+string(r.Code)), strconv.Itoa(r.Row))
		p := x.place(r.Code, r.Row)
		if p.file != "" {
			out += fmt.Sprintf(x.lang.T("reason_file"), p.file)
		}
		if p.column != "" {
			out += fmt.Sprintf(x.lang.T("reason_column"), p.column)
		}
		return out
	case snapshot.ReasonAncestor:
		return fmt.Sprintf(x.lang.T("reason_ancestor"), x.unit(r.Unit))
	case snapshot.ReasonUnit:
		return fmt.Sprintf(x.lang.T("reason_unit"), x.unit(r.Unit))
	}
	return *f.Error
}

func (x *reasons) unit(id string) string {
	if x.label != nil {
		return x.label(id)
	}
	if x.names == nil {
		x.names = unitNames(x.r)
	}
	return nameOr(x.names, id)
}

func (x *reasons) place(code snapshot.Code, row int) dqPlace {
	if x.rows == nil {
		x.index()
	}
	return x.rows[dqRowKey{code, row}]
}

// index builds rows, the data-quality findings' places by code and row:
// on first use, or at once for a reasons that several goroutines share
// (the site's pages).
func (x *reasons) index() {
	x.rows = map[dqRowKey]dqPlace{}
	for _, f := range x.r.DataQuality {
		k := dqRowKey{f.Code, f.Row}
		p, ok := x.rows[k]
		switch {
		case !ok:
			p = dqPlace{f.File, f.Column}
		case p.file != f.File:
			p = dqPlace{}
		case p.column != f.Column:
			p.column = ""
		}
		x.rows[k] = p
	}
}

// Int formats n with a thousands separator: 1.234 (vi), 1,234 (en).
//
// golang.org/x/text/message prints the same text for every int (its
// Vietnamese groups with '.'; compared on 0, ±1, ±1000, the int64 limits
// and 57k values between), but at 2.6 µs and 9 allocations a number against
// 0.3 µs and 2 here, and the site formats two numbers per matrix cell (unit
// row × target). Its percentages and decimals differ from ours (docs/reports.md):
// 48,5% where we write 48,5 % (a no-break space), 12.345,6 where Decimal
// writes 12345,6. So the three stay hand-written.
//
// It and Percent write into a buffer on the stack and allocate the result
// only (the site formats some 300,000 numbers at national scale);
// TestNumbersAsBefore holds them to their first, plainer versions.
func (l Lang) Int(n int) string {
	if n >= 0 && n < 1000 {
		return strconv.Itoa(n)
	}
	var b [32]byte
	return string(l.appendInt(b[:0], n))
}

// appendInt appends Int(n) to b.
func (l Lang) appendInt(b []byte, n int) []byte {
	var d [24]byte
	s := strconv.AppendInt(d[:0], int64(n), 10)
	if s[0] == '-' {
		b = append(b, '-')
		s = s[1:]
	}
	sep := byte('.')
	if l == English {
		sep = ','
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, sep)
		}
		b = append(b, c)
	}
	return b
}

// fraction is Int(a) + "/" + Int(b), in one allocation.
func (l Lang) fraction(a, b int) string {
	var buf [64]byte
	s := append(l.appendInt(buf[:0], a), '/')
	return string(l.appendInt(s, b))
}

// Percent formats a ratio 0..1 with one decimal: 48,5 % (vi), 48.5% (en).
func (l Lang) Percent(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	var b [48]byte
	s := strconv.AppendFloat(b[:0], math.Round(r*1000)/10, 'f', 1, 64)
	if l == English {
		return string(append(s, '%'))
	}
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		s[i] = ','
	}
	return string(append(s, "\u00a0%"...))
}

// Date formats YYYY-MM-DD as 30/09/2024 (vi) or 30 Sep 2024 (en); other
// strings come back unchanged.
func (l Lang) Date(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	if l == English {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

// DateTime formats an RFC 3339 time in UTC: 30/09/2024 02:15 UTC (vi).
func (l Lang) DateTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	t = t.UTC()
	if l == English {
		return t.Format("2 Jan 2006 15:04 UTC")
	}
	return t.Format("02/01/2006 15:04 UTC")
}

// DefaultTimezone is the time zone of the run time shown in reports.
const DefaultTimezone = "Asia/Ho_Chi_Minh"

// DateTimeIn formats an RFC 3339 time in loc (nil: DefaultTimezone, UTC
// where the zone database lacks it) with its offset: 01/10/2024 02:15
// (UTC+07:00) in Vietnamese, 1 Oct 2024 02:15 (UTC+07:00) in English.
func (l Lang) DateTimeIn(s string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	if loc == nil {
		if loc, err = time.LoadLocation(DefaultTimezone); err != nil {
			loc = time.UTC
		}
	}
	t = t.In(loc)
	zone := "UTC"
	if _, off := t.Zone(); off != 0 {
		zone += t.Format("-07:00")
	}
	if l == English {
		return t.Format("2 Jan 2006 15:04") + " (" + zone + ")"
	}
	return t.Format("02/01/2006 15:04") + " (" + zone + ")"
}

// Decimal formats f with prec decimals: 6,2 (vi), 6.2 (en).
func (l Lang) Decimal(f float64, prec int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	s := strconv.FormatFloat(f, 'f', prec, 64)
	if l == English {
		return s
	}
	return strings.Replace(s, ".", ",", 1)
}
