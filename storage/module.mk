# storage/: chunking, the chunk format, keys, the object store, SQLite.
LIB_SRCS += $(wildcard storage/*.c)
