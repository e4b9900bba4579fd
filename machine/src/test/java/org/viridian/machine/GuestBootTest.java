package org.viridian.machine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.viridian.machine.boot.EntryState;
import org.viridian.machine.boot.SegmentDescriptor;
import org.viridian.x86.Segment;

class GuestBootTest {
    @Test
    void segmentsCarryEveryAttributeKvmNeeds() {
        Segment cs = GuestBoot.seg(SegmentDescriptor.code32(0x10));
        assertThat(cs)
                .isEqualTo(new Segment(0, 0xFFFF_FFFF, 0x10, 0xB, true, 0, true, true, false, true, false, false));
        Segment cs64 = GuestBoot.seg(SegmentDescriptor.code64(0x10));
        assertThat(cs64.l()).isTrue();
        assertThat(cs64.db()).isFalse();
        Segment tr = GuestBoot.seg(SegmentDescriptor.busyTss(0x18, 0x2000));
        assertThat(tr.s()).isFalse();
        assertThat(tr.type()).isEqualTo(0xB);
        assertThat(tr.base()).isEqualTo(0x2000);
        // A non-present LDT must reach KVM as unusable, or VM entry fails its guest-state checks.
        assertThat(GuestBoot.seg(EntryState.NO_LDT).unusable()).isTrue();
    }

    @Test
    void multibootKernelsGetTheirPathFirstLikeUnderQemuAndLinuxDoesNot() {
        byte[] multiboot = new byte[8192];
        java.nio.ByteBuffer.wrap(multiboot)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(64, 0x1BADB002)
                .putInt(68, 0x00010000)
                .putInt(72, -(0x1BADB002 + 0x00010000));
        VmSpec spec = new VmSpec("t", 1, 32 << 20, java.nio.file.Path.of("guests/k.elf"), null, "debug=1");
        assertThat(GuestBoot.cmdline(spec, multiboot)).isEqualTo("guests/k.elf debug=1");
        byte[] vmlinux = {0x7F, 'E', 'L', 'F', 2, 1, 1, 0};
        assertThat(GuestBoot.cmdline(spec, vmlinux)).isEqualTo("debug=1");
    }
}
