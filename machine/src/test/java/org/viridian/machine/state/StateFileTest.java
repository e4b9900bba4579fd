package org.viridian.machine.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.viridian.devices.legacy.AcpiPmBlock;
import org.viridian.devices.legacy.CmosRtc;
import org.viridian.devices.legacy.Uart16550;
import org.viridian.hv.Hypervisor;
import org.viridian.hv.msr.SyntheticMsrs;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.Synic;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.partition.memory.MemfdGuestMemory;
import org.viridian.partition.state.PartitionSnapshot;
import org.viridian.partition.state.VpSnapshot;
import org.viridian.vmbus.server.VmbusState;
import org.viridian.x86.Regs;
import org.viridian.x86.Segment;
import org.viridian.x86.Sregs;

/** The saved-state file on real memfd guest memory: round trip, sparseness, and every way a file can be refused. */
class StateFileTest {
    private static final long MEMORY = 64L << 20;

    @TempDir
    Path dir;

    private final List<GuestMemory> memories = new ArrayList<>();

    @AfterEach
    void free() {
        memories.forEach(GuestMemory::close);
    }

    private GuestMemory memory() {
        GuestMemory m = GuestMemory.allocate(MEMORY);
        memories.add(m);
        return m;
    }

    private static MachineState state(String name) {
        Segment cs = Segment.flat(0x10, 0xB, true);
        Segment ds = Segment.flat(0x18, 0x3, false);
        var sregs = new Sregs(
                cs,
                ds,
                ds,
                ds,
                ds,
                ds,
                ds,
                ds,
                new Sregs.DescriptorTable(0x1000, 0x27),
                new Sregs.DescriptorTable(0x2000, 0xFFF),
                0x80050033L,
                0,
                0x3000,
                0x6F0,
                0,
                0xD01,
                0xFEE00900L,
                new long[4]);
        var regs = new Regs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x100042, 0x202);
        var vp = new VpSnapshot(
                0, regs, sregs, Map.of("LAPIC", new byte[] {1, 2, 3}), new int[] {0x10, 0x1b}, new long[] {
                    123456789L, 0xFEE00900L
                });
        var partition = new PartitionSnapshot(
                List.of(vp), List.of(new byte[520], new byte[520], new byte[520]), new byte[112], new byte[48]);
        List<List<HvMessage>> queues = new ArrayList<>();
        for (int i = 0; i < Synic.SINTS; i++)
            queues.add(i == 2 ? List.of(new HvMessage(1, 7, new byte[] {9, 8, 7})) : List.of());
        var hv = new Hypervisor.State(
                Hypervisor.State.VERSION,
                new SyntheticMsrs.State(0x8100, 0x5001, 0x6001, new long[5], Map.of(0, 0x7001L)),
                List.of(new Synic.SynicState(1, 0x8001, 0x9001, new long[16], queues)),
                List.of(new long[] {1, 2, 3, 4, 5, 6, 7, 8}));
        var bus = new VmbusState(
                (5 << 16) | 3,
                0,
                2,
                true,
                List.of(
                        new VmbusState.Channel(
                                1,
                                UUID.fromString("ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"),
                                false,
                                Map.of(5, new long[] {0x10, 0x11}),
                                new VmbusState.Open(5, 0, 1, "WIN10;true;1".getBytes())),
                        // A sub-channel of channel 1 (multi-VP StorVSP), open on another VP.
                        new VmbusState.Channel(
                                2,
                                UUID.fromString("ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"),
                                false,
                                Map.of(6, new long[] {0x12, 0x13}),
                                new VmbusState.Open(6, 1, 1, new byte[0]),
                                1,
                                1)));
        var devices = new MachineState.Devices(
                new Uart16550.State(1, 3, 8, 0, 1, 1, 0, false, new byte[] {'x'}),
                new CmosRtc.State(new byte[128], 0x0B, 5_000_000_000L),
                new AcpiPmBlock.State(0, 0, 1, 3_579_545L));
        return new MachineState(
                new StateHeader(name, 1, MEMORY, "2026-12-06T00:00:00Z", "test"), partition, hv, bus, devices);
    }

    private static final StateFile.Expected DEMO = new StateFile.Expected("demo", 1, MEMORY);

    private Path saved(boolean deflate) throws IOException {
        GuestMemory m = memory();
        m.write(0x100000, "kernel text".getBytes());
        m.writeLong(MEMORY - 8, 0x1122334455667788L);
        Path f = dir.resolve("demo.vmrs");
        AtomicLong progress = new AtomicLong();
        StateFile.write(f, state("demo"), m, new StateFile.Options(deflate), progress::set);
        assertThat(progress.get()).isEqualTo(MEMORY);
        return f;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSavedStateComesBackWholeWithOnlyTheNonZeroPagesStored(boolean deflate) throws IOException {
        Path f = saved(deflate);
        // Two non-zero pages of 16384: the file holds little more than those.
        assertThat(Files.size(f)).isLessThan(3 * 4096 + 16384);
        GuestMemory into = memory();
        MachineState back = StateFile.read(f, into, DEMO);
        assertThat(new String(into.read(0x100000, 11))).isEqualTo("kernel text");
        assertThat(into.readLong(MEMORY - 8)).isEqualTo(0x1122334455667788L);
        MachineState want = state("demo");
        assertThat(back.partition().vps()).isEqualTo(want.partition().vps());
        assertThat(back.hypervisor()
                        .synics()
                        .getFirst()
                        .queued()
                        .get(2)
                        .getFirst()
                        .payload())
                .containsExactly(9, 8, 7);
        assertThat(back.hypervisor().msrs().vpAssist()).containsEntry(0, 0x7001L);
        assertThat(back.vmbus().channels().getFirst().gpadls().get(5)).containsExactly(0x10, 0x11);
        assertThat(back.vmbus().channels().getFirst().open().device()).isEqualTo("WIN10;true;1".getBytes());
        VmbusState.Channel sub = back.vmbus().channels().get(1);
        assertThat(sub.subChannel()).isTrue();
        assertThat(List.of(sub.primary(), sub.subIndex(), sub.open().targetVp()))
                .containsExactly(1, 1, 1);
        assertThat(back.devices().cmos().offsetNanos()).isEqualTo(5_000_000_000L);
        assertThat(back.devices().uart().rx()).containsExactly('x');
        assertThat(StateFile.readHeader(f).vmName()).isEqualTo("demo");
    }

    @Test
    void savingLooksOnlyAtTouchedPagesAndLeavesTheRestUncommitted() throws IOException {
        // 64 MiB of RAM with two pages written, and one page written and zeroed again (touched, stored as nothing).
        try (GuestMemory m = MemfdGuestMemory.allocate(64L << 20)) {
            m.write(0x200000, "first".getBytes());
            m.write(0x3FFF000, "last".getBytes());
            m.write(0x1000000, new byte[4096]);
            long before = m.residentBytes();
            // 3 pages, or 3 huge pages where the host gives shared memory transparent huge pages.
            assertThat(before).isBetween(3 * 4096L, 3 * (2L << 20));
            Path f = dir.resolve("sparse.vmrs");
            StateFile.write(f, state("sparse"), m, StateFile.Options.DEFAULT, p -> {});
            // The host committed nothing for the never-touched pages (a scan that read them would have).
            assertThat(m.residentBytes()).isEqualTo(before);
            try (GuestMemory into = MemfdGuestMemory.allocate(64L << 20)) {
                StateFile.read(f, into, new StateFile.Expected("sparse", 1, 64L << 20));
                assertThat(new String(into.read(0x200000, 5))).isEqualTo("first");
                assertThat(new String(into.read(0x3FFF000, 4))).isEqualTo("last");
                assertThat(into.residentBytes()).isBetween(2 * 4096L, 2 * (2L << 20));
            }
        }
    }

    @Test
    void aFlippedByteAnywhereInMemoryIsCaughtByItsChecksum() throws IOException {
        Path f = saved(false);
        flip(f, Files.size(f) - 4096 - 40); // inside the last memory run
        assertThatThrownBy(() -> StateFile.read(f, memory(), DEMO))
                .isInstanceOf(StateFileException.class)
                .hasMessageContaining("memory")
                .hasMessageContaining("checksum");
    }

    @Test
    void aFlippedByteInTheProcessorsSectionIsRefusedBeforeItIsUsed() throws IOException {
        Path f = saved(false);
        byte[] all = Files.readAllBytes(f);
        int at = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("\"rip\"");
        flip(f, at + 8);
        assertThatThrownBy(() -> StateFile.read(f, memory(), DEMO))
                .isInstanceOf(StateFileException.class)
                .hasMessageContaining("partition");
    }

    @Test
    void aTruncatedFileIsRefused() throws IOException {
        Path f = saved(true);
        try (var raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 100);
        }
        assertThatThrownBy(() -> StateFile.read(f, memory(), DEMO))
                .isInstanceOf(StateFileException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void aStateOfAnotherVmOrShapeIsRefused() throws IOException {
        Path f = saved(false);
        assertThatThrownBy(() -> StateFile.read(f, memory(), new StateFile.Expected("other", 1, MEMORY)))
                .isInstanceOf(StateFileException.class)
                .hasMessageContaining("'demo', not of 'other'");
        assertThatThrownBy(() -> StateFile.read(f, memory(), new StateFile.Expected("demo", 2, MEMORY)))
                .isInstanceOf(StateFileException.class)
                .hasMessageContaining("1 processors");
    }

    @Test
    void anotherFormatVersionOrAForeignFileIsRefused() throws IOException {
        Path f = saved(false);
        try (var raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(StateFile.MAGIC.length);
            raf.writeInt(StateFile.FORMAT_VERSION + 1);
        }
        assertThatThrownBy(() -> StateFile.read(f, memory(), DEMO))
                .isInstanceOf(StateFileException.class)
                .hasMessageContaining("format " + (StateFile.FORMAT_VERSION + 1));
        Path foreign = Files.writeString(dir.resolve("x.vmrs"), "not a state at all, but long enough to have a header");
        assertThatThrownBy(() -> StateFile.read(foreign, memory(), DEMO))
                .isInstanceOf(StateFileException.class)
                .hasMessageContaining("not a Viridian saved state");
    }

    @Test
    void aSaveThatFailsLeavesNoFileAndKeepsTheOldOne() throws IOException {
        Path f = saved(false);
        byte[] before = Files.readAllBytes(f);
        GuestMemory closed = GuestMemory.allocate(MEMORY);
        closed.close(); // reading its pages fails half-way through the save
        assertThatThrownBy(() -> StateFile.write(f, state("demo"), closed, StateFile.Options.DEFAULT, p -> {}))
                .isInstanceOf(RuntimeException.class);
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("demo.vmrs");
        }
    }

    private static void flip(Path f, long at) throws IOException {
        try (var raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x40);
        }
    }
}
