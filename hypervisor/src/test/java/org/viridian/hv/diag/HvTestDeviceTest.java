package org.viridian.hv.diag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.viridian.hv.HvProtocolException;
import org.viridian.hv.hypercall.HvStatus;
import org.viridian.hv.hypercall.HypercallDispatcher;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.msr.HvMsr;
import org.viridian.hv.synic.Synic;
import org.viridian.partition.memory.GuestMemory;

/**
 * The test device as kvm-unit-tests' hyperv_synic and hyperv_connections drive it: two VPs' SynICs on real (memfd)
 * guest memory, hypercalls through the real dispatcher, commands as the suite's x86/hyperv.c writes them.
 */
class HvTestDeviceTest {
    private static final long FAST = 1L << 16, INPUT = 0x20000;
    private static final int MSG_SINT = 8, EVT_SINT = 9, MSG_VEC = 0xB0, EVT_VEC = 0xB1;
    private GuestMemory memory;
    private final List<String> raised = new ArrayList<>();
    private final MessageCalls calls = new MessageCalls();
    private HypercallDispatcher hypercalls;
    private List<Synic> synics;
    private HvTestDevice dev;

    @BeforeEach
    void setUp() {
        memory = GuestMemory.allocate(1 << 20);
        synics = List.of(synic(0), synic(1));
        hypercalls = new HypercallDispatcher(memory, false);
        calls.registerWith(hypercalls);
        dev = new HvTestDevice(calls, synics);
    }

    private Synic synic(int vp) {
        Synic s = new Synic(vp, memory, (target, vector) -> raised.add(target + ":" + Integer.toHexString(vector)));
        assertThat(s.writeMsr(HvMsr.SIMP, simp(vp) | 1)).isTrue();
        assertThat(s.writeMsr(HvMsr.SIEFP, siefp(vp) | 1)).isTrue();
        assertThat(s.writeMsr(HvMsr.SCONTROL, 1)).isTrue();
        return s;
    }

    private static long simp(int vp) {
        return 0x10000 + vp * 0x2000L;
    }

    private static long siefp(int vp) {
        return simp(vp) + 0x1000;
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    /** The suite's synic_ctl(): what the guest writes to port 0x3000. */
    private void ctl(int control, int vp, int sint, int connection) {
        dev.write(HvTestDevice.PORT, 4, connection << 24 | control << 16 | vp << 8 | sint);
    }

    private void unmask(int vp, int sint, int vector) {
        assertThat(synics.get(vp).writeMsr(HvMsr.SINT0 + sint, vector)).isTrue();
    }

    private int post(int fromVp, int connection, long payload) {
        memory.writeInt(INPUT, connection);
        memory.writeInt(INPUT + 4, 0);
        memory.writeInt(INPUT + 8, 0x12345678);
        memory.writeInt(INPUT + 12, 8);
        memory.writeLong(INPUT + 16, payload);
        return (int) hypercalls.dispatch(fromVp, MessageCalls.POST_MESSAGE, INPUT, 0) & 0xFFFF;
    }

    private int signal(int fromVp, int connection) {
        return (int) hypercalls.dispatch(fromVp, MessageCalls.SIGNAL_EVENT | FAST, connection, 0) & 0xFFFF;
    }

    private long slot(int vp, int sint, int offset) {
        return memory.readLong(simp(vp) + sint * 256L + offset);
    }

    @Test
    void commandsDecodeAsTheSuiteEncodesThemAndBadOnesAreRefused() throws HvProtocolException {
        var commands = List.of(
                new HvTestDevCommand.SintRouteCreate(1, 15),
                new HvTestDevCommand.SintRouteDestroy(0, 3),
                new HvTestDevCommand.SintRouteSetSint(1, 0),
                new HvTestDevCommand.MessageConnectionCreate(0, 8, 0x10),
                new HvTestDevCommand.MessageConnectionDestroy(0xFF),
                new HvTestDevCommand.EventConnectionCreate(1, 9, 0x21),
                new HvTestDevCommand.EventConnectionDestroy(0x21));
        for (var c : commands) assertThat(HvTestDevCommand.parse(c.word(), 2)).isEqualTo(c);
        assertThat(HvTestDevCommand.parse(0x21_04_01_09, 2))
                .isEqualTo(new HvTestDevCommand.MessageConnectionCreate(1, 9, 0x21));
        assertThat(HvTestDevCommand.parse(0x10_05_07_0F, 2))
                .as("destroy names only the connection")
                .isEqualTo(new HvTestDevCommand.MessageConnectionDestroy(0x10));
        for (int bad : new int[] {0x00_00_00_00, 0x00_08_00_00, 0x00_01_02_00, 0x00_03_00_10}) {
            assertThatThrownBy(() -> HvTestDevCommand.parse(bad, 2)).isInstanceOf(HvProtocolException.class);
        }

        ctl(HvTestDevCommand.SINT_ROUTE_SET_SINT, 0, 1, 0); // no such route
        ctl(HvTestDevCommand.SINT_ROUTE_DESTROY, 0, 1, 0);
        ctl(HvTestDevCommand.MSG_CONN_DESTROY, 0, 0, 0x10);
        ctl(0x55, 0, 0, 0);
        dev.write(HvTestDevice.PORT, 2, 0x0003_0001);
        assertThat(dev.refused()).isEqualTo(5);
        assertThat(raised).isEmpty();
    }

    @Test
    void setSintRaisesTheRoutedSintOfAnotherVpWithoutAMessage() {
        ctl(HvTestDevCommand.SINT_ROUTE_CREATE, 1, 3, 0);
        ctl(HvTestDevCommand.SINT_ROUTE_SET_SINT, 1, 3, 0);
        assertThat(raised).as("masked: dropped").isEmpty();
        unmask(1, 3, 0xB3);
        ctl(HvTestDevCommand.SINT_ROUTE_SET_SINT, 1, 3, 0);
        ctl(HvTestDevCommand.SINT_ROUTE_SET_SINT, 1, 3, 0);
        assertThat(raised).containsExactly("1:b3", "1:b3");
        assertThat(slot(1, 3, 0)).as("no message").isZero();
        ctl(HvTestDevCommand.SINT_ROUTE_DESTROY, 1, 3, 0);
        ctl(HvTestDevCommand.SINT_ROUTE_SET_SINT, 1, 3, 0);
        assertThat(raised).hasSize(2);
        assertThat(dev.refused()).isEqualTo(1);
    }

    @Test
    void messagesGoToTheConnectionsVpAndWaitBehindABusySlot() {
        ctl(HvTestDevCommand.MSG_CONN_CREATE, 1, MSG_SINT, 0x11);
        unmask(1, MSG_SINT, MSG_VEC);

        assertThat(post(0, 0x11, 0x10001)).isEqualTo(HvStatus.SUCCESS);
        assertThat(raised).containsExactly("1:b0");
        assertThat(slot(1, MSG_SINT, 0) & 0xFFFF_FFFFL).isEqualTo(0x12345678);
        assertThat((slot(1, MSG_SINT, 0) >>> 32) & 0xFF).as("payload size").isEqualTo(8);
        assertThat(slot(1, MSG_SINT, 16)).isEqualTo(0x10001);

        assertThat(post(0, 0x11, 0x10002)).as("busy slot: queued").isEqualTo(HvStatus.SUCCESS);
        assertThat(raised).hasSize(1);
        assertThat((slot(1, MSG_SINT, 0) >>> 40) & 1).as("MessagePending").isEqualTo(1);
        assertThat(slot(1, MSG_SINT, 16)).isEqualTo(0x10001);

        memory.writeInt(simp(1) + MSG_SINT * 256L, 0);
        assertThat(synics.get(1).writeMsr(HvMsr.EOM, 0)).isTrue();
        assertThat(raised).containsExactly("1:b0", "1:b0");
        assertThat(slot(1, MSG_SINT, 16)).isEqualTo(0x10002);
        assertThat((slot(1, MSG_SINT, 0) >>> 40) & 1).isZero();

        ctl(HvTestDevCommand.MSG_CONN_DESTROY, 0, 0, 0x11);
        assertThat(post(0, 0x11, 3)).isEqualTo(HvStatus.INVALID_CONNECTION_ID);
    }

    @Test
    void eventsSetTheConnectionsFlagAndInterruptOnlyWhenItWasClear() {
        ctl(HvTestDevCommand.EVT_CONN_CREATE, 0, EVT_SINT, 0x20);
        unmask(0, EVT_SINT, EVT_VEC);
        assertThat(signal(1, 0x20)).isEqualTo(HvStatus.SUCCESS);
        assertThat(memory.readLong(siefp(0) + EVT_SINT * 256L)).isEqualTo(1L << 0x20);
        assertThat(signal(1, 0x20)).as("already set").isEqualTo(HvStatus.SUCCESS);
        assertThat(raised).containsExactly("0:b1");
        ctl(HvTestDevCommand.EVT_CONN_DESTROY, 0, 0, 0x20);
        assertThat(signal(1, 0x20)).isEqualTo(HvStatus.INVALID_CONNECTION_ID);
    }

    @Test
    void aConnectionIdTakenByTheHostStaysTheHosts() {
        List<Integer> host = new ArrayList<>();
        calls.onEvent(0x30, host::add);
        ctl(HvTestDevCommand.EVT_CONN_CREATE, 0, EVT_SINT, 0x30);
        ctl(HvTestDevCommand.EVT_CONN_DESTROY, 0, 0, 0x30);
        assertThat(dev.refused()).isEqualTo(2);
        assertThat(signal(1, 0x30)).isEqualTo(HvStatus.SUCCESS);
        assertThat(host).containsExactly(1);
    }
}
