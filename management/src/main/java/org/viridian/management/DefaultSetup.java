package org.viridian.management;

import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.util.List;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.VmRequest;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;

/** The setup the main command gives a new host: one VM, "demo", booting the built-in SMP test guest on 2 processors. */
public final class DefaultSetup {
    public static final String DEMO_VM = "demo";
    public static final String DEMO_GUEST = "smp.elf";

    private DefaultSetup() {}

    /** The demo VM, created if this state directory has none. */
    public static VmView ensureDemoVm(VmService vms) throws IOException {
        try {
            return vms.get(DEMO_VM);
        } catch (ServiceException notThere) {
            return vms.create(new VmRequest(
                    DEMO_VM,
                    2,
                    TextNode.valueOf("64M"),
                    new BootSource.DemoGuest(DEMO_GUEST, "demo"),
                    List.of(),
                    List.of(),
                    null,
                    "The demo VM: Viridian's SMP test guest. Start it, watch its console."));
        }
    }
}
