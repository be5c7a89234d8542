# lib/: primitives every part shares; includes nothing of ours.
LIB_SRCS += $(wildcard lib/*.c)
