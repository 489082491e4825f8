# METADATA
# title: loops
# custom:
#   id: LOOP-01
#   scope: commune
package targets.loop

violation contains {"msg": "big"} if {
	count({x | some x in numbers.range(1, 100000000)}) > 0
}
