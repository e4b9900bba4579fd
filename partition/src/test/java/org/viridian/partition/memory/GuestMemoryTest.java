package org.viridian.partition.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {
    @Test
    void smallMemoryIsOneLowRegion() {
        try (GuestMemory m = GuestMemory.allocate(16 << 20)) {
            assertThat(m.regions()).hasSize(1);
            assertThat(m.regions().getFirst().gpa()).isZero();
            m.write(0x1000, new byte[] {1, 2, 3});
            assertThat(m.read(0x1000, 3)).containsExactly(1, 2, 3);
            assertThat(m.contains((16 << 20) - 8, 8)).isTrue();
            assertThat(m.contains((16 << 20) - 4, 8)).isFalse();
        }
    }

    @Test
    void largeMemorySplitsAroundTheMmioHole() {
        long size = GuestMemory.MMIO_HOLE_START + (64L << 20);
        try (GuestMemory m = GuestMemory.allocate(size)) {
            assertThat(m.regions()).hasSize(2);
            assertThat(m.regions().get(1).gpa()).isEqualTo(GuestMemory.FOUR_GIB);
            assertThat(m.contains(GuestMemory.MMIO_HOLE_START, 1)).isFalse();
            m.writeLong(GuestMemory.FOUR_GIB, 0x1122334455667788L);
            // The high region is the memfd's tail: the byte lands right after the low region in the file.
            MemorySegment tail = m.regions().get(1).host();
            assertThat(tail.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).isEqualTo(0x1122334455667788L);
        }
    }

    @Test
    void outOfRangeAndWrappingAccessesAreRefused() {
        try (GuestMemory m = GuestMemory.allocate(2 << 20)) {
            assertThatThrownBy(() -> m.slice(2 << 20, 1))
                    .isInstanceOf(GuestMemoryException.class)
                    .hasMessageContaining("outside RAM");
            assertThatThrownBy(() -> m.slice(-8, 16)).isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> m.slice(8, Long.MAX_VALUE)).isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> m.slice(8, -1)).isInstanceOf(GuestMemoryException.class);
        }
    }

    @Test
    void residentBytesCountsThePagesTouchedAndNoOthers() {
        try (GuestMemory m = GuestMemory.allocate(64 << 20)) {
            assertThat(m.residentBytes()).isZero(); // allocated lazily: nothing touched yet
            m.writeInt(0x1000, 1);
            m.writeInt(0x1004, 2); // the same page
            m.writeInt(32 << 20, 3);
            for (long p = 0; p < 100; p++) m.writeLong((40L << 20) + p * 4096, p);
            assertThat(m.residentBytes()).isEqualTo(102 * 4096L);
            m.close();
            assertThat(m.residentBytes()).isZero();
        }
    }

    @Test
    void aViewKeptAfterCloseFailsCleanlyInsteadOfTouchingUnmappedMemory() {
        GuestMemory m = GuestMemory.allocate(2 << 20);
        var view = m.slice(0x1000, 4096);
        view.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 42);
        m.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> view.get(java.lang.foreign.ValueLayout.JAVA_INT, 0))
                .isInstanceOf(IllegalStateException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> m.readInt(0x1000))
                .isInstanceOf(IllegalStateException.class);
        m.close(); // idempotent
    }
}
