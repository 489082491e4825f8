# METADATA
# title: Mỗi cơ sở hội có mô hình "1+1"
# description: 100% cơ sở hội có ít nhất một mô hình "1+1" đang hoạt động.
# custom:
#   id: TB-01
#   scope: commune
#   severity: high
#   title_en: Every commune union has a "1+1" model
package targets.one_plus_one

import data.lib.helpers

violation contains {"msg": "chưa có mô hình \"1+1\" đang hoạt động"} if {
	count(helpers.active_models(input.models, "one_plus_one")) == 0
}

skip := "thành lập sau hạn" if input.subject.kind == "new"
