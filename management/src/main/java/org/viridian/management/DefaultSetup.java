package org.viridian.management;

import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.viridian.machine.host.HostCheck;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.config.VmRequest;
import org.viridian.management.demo.LinuxDemo;
import org.viridian.management.resources.HostResources;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import org.viridian.vswitch.SwitchSpec;

/**
 * The setup the main command gives a new host: one VM, "demo". Where guest kernels run natively (hardware KVM) it is a
 * small real Linux ({@link LinuxDemo}) with a disk for /home and, where the service can make switches, an adapter on
 * the NAT switch; elsewhere (PVM emulates guest kernel code; a Linux boot would take minutes) it is the built-in SMP
 * test guest. An existing demo VM is never rewritten.
 */
public final class DefaultSetup {
    public static final String DEMO_VM = "demo";
    public static final String DEMO_GUEST = "smp.elf";
    static final long HOME_DISK_BYTES = 1L << 30;

    /** What the demo VM boots. */
    public enum Guest {
        LINUX,
        BUILT_IN
    }

    /** Why the demo VM is what it is where it is not the Linux demo with a network: a message key and its detail. */
    public enum Reason {
        /** Guest kernel code would be emulated (PVM). */
        PVM,
        /** No KVM: nothing runs; the built-in guest is defined for when it can. */
        NO_KVM,
        /** The Linux demo could not be assembled; the detail says why. */
        NOT_ASSEMBLED,
        /** A demo VM from before (the built-in guest) is left as it is. */
        EXISTING_BUILT_IN,
        /** The Linux demo has no network adapter: the service cannot make switches (the detail says why). */
        NO_NETWORK
    }

    public record Note(Reason reason, String detail) {}

    /** The demo VM and what to tell the user about it. */
    public record Demo(VmView vm, Guest guest, List<Note> notes) {}

    private DefaultSetup() {}

    /**
     * The demo VM, created if this state directory has none; for an existing Linux demo its assembled files are made
     * again if they went missing. {@code switchesUnavailable}: why this service cannot make switches, if it cannot.
     */
    public static Demo ensureDemoVm(
            VmService vms,
            Path stateDir,
            HostCheck.Kind host,
            Optional<String> switchesUnavailable,
            Consumer<String> progress)
            throws IOException {
        stateDir = stateDir.toAbsolutePath().normalize(); // a VM's files are named by absolute paths
        VmView existing = existing(vms);
        if (existing != null) {
            if (!isLinuxDemo(existing, stateDir))
                return new Demo(existing, Guest.BUILT_IN, List.of(new Note(Reason.EXISTING_BUILT_IN, "")));
            try {
                LinuxDemo.ensure(stateDir, progress);
                return new Demo(existing, Guest.LINUX, List.of());
            } catch (IOException e) {
                return new Demo(existing, Guest.LINUX, List.of(new Note(Reason.NOT_ASSEMBLED, e.getMessage())));
            }
        }
        Note why =
                switch (host) {
                    case HARDWARE, NESTED_HARDWARE -> null;
                    case PVM -> new Note(Reason.PVM, host.label());
                    case NONE -> new Note(Reason.NO_KVM, "");
                };
        if (why == null) {
            try {
                return linuxDemo(vms, stateDir, LinuxDemo.ensure(stateDir, progress), switchesUnavailable);
            } catch (IOException e) {
                why = new Note(Reason.NOT_ASSEMBLED, e.getMessage());
            }
        }
        VmView vm = vms.create(new VmRequest(
                DEMO_VM,
                demoCpus(),
                TextNode.valueOf("64M"),
                new BootSource.DemoGuest(DEMO_GUEST, "demo"),
                List.of(),
                List.of(),
                null,
                "The demo VM: Viridian's SMP test guest. Start it, watch its console."));
        return new Demo(vm, Guest.BUILT_IN, List.of(why));
    }

    /** Two VPs to show SMP, one on a one-processor host (admission never gives a VM more VPs than the host has). */
    static int demoCpus() {
        return Math.min(2, HostResources.read().logicalProcessors());
    }

    private static Demo linuxDemo(
            VmService vms, Path stateDir, LinuxDemo.Assets assets, Optional<String> switchesUnavailable)
            throws IOException {
        Path home = stateDir.resolve("disks").resolve(DEMO_VM).resolve("home.vhdx");
        if (!Files.exists(home)) {
            Files.createDirectories(home.getParent());
            Images.create(home, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, HOME_DISK_BYTES, 0, null));
        }
        List<NetworkAdapter> nics = switchesUnavailable.isPresent()
                ? List.of()
                : List.of(new NetworkAdapter("eth0", SwitchSpec.DEFAULT_NAT, null));
        VmView vm = vms.create(new VmRequest(
                DEMO_VM,
                demoCpus(),
                TextNode.valueOf("512M"),
                new BootSource.Kernel(
                        assets.kernel().toString(), assets.initrd().toString(), assets.cmdline()),
                List.of(new VmRequest.DiskRequest(null, home.toString(), false)),
                nics,
                null,
                "The demo VM: " + assets.source() + "; a root shell on its serial console and its screen,"
                        + " /home on its disk."));
        List<Note> notes = switchesUnavailable
                .map(why -> List.of(new Note(Reason.NO_NETWORK, why)))
                .orElse(List.of());
        return new Demo(vm, Guest.LINUX, notes);
    }

    private static VmView existing(VmService vms) {
        try {
            return vms.get(DEMO_VM);
        } catch (ServiceException notThere) {
            return null;
        }
    }

    /** A demo VM booting the assembled Linux of this state directory (not one a user pointed elsewhere). */
    private static boolean isLinuxDemo(VmView vm, Path stateDir) {
        return vm.config().boot() instanceof BootSource.Kernel k
                && Path.of(k.kernel()).startsWith(LinuxDemo.dir(stateDir));
    }
}
