package targets.ok

ok := true
