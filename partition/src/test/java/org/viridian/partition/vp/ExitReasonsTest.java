package org.viridian.partition.vp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.viridian.kvm.KvmConst;

class ExitReasonsTest {
    @Test
    void exitsAreCountedUnderKvmsNamesAndStrangeReasonsShareOneSlot() {
        ExitReasons r = new ExitReasons();
        assertThat(r.snapshot()).isEmpty();
        for (int i = 0; i < 3; i++) r.count(KvmConst.KVM_EXIT_IO);
        r.count(KvmConst.KVM_EXIT_X86_WRMSR);
        r.count(KvmConst.KVM_EXIT_INTR);
        r.count(12); // a reason without a name here
        r.count(1000);
        r.count(-1);
        assertThat(r.snapshot())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("io", 3L, "x86_wrmsr", 1L, "intr", 1L, "reason_12", 1L, "other", 2L));
    }
}
