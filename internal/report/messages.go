package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
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
		"doc_title":        "Báo cáo kết quả thực hiện chỉ tiêu",
		"as_of":            "Số liệu đến ngày",
		"run_time":         "Thời điểm chạy",
		"overall":          "Tỷ lệ đạt chung",
		"targets":          "Chỉ tiêu",
		"target":           "Chỉ tiêu",
		"pass":             "Đạt",
		"fail":             "Chưa đạt",
		"waived":           "Miễn trừ",
		"skipped":          "Không áp dụng",
		"error":            "Lỗi đánh giá",
		"not_evaluated":    "Chưa đánh giá",
		"total":            "Tổng số",
		"rate":             "Tỷ lệ",
		"subjects":         "Đối tượng đánh giá",
		"by_district":      "Theo huyện, thành phố",
		"by_commune":       "Theo cơ sở hội",
		"change":           "So với lần trước",
		"no_previous":      "Chưa có lần chạy trước",
		"unchanged":        "không đổi",
		"policies_changed": "Bộ chỉ tiêu đã thay đổi so với lần trước",
		"worst_units":      "Đơn vị cần quan tâm",
		"none":             "Không có",
		"waivers":          "Miễn trừ",
		"waivers_applied":  "Số trường hợp được miễn trừ",
		"waivers_expired":  "Miễn trừ đã hết hạn",
		"waivers_unused":   "Miễn trừ không được dùng",
		"unit":             "Đơn vị",
		"expires":          "Hết hạn",
		"reason":           "Lý do",
		"data_quality":     "Chất lượng dữ liệu",
		"dq_fatal":         "Nghiêm trọng",
		"dq_error":         "Lỗi",
		"dq_warning":       "Cảnh báo",
		"code":             "Mã",
		"table":            "Bảng",
		"count":            "Số lượng",
		"findings":         "Chi tiết chưa đạt",
		"path":             "Thuộc",
		"under":            "thuộc",
		"status":           "Trạng thái",
		"messages":         "Nội dung",
		"more_findings":    "… và %s trường hợp khác (xem findings.csv)",
		"severity_high":    "Mức độ: cao",
		"severity_medium":  "Mức độ: trung bình",
		"severity_low":     "Mức độ: thấp",
		"level":            "Cấp",
		"level_province":   "Tỉnh",
		"level_district":   "Huyện",
		"level_commune":    "Cơ sở",
		"level_branch":     "Chi hội",
		"level_group":      "Tổ phụ nữ",
		"level_model":      "Mô hình",
		"sheet_summary":    "Tổng hợp",
		"sheet_findings":   "Chi tiết",
		"footer":           "Báo cáo tạo tự động bởi vungmanh; chỉ ghi mã hội viên, không ghi thông tin cá nhân.",
		"run_id":           "Mã lần chạy",
		"subject_id":       "Mã đối tượng",
		"severity":         "Mức độ",
		"finding_key":      "Mã phát hiện",
	},
	English: {
		"doc_title":        "Target compliance report",
		"as_of":            "Data as of",
		"run_time":         "Run time",
		"overall":          "Overall compliance",
		"targets":          "Targets",
		"target":           "Target",
		"pass":             "Pass",
		"fail":             "Fail",
		"waived":           "Waived",
		"skipped":          "Not applicable",
		"error":            "Evaluation error",
		"not_evaluated":    "Not evaluated",
		"total":            "Total",
		"rate":             "Rate",
		"subjects":         "Subjects evaluated",
		"by_district":      "By district",
		"by_commune":       "By commune",
		"change":           "Since previous run",
		"no_previous":      "No previous run",
		"unchanged":        "unchanged",
		"policies_changed": "The targets changed since the previous run",
		"worst_units":      "Units needing attention",
		"none":             "None",
		"waivers":          "Waivers",
		"waivers_applied":  "Results waived",
		"waivers_expired":  "Expired waivers",
		"waivers_unused":   "Unused waivers",
		"unit":             "Unit",
		"expires":          "Expires",
		"reason":           "Reason",
		"data_quality":     "Data quality",
		"dq_fatal":         "Fatal",
		"dq_error":         "Error",
		"dq_warning":       "Warning",
		"code":             "Code",
		"table":            "Table",
		"count":            "Count",
		"findings":         "Findings",
		"path":             "Under",
		"under":            "under",
		"status":           "Status",
		"messages":         "Messages",
		"more_findings":    "… and %s more (see findings.csv)",
		"severity_high":    "Severity: high",
		"severity_medium":  "Severity: medium",
		"severity_low":     "Severity: low",
		"level":            "Level",
		"level_province":   "Province",
		"level_district":   "District",
		"level_commune":    "Commune",
		"level_branch":     "Branch",
		"level_group":      "Women's group",
		"level_model":      "Model",
		"sheet_summary":    "Summary",
		"sheet_findings":   "Findings",
		"footer":           "Generated by vungmanh; member ids only, no personal data.",
		"run_id":           "Run id",
		"subject_id":       "Subject id",
		"severity":         "Severity",
		"finding_key":      "Finding key",
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

// Int formats n with a thousands separator: 1.234 (vi), 1,234 (en).
func (l Lang) Int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "."
	if l == English {
		sep = ","
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Percent formats a ratio 0..1 with one decimal: 48,5 % (vi), 48.5% (en).
func (l Lang) Percent(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	s := strconv.FormatFloat(math.Round(r*1000)/10, 'f', 1, 64)
	if l == English {
		return s + "%"
	}
	return strings.Replace(s, ".", ",", 1) + "\u00a0%"
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
