package targets.a_test

import data.targets.a

test_x if {
	count(a.violation) == 1 with input as {"x": 1}
	undefined_function(1)
}
