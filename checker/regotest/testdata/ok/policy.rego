package targets.demo

violation contains {"msg": "không có mô hình"} if {
	count(input.models) == 0
}

size := count(input.models)
