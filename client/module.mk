# client/: sluice, the command-line client, and the worker library
# (client/worker.h). Everything but the programs' mains goes into the
# library so that tests link exactly what ships.
CLIENT_MAINS := client/main.c client/example_worker.c
LIB_SRCS += $(filter-out $(CLIENT_MAINS),$(wildcard client/*.c))
PROGRAMS += $(BUILD)/sluice $(BUILD)/example_worker

$(BUILD)/sluice: $(BUILD)/obj/client/main.o $(LIBSLUICE)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# The worker library's example program (built and run by the tests).
$(BUILD)/example_worker: $(BUILD)/obj/client/example_worker.o $(LIBSLUICE)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(BUILD)/obj/client/main.d $(BUILD)/obj/client/example_worker.d
