package cases_test

ok(x) if x != "bar"

test_all_pass[x] if {
	some x in ["foo", "bar"]
}

test_one_fails[x] if {
	some x in ["foo", "bar", "baz"]
	ok(x)
}

test_plain if {
	ok("foo")
}
