package targets.demo

violation contains {"msg": "không có mô hình"} if {
	count(input.models) == 0
}

# Two values for one complete rule: an evaluation error.
level := input.a

level := input.b
