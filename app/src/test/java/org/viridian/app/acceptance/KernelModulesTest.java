package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.machine.boot.KernelModules;

/** The dependency closure of the Hyper-V drivers in Debian's real module tree, dependencies first. */
class KernelModulesTest {
    @Test
    void hyperVDriversComeAfterWhatTheyDependOn() throws Exception {
        Path tree = DebianKernel.modules();
        List<String> order = new KernelModules(tree)
                .closure(StockLinuxAcceptanceIT.HV_DRIVERS).stream()
                        .map(p -> p.getFileName().toString().replace(".ko", "").replace('-', '_'))
                        .toList();
        assertThat(order).containsAll(StockLinuxAcceptanceIT.HV_DRIVERS).doesNotHaveDuplicates();
        assertThat(KernelModules.depends(tree.resolve("drivers/hv/hv_utils.ko")))
                .contains("hv_vmbus");
        for (String m : order) {
            Path ko = new KernelModules(tree).closure(List.of(m)).getLast();
            for (String dep : KernelModules.depends(ko)) {
                if (order.contains(dep))
                    assertThat(order.indexOf(dep)).as(dep + " before " + m).isLessThan(order.indexOf(m));
            }
        }
    }
}
