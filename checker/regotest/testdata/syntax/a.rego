package targets.a

violation contains {"msg": "x"} if {
	input.x ==
}
