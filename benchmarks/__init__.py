"""`make bench`: the cost of vaebook's helpers, measured (see README, Performance)."""
