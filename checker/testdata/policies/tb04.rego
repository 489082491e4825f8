# METADATA
# title: Huyện có hoạt động
# custom:
#   id: TB-04
#   scope: district
#   title_en: District has activities
package targets.district_activity

violation contains {"msg": "không có hoạt động nào", "refs": [input.subject.id]} if {
	count(input.activities) == 0
}

warning contains {"msg": sprintf("%s: %d hội viên", [input.subject.name, input.members[input.subject.id].total])} if {
	input.members[input.subject.id].hardship > 0
}
