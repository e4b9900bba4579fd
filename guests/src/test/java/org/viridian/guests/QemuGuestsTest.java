package org.viridian.guests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Boots every guest under QEMU/TCG (the reference implementation of the guest ABI) and checks its serial output and
 * exit status. Skipped with the reason when QEMU is missing and cannot be installed.
 */
class QemuGuestsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final int PASS = TestGuests.EXIT_STATUS_PASS; // 33

    private static Qemu.Result boot(String guest, String append) throws Exception {
        return Qemu.boot(guest, append, 1, TIMEOUT);
    }

    @Test
    void hello() throws Exception {
        Qemu.Result r = boot(TestGuests.HELLO, "console=ttyS0 answer=42");
        assertThat(r.status()).as(r.toString()).isEqualTo(PASS);
        assertThat(r.lines())
                .as(r.toString())
                .contains("Hello from Viridian test guest", "RESULT: PASS")
                .anyMatch(l -> l.startsWith("cmdline: ") && l.endsWith("console=ttyS0 answer=42"))
                .contains("memory: 64 MiB (lower 639 KiB, upper 64380 KiB)");
        assertThat(r.lines()).last().isEqualTo("RESULT: PASS");
    }

    @Test
    void smpStartsAllFourCpus() throws Exception {
        Qemu.Result r = Qemu.boot(TestGuests.SMP, null, 4, TIMEOUT);
        assertThat(r.status()).as(r.toString()).isEqualTo(PASS);
        assertThat(r.lines())
                .as(r.toString())
                .contains(
                        "madt: 4 cpus",
                        "cpu 0 online (apic id 0)",
                        "cpu 1 online (apic id 1)",
                        "cpu 2 online (apic id 2)",
                        "cpu 3 online (apic id 3)",
                        "cpus online: 4",
                        "RESULT: PASS");
    }

    @Test
    void smpWithOneCpu() throws Exception {
        Qemu.Result r = boot(TestGuests.SMP, null);
        assertThat(r.status()).as(r.toString()).isEqualTo(PASS);
        assertThat(r.lines()).as(r.toString()).contains("madt: 1 cpus", "cpus online: 1", "RESULT: PASS");
    }

    @Test
    void cpl3ComputesTheHashAtCpl3() throws Exception {
        int iters = 20_000_000;
        Qemu.Result r = boot(TestGuests.CPL3, "iters=" + iters);
        assertThat(r.status()).as(r.toString()).isEqualTo(PASS);
        assertThat(r.lines())
                .as(r.toString())
                .contains(
                        "switching to CPL3",
                        "cpl: 3",
                        "iterations: " + iters,
                        "hash: " + String.format("%08x", hash(iters)),
                        "back at CPL0",
                        "RESULT: PASS")
                .anyMatch(l -> l.matches("cycles: [1-9][0-9]*"));
    }

    /** The guest's hash_loop, recomputed independently. */
    private static int hash(int iters) {
        int x = 0x12345678;
        for (int i = 0; i < iters; i++) {
            x = x * 0x9E3779B1 + i;
            x ^= x >>> 15;
        }
        return x;
    }

    @Test
    void exceptionsAndInterrupts() throws Exception {
        Qemu.Result r = boot(TestGuests.EXCEPTIONS, null);
        assertThat(r.status()).as(r.toString()).isEqualTo(PASS);
        assertThat(r.lines())
                .as(r.toString())
                .anyMatch(l -> l.startsWith("ok: #DE divide by zero -> vector 0 error 0"))
                .anyMatch(l -> l.startsWith("ok: #GP cli at CPL3 -> vector 13 error 0"))
                .anyMatch(l -> l.startsWith("ok: #GP out to port 0x80 (not in the I/O bitmap) -> vector 13 error 0"))
                .anyMatch(l -> l.startsWith("ok: #UD ud2 -> vector 6 error 0"))
                .contains(
                        "ok: system call from CPL3 returned 42",
                        "ok: int 0x80 from CPL3 returned 42",
                        "ok: LAPIC timer interrupt x3 at CPL0 woke sti;hlt",
                        "RESULT: PASS");
    }

    @Test
    void poweroffEndsTheVmThroughAcpi() throws Exception {
        Qemu.Result r = boot(TestGuests.POWEROFF, null);
        assertThat(r.status()).as(r.toString()).isZero();
        assertThat(r.timedOut()).isFalse();
        assertThat(r.lines()).as(r.toString()).containsExactly("powering off");
        assertThat(r.tripleFaulted()).isFalse();
    }

    @Test
    void faultTripleFaults() throws Exception {
        Qemu.Result r = boot(TestGuests.FAULT, null);
        assertThat(r.timedOut()).as(r.toString()).isFalse();
        assertThat(r.status())
                .as("-no-reboot turns the triple-fault reset into an exit\n" + r)
                .isZero();
        assertThat(r.lines()).as(r.toString()).containsExactly("about to triple fault");
        assertThat(r.tripleFaulted()).as("QEMU logged a triple fault").isTrue();
    }

    @Test
    void benchPio() throws Exception {
        Qemu.Result r = boot(TestGuests.BENCH_PIO, "n=200000");
        assertThat(r.status()).as(r.toString()).isEqualTo(PASS);
        assertThat(r.lines())
                .as(r.toString())
                .contains(
                        "bench-pio: 200000 outs to port 0xe0 at CPL3",
                        "pio: 200000 exits",
                        "bench port reads ffffffff",
                        "RESULT: PASS")
                .anyMatch(l -> l.matches("cycles: [0-9]+ \\([0-9]+ per exit\\)"));
    }
}
