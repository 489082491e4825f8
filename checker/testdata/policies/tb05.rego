# METADATA
# title: Tỉnh có đủ cơ sở
# custom:
#   id: TB-05
#   scope: province
#   title_en: Province has communes
package targets.province_communes

violation contains {"msg": "ít cơ sở", "details": {"communes": n}} if {
	n := count([u | some u in input.units; u.level == "commune"])
	n < 1000
}
