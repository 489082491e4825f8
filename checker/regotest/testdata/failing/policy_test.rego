package targets.demo_test

import data.targets.demo

test_passes if {
	count(demo.violation) == 0 with input as {"models": [{"id": "m1"}]}
}

test_fails if {
	print("models:", count(demo.violation))
	count(demo.violation) == 0 with input as {"models": []}
}

test_errors if {
	demo.level == 1 with input as {"a": 1, "b": 2}
}
