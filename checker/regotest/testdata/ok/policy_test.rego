package targets.demo_test

import data.targets.demo

test_pass_with_model if {
	count(demo.violation) == 0 with input as {"models": [{"id": "m1"}]}
}

test_fail_without_model if {
	count(demo.violation) == 1 with input as {"models": []}
}

todo_test_later if {
	false
}
