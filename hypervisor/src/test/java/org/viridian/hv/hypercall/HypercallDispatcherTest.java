package org.viridian.hv.hypercall;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.viridian.partition.memory.GuestMemory;

/** Control-word decoding, input validation and the message calls, with inputs in real guest memory. */
class HypercallDispatcherTest {
    private static final long FAST = 1L << 16;
    private GuestMemory memory;
    private HypercallDispatcher d;
    private final MessageCalls calls = new MessageCalls();
    private final List<MessageCalls.GuestMessage> got = new ArrayList<>();

    @BeforeEach
    void setUp() {
        memory = GuestMemory.allocate(1 << 20);
        d = new HypercallDispatcher(memory, false);
        calls.registerWith(d);
        calls.onMessage(5, got::add);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private static int status(long result) {
        return (int) (result & 0xFFFF);
    }

    private long postMessage(long gpa, int connection, int type, int size) {
        memory.writeInt(gpa, connection);
        memory.writeInt(gpa + 4, 0);
        memory.writeInt(gpa + 8, type);
        memory.writeInt(gpa + 12, size);
        return d.dispatch(0, MessageCalls.POST_MESSAGE, gpa, 0);
    }

    @Test
    void controlWordFields() {
        HypercallControl c = HypercallControl.decode(0x005CL | FAST | (3L << 17) | (12L << 32) | (4L << 48));
        assertThat(c).isEqualTo(new HypercallControl(0x5C, true, 3, 12, 4));
        assertThat(HypercallControl.decode(1L << 27))
                .as("nested flag is reserved here")
                .isNull();
        assertThat(HypercallControl.decode(1L << 63)).isNull();
        assertThat(HypercallControl.result(HvStatus.INVALID_PARAMETER, 7)).isEqualTo(0x7_0000_0005L);
    }

    @Test
    void badCallsGetTheirStatus() {
        assertThat(status(d.dispatch(0, 0x7777, 0, 0))).isEqualTo(HvStatus.INVALID_HYPERCALL_CODE);
        assertThat(status(d.dispatch(0, MessageCalls.POST_MESSAGE | (1L << 30), 0x1000, 0)))
                .isEqualTo(HvStatus.INVALID_HYPERCALL_INPUT);
        assertThat(status(d.dispatch(0, MessageCalls.POST_MESSAGE | (2L << 32), 0x1000, 0)))
                .as("rep count on a simple call")
                .isEqualTo(HvStatus.INVALID_HYPERCALL_INPUT);
        assertThat(status(d.dispatch(0, MessageCalls.POST_MESSAGE | (2L << 17), 0x1000, 0)))
                .as("variable header on a call without one")
                .isEqualTo(HvStatus.INVALID_HYPERCALL_INPUT);
        assertThat(status(d.dispatch(0, MessageCalls.POST_MESSAGE, 0x1004, 0))).isEqualTo(HvStatus.INVALID_ALIGNMENT);
        assertThat(status(d.dispatch(0, MessageCalls.POST_MESSAGE, 1L << 40, 0)))
                .as("outside the partition")
                .isEqualTo(HvStatus.INVALID_PARAMETER);
    }

    @Test
    void callsAreCountedByCode() {
        assertThat(d.counts()).isEmpty();
        memory.write(0x2010, "ping".getBytes());
        postMessage(0x2000, 5, 1, 4);
        postMessage(0x2000, 6, 1, 4); // refused by its connection, but a call all the same
        d.dispatch(0, MessageCalls.SIGNAL_EVENT | FAST, 9, 0);
        d.dispatch(0, 0x7777, 0, 0);
        d.dispatch(0, 1L << 63, 0, 0);
        assertThat(d.counts())
                .containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
                        "0x005c",
                        2L,
                        "0x005d",
                        1L,
                        HypercallDispatcher.UNKNOWN_CODE,
                        1L,
                        HypercallDispatcher.BAD_CONTROL,
                        1L));
    }

    @Test
    void postMessageReachesItsConnectionAndIsValidated() {
        memory.write(0x2010, "ping".getBytes());
        assertThat(status(postMessage(0x2000, 5, 1, 4))).isEqualTo(HvStatus.SUCCESS);
        assertThat(got).hasSize(1);
        assertThat(got.getFirst().payload()).isEqualTo("ping".getBytes());
        assertThat(got.getFirst().type()).isEqualTo(1);
        assertThat(status(postMessage(0x2000, 6, 1, 4))).isEqualTo(HvStatus.INVALID_CONNECTION_ID);
        assertThat(status(postMessage(0x2000, 5, 1, 241))).isEqualTo(HvStatus.INVALID_PARAMETER);
        assertThat(status(postMessage(0x2000, 5, 0x8000_0001, 4)))
                .as("hypervisor message types")
                .isEqualTo(HvStatus.INVALID_PARAMETER);
        // 16 header bytes + 240 payload bytes starting 64 bytes before a page end would cross the page.
        assertThat(status(postMessage(0x2FC0, 5, 1, 240))).isEqualTo(HvStatus.INVALID_ALIGNMENT);
        assertThat(status(d.dispatch(0, MessageCalls.POST_MESSAGE | FAST, 0, 0)))
                .isEqualTo(HvStatus.INVALID_HYPERCALL_INPUT);
        assertThat(got).hasSize(1);
    }

    @Test
    void signalEventAsAFastCall() {
        List<Integer> signalled = new ArrayList<>();
        calls.onEvent(9, signalled::add);
        assertThat(status(d.dispatch(2, MessageCalls.SIGNAL_EVENT | FAST, 9 | (3L << 32), 0)))
                .isEqualTo(HvStatus.SUCCESS);
        assertThat(signalled).containsExactly(2);
        assertThat(status(d.dispatch(2, MessageCalls.SIGNAL_EVENT | FAST, 10, 0)))
                .isEqualTo(HvStatus.INVALID_CONNECTION_ID);
        assertThat(status(d.dispatch(2, MessageCalls.SIGNAL_EVENT | FAST, 9 | (2048L << 32), 0)))
                .isEqualTo(HvStatus.INVALID_PARAMETER);
        assertThat(status(d.dispatch(2, MessageCalls.SIGNAL_EVENT | FAST, 9 | (1L << 50), 0)))
                .isEqualTo(HvStatus.INVALID_PARAMETER);
    }
}
