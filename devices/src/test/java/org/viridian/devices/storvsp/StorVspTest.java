package org.viridian.devices.storvsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.devices.scsi.Sense;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.devices.storvsp.protocol.VmscsiRequest;
import org.viridian.devices.storvsp.protocol.VstorOperation;
import org.viridian.devices.storvsp.protocol.VstorStatus;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.QemuImg;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import org.viridian.vmbus.ring.Packet;

/** StorVSP driven the way hv_storvsc drives it, over real rings in real guest memory, on real VHDX files. */
class StorVspTest {
    private static final long DISK = 64L << 20, DATA = 0x200000, OTHER = 0x400000;

    @TempDir
    Path dir;

    private Path vhdx;
    private StorvscPlayer guest;

    @BeforeEach
    void setUp() throws Exception {
        vhdx = dir.resolve("disk.vhdx");
        Images.create(vhdx, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, DISK, 0, null));
        guest = new StorvscPlayer();
        guest.vsp.addDisk(0, Images.open(vhdx, false), false, TokenBucket.unlimited());
    }

    @AfterEach
    void tearDown() throws Exception {
        guest.close();
    }

    @Test
    void theHandshakeNegotiatesTheNewestVersionAndAnswersProperties() {
        assertThat(guest.control(VstorOperation.EXECUTE_SRB.code()))
                .as("an SRB before initialization")
                .isEqualTo(VstorStatus.INVALID_DEVICE_REQUEST.code());
        assertThat(guest.control(VstorOperation.BEGIN_INITIALIZATION.code())).isZero();
        ByteBuffer v = StorvscPlayer.packet(VstorOperation.QUERY_PROTOCOL_VERSION.code());
        v.putShort(12, (short) 0x0703);
        assertThat(guest.call(v, new byte[0]).getInt(8))
                .as("an unknown version")
                .isEqualTo(VstorStatus.REVISION_MISMATCH.code());
        v.putShort(12, (short) 0x0602);
        assertThat(guest.call(v, new byte[0]).getInt(8)).isZero();
        ByteBuffer props = guest.call(StorvscPlayer.packet(VstorOperation.QUERY_PROPERTIES.code()), new byte[0]);
        assertThat(props.getInt(12 + 12)).as("max transfer bytes").isEqualTo(2 << 20);
        assertThat(props.getInt(12 + 8) & 1).as("multi-channel").isEqualTo(1);
        assertThat(props.getShort(12 + 4)).as("max sub-channels").isEqualTo((short) 2);
        assertThat(guest.control(VstorOperation.END_INITIALIZATION.code())).isZero();
        assertThat(guest.control(99)).isEqualTo(VstorStatus.INVALID_DEVICE_REQUEST.code());
    }

    @Test
    void aPatternWrittenThroughTheVspIsInTheFileAsQemuImgReadsIt() throws Exception {
        guest.handshake();
        byte[] pattern = new byte[64 * 1024];
        new Random(7).nextBytes(pattern);
        guest.memory.write(DATA, pattern);
        StorvscPlayer.Srb w = guest.scsi(0, StorvscPlayer.rw10(true, 2048, 128), false, DATA, pattern.length);
        assertThat(w.srbStatus()).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(w.transferred()).isEqualTo(pattern.length);
        assertThat(guest.scsi(0, new byte[] {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false, 0, 0)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        // READ(16) into a buffer that starts mid-page.
        byte[] read16 = new byte[16];
        read16[0] = (byte) 0x88;
        read16[8] = 0x08; // LBA 2048
        read16[13] = (byte) 128;
        assertThat(guest.scsi(0, read16, true, OTHER + 100, pattern.length).srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(guest.memory.read(OTHER + 100, pattern.length)).isEqualTo(pattern);
        // The disk's counters saw one write, one read (64 KiB each) and the SYNCHRONIZE CACHE apart.
        DiskCounters.Snapshot io = guest.vsp.diskCounters().get(0);
        assertThat(io.write().requests()).isEqualTo(1);
        assertThat(io.write().bytes()).isEqualTo(pattern.length);
        assertThat(io.read().requests()).isEqualTo(1);
        assertThat(io.read().bytes()).isEqualTo(pattern.length);
        assertThat(io.read().errors()).isZero();
        assertThat(io.otherCommands()).isEqualTo(1);
        assertThat(io.read().latencyNanos()).isPositive();
        assertThat(Arrays.stream(io.read().latencyBuckets()).sum()).isEqualTo(1);

        guest.vsp.close(); // closes the image
        try (DiskImage img = Images.open(vhdx, true)) {
            ByteBuffer b = ByteBuffer.allocate(pattern.length);
            img.read(b, 2048L * 512);
            assertThat(b.array()).isEqualTo(pattern);
        }
        QemuImg.require();
        Path raw = dir.resolve("disk.raw");
        QemuImg.ok("qemu-img", "convert", "-f", "vhdx", "-O", "raw", vhdx.toString(), raw.toString());
        byte[] all = Files.readAllBytes(raw);
        assertThat(Arrays.copyOfRange(all, 2048 * 512, 2048 * 512 + pattern.length))
                .isEqualTo(pattern);
        assertThat(QemuImg.run("qemu-img", "check", "-f", "vhdx", vhdx.toString())
                        .exit())
                .isZero();
    }

    @Test
    void inquiryVpdCapacityAndModePagesDescribeTheDisk() throws Exception {
        guest.handshake();
        assertThat(guest.scsi(0, new byte[] {0x12, 0, 0, 0, 36, 0}, true, DATA, 36)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        byte[] inq = guest.memory.read(DATA, 36);
        assertThat(inq[0]).isZero();
        assertThat(new String(inq, 8, 24)).isEqualTo("Msft    Virtual Disk    ");
        guest.scsi(0, new byte[] {0x12, 1, 0, 0, (byte) 255, 0}, true, DATA, 255);
        assertThat(guest.memory.read(DATA + 4, 6))
                .containsExactly(0x00, (byte) 0x80, (byte) 0x83, (byte) 0xB0, (byte) 0xB1, (byte) 0xB2);
        guest.scsi(0, new byte[] {0x12, 1, (byte) 0xB0, 0, 64, 0}, true, DATA, 64);
        assertThat(ByteBuffer.wrap(guest.memory.read(DATA + 8, 4)).getInt())
                .as("max transfer blocks")
                .isEqualTo(16384);
        byte[] cap16 = new byte[16];
        cap16[0] = (byte) 0x9E;
        cap16[1] = 0x10;
        cap16[13] = 32;
        guest.scsi(0, cap16, true, DATA, 32);
        ByteBuffer cap = ByteBuffer.wrap(guest.memory.read(DATA, 32));
        assertThat(cap.getLong(0)).isEqualTo(DISK / 512 - 1);
        assertThat(cap.getInt(8)).isEqualTo(512);
        assertThat(cap.get(14) & 0x80).as("LBPME").isNotZero();
        guest.scsi(0, new byte[] {0x1A, 0, 0x08, 0, 24, 0}, true, DATA, 24);
        byte[] mode = guest.memory.read(DATA, 24);
        assertThat(mode[2] & 0x80).as("not write-protected").isZero();
        assertThat(mode[4]).isEqualTo((byte) 0x08);
        assertThat(mode[6] & 0x04).as("write cache enabled").isNotZero();

        // A read-only disk says so and refuses writes with DATA PROTECT.
        Path ro = dir.resolve("ro.vhdx");
        Images.create(ro, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 8L << 20, 0, null));
        guest.vsp.addDisk(1, Images.open(ro, true), true, TokenBucket.unlimited());
        guest.poll(); // the ENUMERATE_BUS that announces it
        guest.scsi(1, new byte[] {0x5A, 0, 0x3F, 0, 0, 0, 0, 0, 32, 0}, true, DATA, 32);
        assertThat(guest.memory.read(DATA, 4)[3] & 0x80).as("WP").isNotZero();
        StorvscPlayer.Srb w = guest.scsi(1, StorvscPlayer.rw10(true, 0, 1), false, DATA, 512);
        assertThat(w.senseKey()).isEqualTo(Sense.DATA_PROTECT);
        // REPORT LUNS lists both.
        byte[] report = {(byte) 0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0};
        assertThat(guest.scsi(0, report, true, DATA, 64).srbStatus()).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        byte[] luns = guest.memory.read(DATA, 24);
        assertThat(luns[3]).isEqualTo((byte) 16);
        assertThat(luns[9]).isEqualTo((byte) 0);
        assertThat(luns[17]).isEqualTo((byte) 1);
    }

    @Test
    void badCommandsEndInCheckConditionWithTheRightSense() {
        guest.handshake();
        StorvscPlayer.Srb past = guest.scsi(0, StorvscPlayer.rw10(false, DISK / 512 - 1, 2), true, DATA, 1024);
        assertThat(past.srbStatus()).isEqualTo(VmscsiRequest.SRB_ERROR | VmscsiRequest.SRB_AUTOSENSE_VALID);
        assertThat(past.scsiStatus()).isEqualTo(2);
        assertThat(past.senseKey()).isEqualTo(Sense.ILLEGAL_REQUEST);
        assertThat(past.asc()).isEqualTo(0x21);
        assertThat(guest.scsi(0, new byte[] {(byte) 0xC7, 0, 0, 0, 0, 0}, false, 0, 0)
                        .asc())
                .isEqualTo(0x20);
        assertThat(guest.scsi(0, new byte[] {0x12, 0, (byte) 0x80, 0, 36, 0}, true, DATA, 36)
                        .asc())
                .as("page without EVPD")
                .isEqualTo(0x24);
        assertThat(guest.scsi(0, new byte[] {0x12, 0}, true, DATA, 36).asc())
                .as("a short CDB")
                .isEqualTo(0x24);
        // REQUEST SENSE returns the last sense.
        guest.scsi(0, new byte[] {0x03, 0, 0, 0, 18, 0}, true, DATA, 18);
        assertThat(guest.memory.read(DATA, 18)[12]).isEqualTo((byte) 0x24);
        assertThat(guest.scsi(5, new byte[] {0x00, 0, 0, 0, 0, 0}, false, 0, 0).srbStatus())
                .as("no LUN 5")
                .isEqualTo(VmscsiRequest.SRB_INVALID_LUN);
        // INQUIRY of a missing LUN succeeds and says "no device here" in the data (Linux reads it whatever the status).
        guest.memory.write(DATA, new byte[36]);
        assertThat(guest.scsi(5, new byte[] {0x12, 0, 0, 0, 36, 0}, true, DATA, 36)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(guest.memory.read(DATA, 1)[0]).isEqualTo((byte) 0x7F);
        // A transfer length shorter than the CDB asks for.
        assertThat(guest.scsi(0, StorvscPlayer.rw10(false, 0, 8), true, DATA, 512)
                        .asc())
                .isEqualTo(0x24);
    }

    @Test
    void writeSameWithUnmapZeroesAndUnmapChecksItsDescriptors() {
        guest.handshake();
        byte[] ones = new byte[8192];
        Arrays.fill(ones, (byte) 0xA5);
        guest.memory.write(DATA, ones);
        guest.scsi(0, StorvscPlayer.rw10(true, 4096, 16), false, DATA, 8192);
        guest.memory.write(OTHER, new byte[512]);
        byte[] ws16 = new byte[16];
        ws16[0] = (byte) 0x93;
        ws16[1] = 0x08; // UNMAP
        ws16[8] = 0x10; // LBA 4096
        ws16[13] = 16;
        assertThat(guest.scsi(0, ws16, false, OTHER, 512).srbStatus()).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        guest.scsi(0, StorvscPlayer.rw10(false, 4096, 16), true, DATA, 8192);
        assertThat(guest.memory.read(DATA, 8192)).containsOnly(0);

        ByteBuffer list = ByteBuffer.allocate(24);
        list.putShort(0, (short) 22).putShort(2, (short) 16).putLong(8, 0).putInt(16, 2048);
        guest.memory.write(OTHER, list.array());
        assertThat(guest.scsi(0, new byte[] {0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0}, false, OTHER, 24)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        list.putLong(8, DISK / 512); // past the end
        guest.memory.write(OTHER, list.array());
        assertThat(guest.scsi(0, new byte[] {0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0}, false, OTHER, 24)
                        .asc())
                .isEqualTo(0x21);
        list.putShort(2, (short) 15); // not a multiple of 16
        guest.memory.write(OTHER, list.array());
        assertThat(guest.scsi(0, new byte[] {0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0}, false, OTHER, 24)
                        .asc())
                .isEqualTo(0x26);
    }

    @Test
    void hostileRequestsFailAloneAndADamagedRangeListClosesOnlyThisChannel() {
        guest.handshake();
        // Data pages outside the guest's 64 MiB.
        StorvscPlayer.Srb outside =
                guest.scsi(0, StorvscPlayer.rw10(false, 0, 2), true, new long[] {1L << 30, (1L << 30) + 1}, 0, 1024);
        assertThat(outside.srbStatus()).isEqualTo(VmscsiRequest.SRB_INVALID_REQUEST);
        // A CDB length of 17.
        ByteBuffer v = StorvscPlayer.srbPacket(0, new byte[16], true, 0);
        v.put(StorvscPlayer.SRB + StorvscPlayer.CDB_LENGTH, (byte) 17);
        assertThat(StorvscPlayer.srb(guest.call(v, new byte[0])).srbStatus())
                .isEqualTo(VmscsiRequest.SRB_INVALID_REQUEST);
        // The next good request works.
        assertThat(guest.scsi(0, StorvscPlayer.rw10(false, 0, 1), true, DATA, 512)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(guest.failures).isEmpty();
        // A range list claiming 1000 ranges in a 24-byte header: the channel is failed, nothing is answered.
        byte[] headers = new byte[24];
        ByteBuffer.wrap(headers).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, 1000);
        guest.vspWriteRaw(
                Packet.DATA_USING_GPA_DIRECT,
                headers,
                StorvscPlayer.srbPacket(0, StorvscPlayer.rw10(false, 0, 1), true, 512)
                        .array());
        assertThat(guest.failures).singleElement().asString().contains("ranges");
        assertThat(guest.poll()).isEmpty();
    }

    @Test
    void disksComeAndGoWhileTheGuestRuns() throws Exception {
        guest.handshake();
        Path second = dir.resolve("second.vhdx");
        Images.create(second, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 8L << 20, 0, null));
        guest.vsp.addDisk(1, Images.open(second, false), false, TokenBucket.unlimited());
        Packet rescan = guest.await();
        assertThat(rescan.type()).isEqualTo(Packet.DATA_INBAND);
        assertThat(ByteBuffer.wrap(rescan.data())
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .getInt(0))
                .isEqualTo(VstorOperation.ENUMERATE_BUS.code());
        assertThat(guest.scsi(1, new byte[6], false, 0, 0).srbStatus()).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        guest.vsp.removeDisk(1);
        assertThat(ByteBuffer.wrap(guest.await().data())
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .getInt(0))
                .isEqualTo(VstorOperation.ENUMERATE_BUS.code());
        assertThat(guest.scsi(1, new byte[6], false, 0, 0).srbStatus()).isEqualTo(VmscsiRequest.SRB_INVALID_LUN);
        assertThat(guest.scsi(0, new byte[6], false, 0, 0).srbStatus()).isEqualTo(VmscsiRequest.SRB_SUCCESS);
    }

    @Test
    void ioLimitsHoldADiskToItsRate() throws Exception {
        guest.handshake();
        Path limited = dir.resolve("limited.vhdx");
        Images.create(limited, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 8L << 20, 0, null));
        guest.vsp.addDisk(1, Images.open(limited, false), false, new TokenBucket(20, 0));
        guest.await(); // rescan
        long t0 = System.nanoTime();
        for (int i = 0; i < 30; i++) guest.scsi(1, StorvscPlayer.rw10(false, i, 1), true, DATA, 512);
        double seconds = (System.nanoTime() - t0) / 1e9;
        // 20 IOPS with a one-second burst: 30 requests need at least half a second more.
        assertThat(seconds).isGreaterThan(0.45);
    }

    /**
     * A guest's queue depth is served in parallel: reads that each wait until all of them are in the disk at once
     * complete only when the VSP runs that many of one disk's commands together.
     */
    @Test
    void commandsOfOneDiskRunInParallel() throws Exception {
        guest.handshake();
        Path gated = dir.resolve("gated.vhdx");
        Images.create(gated, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 8L << 20, 0, null));
        java.util.concurrent.CountDownLatch together =
                new java.util.concurrent.CountDownLatch(StorVsp.WORKERS_PER_DISK);
        guest.vsp.addDisk(1, new GatedReads(Images.open(gated, false), together), false, TokenBucket.unlimited());
        guest.await(); // rescan
        java.util.Set<Long> sent = new java.util.HashSet<>();
        guest.batch(() -> {
            for (int i = 0; i < StorVsp.WORKERS_PER_DISK; i++)
                sent.add(guest.submitScsi(1, StorvscPlayer.rw10(false, i, 1), true, DATA + 4096L * i, 512));
        });
        java.util.Set<Long> done = new java.util.HashSet<>();
        for (int i = 0; i < StorVsp.WORKERS_PER_DISK; i++) {
            Packet p = guest.await();
            assertThat(StorvscPlayer.srb(ByteBuffer.wrap(p.data()).order(java.nio.ByteOrder.LITTLE_ENDIAN))
                            .srbStatus())
                    .as("read %d of %d, all in the disk at once", i + 1, StorVsp.WORKERS_PER_DISK)
                    .isEqualTo(VmscsiRequest.SRB_SUCCESS);
            done.add(p.transactionId());
        }
        assertThat(done).isEqualTo(sent);
    }

    /**
     * A lone small request on an idle disk runs on the thread that pumped it (off a VP's thread: here the test's),
     * with no hand-off to a disk worker; queued together, requests go to the workers (above).
     */
    @Test
    void aLoneSmallRequestRunsWhereItWasPumped() throws Exception {
        guest.handshake();
        Path plain = dir.resolve("plain.vhdx");
        Images.create(plain, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 8L << 20, 0, null));
        java.util.List<String> readers = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.viridian.storage.BlockDevice disk = Images.open(plain, false);
        guest.vsp.addDisk(1, new ReaderThreads(disk, readers), false, TokenBucket.unlimited());
        guest.await(); // rescan
        assertThat(guest.scsi(1, StorvscPlayer.rw10(false, 0, 1), true, DATA, 512)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(readers).containsExactly(Thread.currentThread().getName());
        // Rate-limited, the same request goes to a worker (its wait must not hold up the pump).
        guest.vsp.setLimits(1, new TokenBucket.Limits(1000, 0));
        assertThat(guest.scsi(1, StorvscPlayer.rw10(false, 1, 1), true, DATA, 512)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(readers.getLast()).startsWith("storvsp-lun1-");
    }

    /** A disk in front of another: everything but reads goes straight through. */
    private interface ReadHook extends org.viridian.storage.BlockDevice {
        org.viridian.storage.BlockDevice disk();

        @Override
        default long size() {
            return disk().size();
        }

        @Override
        default boolean readOnly() {
            return disk().readOnly();
        }

        @Override
        default void write(ByteBuffer src, long offset) throws java.io.IOException {
            disk().write(src, offset);
        }

        @Override
        default void flush() throws java.io.IOException {
            disk().flush();
        }

        @Override
        default void close() throws java.io.IOException {
            disk().close();
        }
    }

    /** A disk that notes which thread each read runs on. */
    private record ReaderThreads(org.viridian.storage.BlockDevice disk, java.util.List<String> readers)
            implements ReadHook {
        @Override
        public void read(ByteBuffer dst, long offset) throws java.io.IOException {
            readers.add(Thread.currentThread().getName());
            disk.read(dst, offset);
        }
    }

    /** A disk whose reads wait (up to 5 s) until {@code together} reads are in it at the same time. */
    private record GatedReads(org.viridian.storage.BlockDevice disk, java.util.concurrent.CountDownLatch together)
            implements ReadHook {
        @Override
        public void read(ByteBuffer dst, long offset) throws java.io.IOException {
            together.countDown();
            try {
                if (!together.await(5, java.util.concurrent.TimeUnit.SECONDS))
                    throw new java.io.IOException("the disk's reads ran one after another");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
            disk.read(dst, offset);
        }
    }

    @Test
    void aDisksLimitsChangeWhileItServesTheGuest() throws Exception {
        guest.handshake();
        Path limited = dir.resolve("relimited.vhdx");
        Images.create(limited, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 8L << 20, 0, null));
        guest.vsp.addDisk(1, Images.open(limited, false), false, new TokenBucket(1, 0));
        guest.await(); // rescan
        assertThat(guest.vsp.diskLimits()).containsEntry(1, new TokenBucket.Limits(1, 0));
        guest.scsi(1, StorvscPlayer.rw10(false, 0, 1), true, DATA, 512); // the one-second burst
        guest.vsp.setLimits(1, TokenBucket.Limits.NONE);
        assertThat(guest.vsp.diskLimits()).containsEntry(1, TokenBucket.Limits.NONE);
        long t0 = System.nanoTime();
        for (int i = 0; i < 30; i++) guest.scsi(1, StorvscPlayer.rw10(false, i, 1), true, DATA, 512);
        // At the old 1 IOPS these 30 would take 30 s.
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
        assertThatThrownBy(() -> guest.vsp.setLimits(7, TokenBucket.Limits.NONE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void subChannelsAreFurtherQueuesOntoTheSameDisks() {
        guest.handshake();
        ByteBuffer create = StorvscPlayer.packet(VstorOperation.CREATE_SUB_CHANNELS.code());
        create.putShort(12, (short) 2);
        assertThat(guest.call(create, new byte[0]).getInt(8)).isZero();
        assertThat(guest.offered).hasSize(2);
        create.putShort(12, (short) 1);
        assertThat(guest.call(create, new byte[0]).getInt(8))
                .as("beyond the advertised maximum")
                .isEqualTo(VstorStatus.INVALID_PARAMETER.code());

        guest.memory.write(DATA, "through a sub-channel".getBytes());
        guest.useSubChannel(guest.offered.get(1), 0x180);
        assertThat(guest.scsi(0, StorvscPlayer.rw10(true, 100, 1), false, DATA, 512)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(guest.control(VstorOperation.BEGIN_INITIALIZATION.code()))
                .as("the handshake belongs to the primary")
                .isEqualTo(VstorStatus.INVALID_DEVICE_REQUEST.code());
        assertThat(guest.scsi(0, StorvscPlayer.rw10(false, 100, 1), true, OTHER, 512)
                        .srbStatus())
                .isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(new String(guest.memory.read(OTHER, 21))).isEqualTo("through a sub-channel");
        assertThat(guest.vsp.subChannels()).isEqualTo(2);
    }
}
