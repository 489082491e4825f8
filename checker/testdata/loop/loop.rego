# METADATA
# title: loops
# custom:
#   id: LOOP-01
#   scope: commune
package targets.loop

# 10^8 iterations that never match and never collect anything: far past any
# deadline, in constant memory.
violation contains {"msg": "never"} if {
	some i in numbers.range(1, 10000)
	some j in numbers.range(1, 10000)
	i * j == -1
}
