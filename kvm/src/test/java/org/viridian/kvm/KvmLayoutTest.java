package org.viridian.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks every ioctl number, constant and struct offset the binding hard-codes against the kernel's own linux/kvm.h,
 * by compiling a probe with gcc. Needs no /dev/kvm: the ABI is what matters.
 */
class KvmLayoutTest {
    private static final Map<String, Long> HEADER = new HashMap<>();

    @BeforeAll
    static void probe() throws IOException, InterruptedException {
        Path src = Path.of("src/test/c/kvm_layout_probe.c").toAbsolutePath();
        assumeTrue(Files.exists(Path.of("/usr/include/linux/kvm.h")), "linux/kvm.h not installed (linux-libc-dev)");
        Path exe = Files.createTempFile("kvm-probe", "");
        Process cc = new ProcessBuilder("gcc", "-Wall", "-Werror", "-o", exe.toString(), src.toString())
                .redirectErrorStream(true)
                .start();
        String ccOut = new String(cc.getInputStream().readAllBytes());
        assertThat(cc.waitFor()).as("gcc: %s", ccOut).isZero();
        Process p = new ProcessBuilder(exe.toString()).start();
        for (String line : new String(p.getInputStream().readAllBytes()).split("\n")) {
            int sp = line.lastIndexOf(' ');
            HEADER.put(line.substring(0, sp), Long.parseUnsignedLong(line.substring(sp + 1)));
        }
        assertThat(p.waitFor()).isZero();
        Files.deleteIfExists(exe);
    }

    private static void assertAllFieldsMatchHeader(Class<?> c) throws IllegalAccessException {
        int checked = 0;
        for (Field f : c.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || !Modifier.isPublic(f.getModifiers())) continue;
            Long expected = HEADER.get(f.getName());
            if (expected == null) continue;
            assertThat(((Number) f.get(null)).longValue()).as(f.getName()).isEqualTo(expected);
            checked++;
        }
        assertThat(checked)
                .as("constants of %s found in the header", c.getSimpleName())
                .isGreaterThan(20);
    }

    @Test
    void ioctlNumbersMatchTheHeader() throws IllegalAccessException {
        assertAllFieldsMatchHeader(KvmIoctl.class);
    }

    @Test
    void constantsMatchTheHeader() throws IllegalAccessException {
        assertAllFieldsMatchHeader(KvmConst.class);
    }

    @Test
    void structSizesMatch() {
        assertThat(HEADER.get("sizeof(kvm_regs)")).isEqualTo(RegsCodec.REGS_SIZE);
        assertThat(HEADER.get("sizeof(kvm_sregs)")).isEqualTo(RegsCodec.SREGS_SIZE);
        assertThat(HEADER.get("sizeof(kvm_segment)")).isEqualTo(RegsCodec.SEGMENT_SIZE);
        assertThat(HEADER.get("sizeof(kvm_cpuid_entry2)")).isEqualTo(RegsCodec.CPUID_ENTRY_SIZE);
        assertThat(HEADER.get("sizeof(kvm_msr_entry)")).isEqualTo(16);
        assertThat(HEADER.get("sizeof(kvm_userspace_memory_region)")).isEqualTo(32);
        assertThat(HEADER.get("sizeof(kvm_msi)")).isEqualTo(32);
        assertThat(HEADER.get("sizeof(kvm_enable_cap)")).isEqualTo(104);
        assertThat(HEADER.get("sizeof(kvm_msr_filter)")).isEqualTo(392);
        assertThat(HEADER.get("sizeof(kvm_msr_filter_range)")).isEqualTo(24);
        assertThat(HEADER.get("sizeof(kvm_ioeventfd)")).isEqualTo(64);
        assertThat(HEADER.get("sizeof(kvm_irqfd)")).isEqualTo(32);
        assertThat(HEADER.get("sizeof(kvm_translation)")).isEqualTo(24);
        assertThat(HEADER.get("sizeof(kvm_irqchip)")).isEqualTo(KvmVm.IRQCHIP_SIZE);
        assertThat(HEADER.get("sizeof(kvm_pit_state2)")).isEqualTo(KvmVm.PIT2_SIZE);
        assertThat(HEADER.get("sizeof(kvm_clock_data)")).isEqualTo(KvmVm.CLOCK_SIZE);
        for (KvmVcpu.Blob b : KvmVcpu.Blob.values()) {
            String name =
                    switch (b) {
                        case FPU -> "kvm_fpu";
                        case XSAVE -> "kvm_xsave";
                        case XCRS -> "kvm_xcrs";
                        case LAPIC -> "kvm_lapic_state";
                        case VCPU_EVENTS -> "kvm_vcpu_events";
                        case DEBUGREGS -> "kvm_debugregs";
                        case MP_STATE -> null;
                    };
            if (name != null)
                assertThat(HEADER.get("sizeof(" + name + ")")).as(name).isEqualTo(b.size);
        }
    }

    @Test
    void structOffsetsMatch() {
        Map<String, Long> expected = Map.ofEntries(
                Map.entry("offsetof(kvm_sregs.gdt)", 192L),
                Map.entry("offsetof(kvm_sregs.idt)", 208L),
                Map.entry("offsetof(kvm_sregs.cr0)", 224L),
                Map.entry("offsetof(kvm_sregs.efer)", 264L),
                Map.entry("offsetof(kvm_sregs.apic_base)", 272L),
                Map.entry("offsetof(kvm_sregs.interrupt_bitmap)", 280L),
                Map.entry("offsetof(kvm_segment.selector)", 12L),
                Map.entry("offsetof(kvm_segment.type)", 14L),
                Map.entry("offsetof(kvm_segment.unusable)", 22L),
                Map.entry("offsetof(kvm_run.immediate_exit)", KvmRun.IMMEDIATE_EXIT),
                Map.entry("offsetof(kvm_run.exit_reason)", KvmRun.EXIT_REASON),
                Map.entry("offsetof(kvm_run.if_flag)", KvmRun.IF_FLAG),
                Map.entry("offsetof(kvm_run.io)", KvmRun.IO_DIRECTION),
                Map.entry("offsetof(kvm_run.io.size)", KvmRun.IO_SIZE),
                Map.entry("offsetof(kvm_run.io.port)", KvmRun.IO_PORT),
                Map.entry("offsetof(kvm_run.io.count)", KvmRun.IO_COUNT),
                Map.entry("offsetof(kvm_run.io.data_offset)", KvmRun.IO_DATA_OFFSET),
                Map.entry("offsetof(kvm_run.mmio.data)", KvmRun.MMIO_DATA),
                Map.entry("offsetof(kvm_run.mmio.len)", KvmRun.MMIO_LEN),
                Map.entry("offsetof(kvm_run.mmio.is_write)", KvmRun.MMIO_IS_WRITE),
                Map.entry("offsetof(kvm_run.internal.ndata)", KvmRun.INTERNAL_NDATA),
                Map.entry("offsetof(kvm_run.internal.data)", KvmRun.INTERNAL_DATA),
                Map.entry("offsetof(kvm_run.emulation_failure.flags)", KvmRun.EMUL_FLAGS),
                Map.entry("offsetof(kvm_run.emulation_failure.insn_size)", KvmRun.EMUL_INSN_SIZE),
                Map.entry("offsetof(kvm_run.emulation_failure.insn_bytes)", KvmRun.EMUL_INSN_BYTES),
                Map.entry("offsetof(kvm_run.msr.reason)", KvmRun.MSR_REASON),
                Map.entry("offsetof(kvm_run.msr.index)", KvmRun.MSR_INDEX),
                Map.entry("offsetof(kvm_run.msr.data)", KvmRun.MSR_DATA),
                Map.entry("offsetof(kvm_run.fail_entry.cpu)", KvmRun.FAIL_ENTRY_CPU),
                Map.entry("offsetof(kvm_run.system_event.type)", KvmRun.SYSTEM_EVENT_TYPE),
                Map.entry("offsetof(kvm_run.kvm_valid_regs)", KvmRun.SYNC_VALID_REGS),
                Map.entry("offsetof(kvm_run.s.regs.regs.rip)", KvmRun.SYNC_RIP),
                Map.entry("offsetof(kvm_msr_filter.ranges)", 8L),
                Map.entry("offsetof(kvm_msr_filter_range.nmsrs)", 4L),
                Map.entry("offsetof(kvm_msr_filter_range.base)", 8L),
                Map.entry("offsetof(kvm_msr_filter_range.bitmap)", 16L),
                Map.entry("offsetof(kvm_ioeventfd.addr)", 8L),
                Map.entry("offsetof(kvm_ioeventfd.len)", 16L),
                Map.entry("offsetof(kvm_ioeventfd.fd)", 20L),
                Map.entry("offsetof(kvm_ioeventfd.flags)", 24L),
                Map.entry("offsetof(kvm_translation.physical_address)", 8L),
                Map.entry("offsetof(kvm_translation.valid)", 16L),
                Map.entry("offsetof(kvm_vcpu_events.exception.nr)", KvmVcpu.EV_EXC_NR),
                Map.entry("offsetof(kvm_vcpu_events.exception.has_error_code)", KvmVcpu.EV_EXC_HAS_ERROR_CODE),
                Map.entry("offsetof(kvm_vcpu_events.exception.pending)", KvmVcpu.EV_EXC_PENDING),
                Map.entry("offsetof(kvm_vcpu_events.exception.error_code)", KvmVcpu.EV_EXC_ERROR_CODE),
                Map.entry("offsetof(kvm_vcpu_events.flags)", KvmVcpu.EV_FLAGS),
                Map.entry("offsetof(kvm_enable_cap.args)", 8L),
                Map.entry("offsetof(kvm_signal_mask.sigset)", 4L));
        expected.forEach((k, v) -> assertThat(HEADER.get(k)).as(k).isEqualTo(v));
    }
}
