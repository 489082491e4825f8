package lib.helpers

active_models(models, type) := [m |
	some m in models
	m.type == type
	m.status == "active"
]
