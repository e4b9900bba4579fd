package org.viridian.hv.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.viridian.hv.hypercall.HypercallDispatcher;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.partition.memory.GuestMemory;

/**
 * HypercallDispatcher.dispatch with fuzzed control words, input GPAs (in RAM, near its end, anywhere) and register
 * inputs, over 1 MiB of memfd-backed RAM holding fuzzed input blocks; HvPostMessage/HvSignalEvent are registered
 * with handlers on connections 1 and 2. Rule: always a status (bits 0-15, reps in 32-43), never an exception.
 */
class HypercallFuzzTest {
    private static final long RAM = 1 << 20;
    private static final GuestMemory MEMORY = GuestMemory.allocate(RAM);
    private static final HypercallDispatcher DISPATCHER = new HypercallDispatcher(MEMORY, false);

    static {
        MessageCalls calls = new MessageCalls();
        calls.registerWith(DISPATCHER);
        calls.onMessage(1, m -> assertThat(m.payload().length).isLessThanOrEqualTo(240));
        calls.onEvent(2, vp -> {});
    }

    @FuzzTest
    void dispatch(FuzzedDataProvider data) {
        long control =
                switch (data.consumeInt(0, 2)) {
                    case 0 -> data.consumeLong();
                    case 1 ->
                        data.pickValue(new int[] {MessageCalls.POST_MESSAGE, MessageCalls.SIGNAL_EVENT, 0x0008, 0x0001})
                                | (data.consumeBoolean() ? 1L << 16 : 0);
                    default -> data.consumeInt(0, 0xFFFF) | ((long) data.consumeInt(0, 0x3FF) << 17);
                };
        long input =
                switch (data.consumeInt(0, 2)) {
                    case 0 -> data.consumeLong();
                    case 1 -> RAM - data.consumeInt(0, 8192);
                    default -> data.consumeLong(0, RAM - 1) & ~7L;
                };
        long in1 = data.consumeLong();
        byte[] block = data.consumeRemainingAsBytes();
        long at = Math.floorMod(input, RAM);
        int n = (int) Math.min(block.length, RAM - at);
        if (n > 0) MEMORY.write(at, java.util.Arrays.copyOf(block, n));
        long result = DISPATCHER.dispatch(0, control, input, in1);
        assertThat(result & ~(0xFFFFL | 0xFFFL << 32))
                .as("result bits outside status and reps")
                .isZero();
    }
}
