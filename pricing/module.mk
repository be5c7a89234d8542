# pricing/: price plans, quotes, the query planner, the ledger.
LIB_SRCS += $(wildcard pricing/*.c)
