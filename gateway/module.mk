# gateway/: sluiced. Everything but main.c goes into the library so that
# tests link exactly what ships.
LIB_SRCS += $(filter-out gateway/main.c,$(wildcard gateway/*.c))
PROGRAMS += $(BUILD)/sluiced

$(BUILD)/sluiced: $(BUILD)/obj/gateway/main.o $(LIBSLUICE)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(BUILD)/obj/gateway/main.d
