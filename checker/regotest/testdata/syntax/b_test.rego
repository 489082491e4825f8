package targets.a_test

test_x if {
	true
}

test_y if (
