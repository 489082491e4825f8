# METADATA
# title: Huyện có đủ hoạt động
# description: Test target of the sharding tests in internal/app (only the merge evaluates district targets).
# custom:
#   id: UP-02
#   scope: district
#   severity: medium
#   title_en: District has enough activities
package targets.up02_district_activity

import data.lib.vungmanh as lib

violation contains {"msg": sprintf("%d hoạt động", [n]), "refs": [input.subject.id]} if {
	n := count(input.activities)
	n < lib.param("UP-02", "min_activities", 1) * lib.param("UP-02", "factor", 1)
}
