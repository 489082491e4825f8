package targets.a

violation contains {"msg": "x"} if {
	some unused
	input.x == 1
}
