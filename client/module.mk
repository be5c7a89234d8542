# client/: sluice, the command-line client. Everything but main.c goes into
# the library so that tests link exactly what ships.
LIB_SRCS += $(filter-out client/main.c,$(wildcard client/*.c))
PROGRAMS += $(BUILD)/sluice

$(BUILD)/sluice: $(BUILD)/obj/client/main.o $(LIBSLUICE)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(BUILD)/obj/client/main.d
