package org.viridian.machine.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;
import org.viridian.partition.memory.GuestMemory;

/**
 * The saved-state file: {@link #MAGIC}, the format version, then sections — each a name, its own version, flags, the
 * payload's length, the payload and the payload's CRC-32C — ending with the section {@code end}. See the package
 * comment for why it is built this way.
 */
public final class StateFile {
    static final byte[] MAGIC = "VIRIDIAN-VMRS\r\n\u001a".getBytes(StandardCharsets.ISO_8859_1);
    public static final int FORMAT_VERSION = 1;
    static final int PAGE = 4096;
    /** Pages per memory run at most: bounds the copy buffer, not the file (runs simply follow each other). */
    private static final int RUN_PAGES = 256;

    private static final int FLAG_DEFLATED = 1;
    /** A JSON section larger than this is not ours (they hold registers and small device state). */
    private static final int MAX_JSON = 64 << 20;

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private StateFile() {}

    /** How a state is written: {@code deflate} trades save time for a smaller file. */
    public record Options(boolean deflate) {
        public static final Options DEFAULT = new Options(false);
    }

    /**
     * Writes {@code state} and the guest's memory to {@code file} (through a temporary file renamed into place, so an
     * interrupted save leaves either the whole file or none); {@code progress} hears the memory bytes scanned so far.
     * Returns the file's size.
     */
    public static long write(Path file, MachineState state, GuestMemory memory, Options options, LongConsumer progress)
            throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            var w = new SectionWriter(ch);
            w.raw(MAGIC);
            w.raw(ByteBuffer.allocate(4).putInt(FORMAT_VERSION).array());
            w.json("header", state.header());
            w.json("partition", state.partition());
            w.json("hypervisor", state.hypervisor());
            w.json("vmbus", state.vmbus());
            w.json("devices", state.devices());
            w.section("memory", options.deflate() ? FLAG_DEFLATED : 0, out -> {
                OutputStream o = options.deflate() ? new DeflaterOutputStream(out, new Deflater(1), 1 << 16) : out;
                writeMemory(new DataOutputStream(o), memory, progress, options.deflate() ? null : out);
                o.flush();
                if (o instanceof DeflaterOutputStream d) d.finish();
            });
            w.section("end", 0, out -> {});
            w.flush();
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return Files.size(file);
    }

    /**
     * Guest memory as runs of non-zero pages: (gpa, page count, pages), ended by a run of 0 pages at gpa -1. Only pages
     * the memory says may be non-zero are looked at: the rest were never touched (see GuestMemory#possiblyNonZeroPages).
     */
    /** {@code direct}: the section's output, when pages are stored as they are (written from guest memory itself). */
    private static void writeMemory(
            DataOutputStream out, GuestMemory memory, LongConsumer progress, SectionWriter.Output direct)
            throws IOException {
        byte[] buf = direct == null ? new byte[RUN_PAGES * PAGE] : null;
        MemorySegment zero = MemorySegment.ofArray(new byte[PAGE]);
        long done = 0;
        for (GuestMemory.Region r : memory.regions()) {
            MemorySegment host = r.host();
            java.util.BitSet candidates = memory.possiblyNonZeroPages(r);
            long pages = r.size() / PAGE;
            long p = candidates.nextSetBit(0);
            while (p >= 0 && p < pages) {
                if (zero.mismatch(host.asSlice(p * PAGE, PAGE)) == -1) {
                    p = candidates.nextSetBit((int) p + 1);
                    continue;
                }
                long start = p;
                while (p < pages
                        && p - start < RUN_PAGES
                        && candidates.get((int) p)
                        && zero.mismatch(host.asSlice(p * PAGE, PAGE)) != -1) p++;
                int n = (int) (p - start);
                out.writeLong(r.gpa() + start * PAGE);
                out.writeInt(n);
                if (direct != null) direct.write(host.asSlice(start * PAGE, (long) n * PAGE));
                else {
                    MemorySegment.copy(host, ValueLayout.JAVA_BYTE, start * PAGE, buf, 0, n * PAGE);
                    out.write(buf, 0, n * PAGE);
                }
                progress.accept(done + p * PAGE);
                if (p < pages) p = candidates.nextSetBit((int) p);
            }
            done += r.size();
            progress.accept(done);
        }
        out.writeLong(-1);
        out.writeInt(0);
    }

    /** Reads only the header: whose state this is (for listings and checks before a VM is built). */
    public static StateHeader readHeader(Path file) throws IOException {
        try (var r = new SectionReader(file)) {
            return r.json("header", StateHeader.class);
        }
    }

    /**
     * Reads a state into {@code memory} (a fresh VM's, all zero) and returns the rest, after checking that the file
     * is whole, uncorrupted, of this format and {@code expected}'s VM. Throws {@link StateFileException} otherwise;
     * the memory may then hold part of the state and must be thrown away with its VM.
     */
    public static MachineState read(Path file, GuestMemory memory, Expected expected) throws IOException {
        return read(file, memory, expected, nanos -> {});
    }

    /** As above; {@code memoryNanos} hears how long the memory section took (the rest is the state's parsing). */
    public static MachineState read(Path file, GuestMemory memory, Expected expected, LongConsumer memoryNanos)
            throws IOException {
        try (var r = new SectionReader(file)) {
            StateHeader header = r.json("header", StateHeader.class);
            header.requireFits(expected.vmName(), expected.cpus(), expected.memoryBytes());
            var partition = r.json("partition", org.viridian.partition.state.PartitionSnapshot.class);
            var hypervisor = r.json("hypervisor", org.viridian.hv.Hypervisor.State.class);
            var vmbus = r.json("vmbus", org.viridian.vmbus.server.VmbusState.class);
            var devices = r.json("devices", MachineState.Devices.class);
            long t0 = System.nanoTime();
            r.section("memory", (flags, in) -> {
                if ((flags & FLAG_DEFLATED) != 0)
                    readMemory(
                            new DataInputStream(new InflaterInputStream(in, new java.util.zip.Inflater(), 1 << 16)),
                            memory,
                            null);
                else readMemory(new DataInputStream(in), memory, in);
            });
            memoryNanos.accept(System.nanoTime() - t0);
            r.section("end", (flags, in) -> {});
            if (partition == null || devices == null)
                throw new StateFileException("the saved state lacks its processors");
            return new MachineState(header, partition, hypervisor, vmbus, devices);
        }
    }

    /** The VM a state must be of. */
    public record Expected(String vmName, int cpus, long memoryBytes) {}

    /**
     * {@code direct}: the payload {@code in} reads, when the pages are stored as they are: they go from the file
     * straight into guest memory (one copy, where a deflated section needs a buffer in between).
     */
    private static void readMemory(DataInputStream in, GuestMemory memory, Payload direct) throws IOException {
        byte[] buf = direct == null ? new byte[RUN_PAGES * PAGE] : null;
        while (true) {
            long gpa = in.readLong();
            int n = in.readInt();
            if (gpa == -1 && n == 0) return;
            if (n <= 0 || n > RUN_PAGES || (gpa & (PAGE - 1)) != 0 || !memory.contains(gpa, (long) n * PAGE))
                throw new StateFileException(String.format("memory run at 0x%x (%d pages) is outside this VM", gpa, n));
            MemorySegment into = memory.slice(gpa, (long) n * PAGE);
            if (direct != null) direct.readFully(into);
            else {
                in.readFully(buf, 0, n * PAGE);
                MemorySegment.copy(buf, 0, into, ValueLayout.JAVA_BYTE, 0, n * PAGE);
            }
        }
    }

    /** Writes sections, patching each one's length once its payload is out. */
    private static final class SectionWriter {
        private final FileChannel ch;
        private final BufferedOutputStream out;

        SectionWriter(FileChannel ch) {
            this.ch = ch;
            this.out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
        }

        void raw(byte[] b) throws IOException {
            out.write(b);
        }

        void json(String name, Object value) throws IOException {
            byte[] b = JSON.writeValueAsBytes(value);
            section(name, 0, o -> o.write(b));
        }

        interface Payload {
            void writeTo(Output out) throws IOException;
        }

        /** One section's payload as it is written: summed and counted. */
        final class Output extends OutputStream {
            private final CRC32C crc = new CRC32C();
            private long length;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                crc.update(b, off, len);
                length += len;
                out.write(b, off, len);
            }

            /** Writes {@code from} (off-heap) to the file itself: no copy through the heap. */
            void write(MemorySegment from) throws IOException {
                out.flush();
                ByteBuffer b = from.asByteBuffer();
                crc.update(b.duplicate());
                length += from.byteSize();
                while (b.hasRemaining()) ch.write(b);
            }
        }

        void section(String name, int flags, Payload payload) throws IOException {
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            var head = ByteBuffer.allocate(2 + n.length + 4 + 4);
            head.putShort((short) n.length).put(n).putInt(1).putInt(flags);
            out.write(head.array());
            out.flush();
            long lengthAt = ch.position();
            out.write(new byte[8]);
            Output counted = new Output();
            payload.writeTo(counted);
            out.write(
                    ByteBuffer.allocate(4).putInt((int) counted.crc.getValue()).array());
            out.flush();
            ch.write(ByteBuffer.allocate(8).putLong(0, counted.length), lengthAt);
        }

        void flush() throws IOException {
            out.flush();
        }
    }

    /** Reads sections in order, each checked against its CRC-32C before (JSON) or right after (memory) it is used. */
    private static final class SectionReader implements AutoCloseable {
        private final ChannelInput raw;
        private final DataInputStream in;

        SectionReader(Path file) throws IOException {
            this.raw = new ChannelInput(FileChannel.open(file, StandardOpenOption.READ), 1 << 20);
            this.in = new DataInputStream(raw);
            try {
                byte[] magic = new byte[MAGIC.length];
                in.readFully(magic);
                if (!Arrays.equals(magic, MAGIC)) throw new StateFileException(file + " is not a Viridian saved state");
                int version = in.readInt();
                if (version != FORMAT_VERSION) {
                    throw new StateFileException(
                            "saved-state format " + version + " is not this Viridian's (" + FORMAT_VERSION + ")");
                }
            } catch (EOFException e) {
                in.close();
                throw new StateFileException(file + " is truncated", e);
            } catch (IOException e) {
                in.close();
                throw e;
            }
        }

        <T> T json(String name, Class<T> type) throws IOException {
            Object[] value = new Object[1];
            section(name, (flags, payload) -> {
                byte[] b = payload.readNBytes(MAX_JSON + 1);
                if (b.length > MAX_JSON) throw new StateFileException("section " + name + " is too large");
                payload.verify();
                try {
                    value[0] = JSON.readValue(b, type);
                } catch (IOException | RuntimeException e) {
                    throw new StateFileException("section " + name + " does not parse: " + e.getMessage(), e);
                }
            });
            return type.cast(value[0]);
        }

        interface Consumer {
            void accept(int flags, Payload payload) throws IOException;
        }

        void section(String expected, Consumer consumer) throws IOException {
            try {
                int nameLength = in.readUnsignedShort();
                if (nameLength > 64) throw new StateFileException("damaged section header before " + expected);
                String name = new String(in.readNBytes(nameLength), StandardCharsets.US_ASCII);
                if (!name.equals(expected))
                    throw new StateFileException("expected section " + expected + ", found '" + name + "'");
                int version = in.readInt();
                if (version != 1)
                    throw new StateFileException("section " + name + " version " + version + " is unknown");
                int flags = in.readInt();
                long length = in.readLong();
                if (length < 0) throw new StateFileException("section " + name + " has a negative length");
                var payload = new Payload(in, raw, length, name);
                consumer.accept(flags, payload);
                payload.verify();
            } catch (EOFException e) {
                throw new StateFileException("the saved state is truncated (in section " + expected + ")", e);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** One section's payload: at most its length, summed as it is read; {@link #verify} reads the stored sum. */
    private static final class Payload extends InputStream {
        private final DataInputStream in;
        private final ChannelInput raw;
        private final String name;
        private final CRC32C crc = new CRC32C();
        private long left;
        private boolean verified;

        Payload(DataInputStream in, ChannelInput raw, long length, String name) {
            this.in = in;
            this.raw = raw;
            this.left = length;
            this.name = name;
        }

        /** Fills {@code into} (off-heap) from the file, summed as it goes; no copy through the heap. */
        void readFully(MemorySegment into) throws IOException {
            if (into.byteSize() > left) throw new EOFException();
            raw.readFully(into);
            crc.update(into.asByteBuffer());
            left -= into.byteSize();
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException();
            crc.update(b, off, n);
            left -= n;
            return n;
        }

        /** Reads whatever the consumer left, then the stored CRC; throws unless they agree. */
        void verify() throws IOException {
            if (verified) return;
            byte[] skip = new byte[8192];
            while (left > 0) read(skip, 0, (int) Math.min(skip.length, left));
            int stored = in.readInt();
            if (stored != (int) crc.getValue())
                throw new StateFileException("section " + name + " is corrupt (checksum mismatch)");
            verified = true;
        }
    }
}
