# METADATA
# title: calls out
# custom:
#   id: BAD-01
#   scope: commune
package targets.http

violation contains {"msg": r.body} if {
	r := http.send({"method": "GET", "url": "https://example.com"})
}
