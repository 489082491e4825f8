package sample

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// district of the Thái Bình profile: real name, kind, commune count and the
// syllables its commune names are built from.
type districtSpec struct {
	name     string
	kind     string // "thành phố" or "huyện"
	communes int
	first    []string // first syllables of commune names
}

// thaiBinhDistricts are the eight district-level units of Thái Bình in 2024.
// Their commune counts sum to 242 (Vũ Thư 30).
var thaiBinhDistricts = []districtSpec{
	{"TP Thái Bình", "thành phố", 19, []string{"Đông", "Phú", "Vũ", "Tân", "Kỳ", "Quang", "Hoàng", "Tiền"}},
	{"Đông Hưng", "huyện", 34, []string{"Đông", "Hồng", "Minh", "Phú", "Hoa", "Liên", "Chương", "Bạch"}},
	{"Hưng Hà", "huyện", 30, []string{"Hòa", "Tân", "Thái", "Văn", "Phúc", "Minh", "Điệp", "Chi"}},
	{"Kiến Xương", "huyện", 30, []string{"Bình", "Quang", "Vũ", "Thanh", "Hòa", "Nam", "Lê", "An"}},
	{"Quỳnh Phụ", "huyện", 33, []string{"Quỳnh", "An", "Đông", "Châu", "Quỳnh", "An", "Trang", "Đồng"}},
	{"Thái Thụy", "huyện", 36, []string{"Thụy", "Thái", "Thụy", "Thái", "Hồng", "Dương", "Mỹ", "Sơn"}},
	{"Tiền Hải", "huyện", 30, []string{"Đông", "Nam", "Tây", "Vũ", "Phương", "Bắc", "An", "Văn"}},
	{"Vũ Thư", "huyện", 30, []string{"Vũ", "Việt", "Song", "Tân", "Minh", "Hồng", "Nguyên", "Dũng"}},
}

// Second syllables of commune, branch and person-free place names.
var syllables = []string{
	"Hải", "Trường", "Xuân", "Liên", "Dũng", "Bình", "Văn", "Sơn", "Quỳnh", "Việt",
	"Dương", "Hưng", "Phong", "Ninh", "Thanh", "Duyên", "Trình", "Dân", "Chính", "Hồng",
	"Hà", "Lương", "An", "Phúc", "Xuyên", "Thọ", "Đô", "Nguyên", "Lạc", "Tiến",
	"Thắng", "Lợi", "Hòa", "Tân", "Minh", "Đức", "Thịnh", "Long", "Mỹ", "Lộc",
	"Quang", "Trung", "Hiệp", "Khê", "Cường", "Vinh", "Thành", "Nghĩa", "Hội", "Tây",
	"Đông", "Nam", "Bắc", "Phú", "Lâm", "Châu", "Kiều", "Tường", "Sở", "Đoài",
}

// Village (thôn) names for branches.
var thonNames = []string{
	"Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "An Lạc", "Phú Lộc", "Tân Lập",
	"Đồng Tâm", "Thái Hòa", "Hòa Bình", "Quyết Tiến", "Đoàn Kết", "Nam Sơn", "Bắc Sơn",
	"Đông Hải", "Tây Sơn", "Cao Bạt", "Kim Sơn", "Vạn Xuân", "Thanh Bình", "Phúc Tiến",
	"Tiền Phong", "Hưng Long", "Xuân La", "Đại Đồng", "Lạc Thành", "Minh Khai",
}

// The 63 provinces before 2025.
var provinces63 = []string{
	"Hà Nội", "Hà Giang", "Cao Bằng", "Bắc Kạn", "Tuyên Quang", "Lào Cai", "Điện Biên", "Lai Châu",
	"Sơn La", "Yên Bái", "Hòa Bình", "Thái Nguyên", "Lạng Sơn", "Quảng Ninh", "Bắc Giang", "Phú Thọ",
	"Vĩnh Phúc", "Bắc Ninh", "Hải Dương", "Hải Phòng", "Hưng Yên", "Thái Bình", "Hà Nam", "Nam Định",
	"Ninh Bình", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Quảng Bình", "Quảng Trị", "Thừa Thiên Huế", "Đà Nẵng",
	"Quảng Nam", "Quảng Ngãi", "Bình Định", "Phú Yên", "Khánh Hòa", "Ninh Thuận", "Bình Thuận", "Kon Tum",
	"Gia Lai", "Đắk Lắk", "Đắk Nông", "Lâm Đồng", "Bình Phước", "Tây Ninh", "Bình Dương", "Đồng Nai",
	"Bà Rịa - Vũng Tàu", "TP Hồ Chí Minh", "Long An", "Tiền Giang", "Bến Tre", "Trà Vinh", "Vĩnh Long", "Đồng Tháp",
	"An Giang", "Kiên Giang", "Cần Thơ", "Hậu Giang", "Sóc Trăng", "Bạc Liêu", "Cà Mau",
}

// Recorded needs texts (members.needs); "Không có nhu cầu" is a recorded
// answer too.
var needsTexts = []string{
	"Vay vốn phát triển kinh tế", "Học nghề", "Hỗ trợ việc làm", "Tư vấn sức khỏe sinh sản",
	"Hỗ trợ sửa nhà", "Tập huấn kỹ năng số", "Không có nhu cầu", "Chăm sóc con nhỏ",
	"Tư vấn pháp luật", "Tham gia tổ hợp tác",
}

var specialGroups = []string{"worker", "religious", "ethnic_minority", "migrant", "trader"}

var activityKinds = []string{"meeting", "communication", "support", "training"}

// slug turns a Vietnamese name into an ASCII id part: "Thái Thụy" -> "thai-thuy".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		r = unicode.ToLower(r)
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func nfc(s string) string { return norm.NFC.String(s) }

func init() {
	for _, l := range [][]string{syllables, thonNames, provinces63, needsTexts} {
		for i := range l {
			l[i] = nfc(l[i])
		}
	}
	for i := range reformProvinces {
		p := &reformProvinces[i]
		p.name = nfc(p.name)
		for j := range p.old {
			p.old[j] = nfc(p.old[j])
		}
	}
	for i := range thaiBinhDistricts {
		d := &thaiBinhDistricts[i]
		d.name = nfc(d.name)
		d.kind = nfc(d.kind)
		for j := range d.first {
			d.first[j] = nfc(d.first[j])
		}
	}
}
