package org.viridian.guests;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The freestanding test guests built by {@code guests/src/main/c}, packaged as classpath resources
 * {@code /guests/<name>}. The guest ABI (boot protocol, ports, exit values) is described in
 * {@code guests/README.md}.
 */
public final class TestGuests {
    /** Prints a greeting, the command line and the memory size; exits with {@link #EXIT_STATUS_PASS}. */
    public static final String HELLO = "hello.elf";
    /** Starts every AP listed in the MADT; prints {@code cpus online: N}. */
    public static final String SMP = "smp.elf";
    /** Integer hash loop at CPL3; command line {@code iters=N}. */
    public static final String CPL3 = "cpl3.elf";
    /** Exceptions from CPL3, INT 0x80, LAPIC timer interrupt. */
    public static final String EXCEPTIONS = "exceptions.elf";
    /** ACPI S5 power-off through PM1a_CNT (port 0x604); no debug-exit write. */
    public static final String POWEROFF = "poweroff.elf";
    /** Triple-faults on purpose; the VMM must report a crash. */
    public static final String FAULT = "fault.elf";
    /** N 4-byte OUTs to the bench port 0xE0 from CPL3; command line {@code n=N}. */
    public static final String BENCH_PIO = "bench-pio.elf";
    /** The Hyper-V interface from the guest side (needs the host's diagnostic echo: viridian run --hv-echo). */
    public static final String HYPERV = "hyperv.elf";
    /** CPL3 hypercall loop for viridian bench hypercalls. */
    public static final String BENCH_HV = "bench-hv.elf";
    /** VMBus from the guest side: negotiation, offers, GPADLs, the integration services, the echo channel
     *  (viridian run --vmbus-echo); {@code hostile=1} damages channels on purpose, {@code shutdown=1} awaits the host's
     *  graceful shutdown request. */
    public static final String VMBUS = "vmbus.elf";
    /** CPL3 ring round trips against the echo channel for viridian bench vmbus; {@code n=N size=S}. */
    public static final String BENCH_VMBUS = "bench-vmbus.elf";
    /** Synthetic SCSI from the guest side: handshake, INQUIRY, READ CAPACITY, a pattern written at {@code lba=L}
     *  (64 blocks of "VIRIDIAN lba=n" + bytes (n + i) &amp; 0xFF), read back, sense data for errors; {@code hostile=1}.
     * */
    public static final String STORAGE = "storage.elf";
    /** CPL3 synthetic-SCSI I/O for viridian bench storvsp; {@code n=N bs=B random=0|1 write=0|1 span=MiB}. */
    public static final String BENCH_STORVSP = "bench-storvsp.elf";
    /** Counts {@code ticks=N} LAPIC-timer ticks of {@code ms=M}, one StorVSP block written per tick, all read back at the
     *  end: the guest that save/restore tests save and resume half-way ("tick n" lines on the console). */
    public static final String COUNTER = "counter.elf";
    /** Host program: the raw C/KVM baseline running {@link #BENCH_PIO}. */

    /** Value a guest writes to the debug-exit port 0xF4 on success. */
    public static final int EXIT_PASS = 0x10;
    /** Host exit status QEMU's isa-debug-exit gives for {@link #EXIT_PASS}: {@code (0x10 << 1) | 1}. */
    public static final int EXIT_STATUS_PASS = (EXIT_PASS << 1) | 1;

    private static final String ROOT = "/guests/";

    private TestGuests() {}

    /** Names of all packaged images (guest ELFs and host tools), as listed by the build. */
    public static List<String> names() {
        return new String(bytes("index.txt"), StandardCharsets.UTF_8)
                .lines()
                .filter(s -> !s.isBlank())
                .toList();
    }

    /** Opens a packaged image; the caller closes the stream. */
    public static InputStream open(String name) {
        InputStream in = TestGuests.class.getResourceAsStream(ROOT + name);
        if (in == null) {
            throw new IllegalArgumentException(
                    "no test guest " + name + " on the classpath (known: " + ROOT + "index.txt)");
        }
        return in;
    }

    /** The bytes of a packaged image. */
    public static byte[] bytes(String name) {
        try (InputStream in = open(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies a packaged image to a new temporary file (executable, deleted on JVM exit) and returns its path, for
     * tools that want a file: the VMM's loaders, QEMU, the C baseline of `viridian bench exits`.
     */
    public static Path extract(String name) {
        try {
            Path p = Files.createTempFile(
                    "viridian-guest-",
                    "-" + name,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            p.toFile().deleteOnExit();
            Files.write(p, bytes(name));
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a packaged image into {@code dir} under its own name (executable) and returns the path. */
    public static Path extract(String name, Path dir) {
        try {
            Path p = dir.resolve(name);
            Files.write(p, bytes(name));
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
