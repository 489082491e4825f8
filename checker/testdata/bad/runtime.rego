# METADATA
# title: reads runtime
# custom:
#   id: BAD-02
#   scope: commune
package targets.runtime

violation contains {"msg": "x"} if {
	opa.runtime().env.HOME != ""
}
