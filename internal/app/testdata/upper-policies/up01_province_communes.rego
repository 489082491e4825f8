# METADATA
# title: Tỉnh có đủ cơ sở hội
# description: Test target of the sharding tests in internal/app (only the merge evaluates province targets).
# custom:
#   id: UP-01
#   scope: province
#   severity: low
#   title_en: Province has enough communes
package targets.up01_province_communes

import data.lib.vungmanh as lib

violation contains {"msg": sprintf("%d cơ sở hội", [n]), "refs": [input.subject.id], "details": {"communes": n}} if {
	n := count([u | some u in input.units; u.level == "commune"])
	n < lib.param("UP-01", "min_communes", 1000)
}
