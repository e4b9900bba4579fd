package org.viridian.machine.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.viridian.kvm.Kvm;
import org.viridian.kvm.KvmConst;
import org.viridian.kvm.sys.NativeException;

/**
 * Answers "can this host run Viridian VMs, and if not, why?": architecture, CPU virtualization and NX, the kvm
 * modules, /dev/kvm access, KVM's API version and the capabilities Viridian relies on.
 */
public final class HostCheck {
    /** Capabilities without which a partition cannot be built (see Partition.REQUIRED_CAPS). */
    static final Map<Integer, String> REQUIRED = ordered(
            KvmConst.KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel LAPIC/IOAPIC/PIC)",
            KvmConst.KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY",
            KvmConst.KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR",
            KvmConst.KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID",
            KvmConst.KVM_CAP_PIT2, "KVM_CAP_PIT2",
            KvmConst.KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE (SMP start-up)",
            KvmConst.KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI (SynIC interrupt delivery)",
            KvmConst.KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS");
    /** Capabilities that features use when present (synthetic MSRs, fast signalling, save/restore). */
    static final Map<Integer, String> WANTED = ordered(
            KvmConst.KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR (synthetic MSRs)",
            KvmConst.KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER (synthetic MSRs)",
            KvmConst.KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD",
            KvmConst.KVM_CAP_IRQFD, "KVM_CAP_IRQFD",
            KvmConst.KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT",
            KvmConst.KVM_CAP_XSAVE, "KVM_CAP_XSAVE (FPU state save/restore)",
            KvmConst.KVM_CAP_XCRS, "KVM_CAP_XCRS",
            KvmConst.KVM_CAP_TSC_DEADLINE_TIMER, "KVM_CAP_TSC_DEADLINE_TIMER");

    public enum Status {
        OK,
        WARN,
        FAIL,
        INFO
    }

    public record Item(String name, Status status, String detail) {}

    public record Report(List<Item> items) {
        public boolean canRunVms() {
            return items.stream().noneMatch(i -> i.status() == Status.FAIL);
        }

        public String render() {
            int w = items.stream().mapToInt(i -> i.name().length()).max().orElse(10);
            StringBuilder b = new StringBuilder();
            for (Item i : items) {
                b.append(String.format("  %-4s  %-" + w + "s  %s%n", i.status(), i.name(), i.detail()));
            }
            b.append(
                    canRunVms()
                            ? "This host can run Viridian VMs.\n"
                            : "This host cannot run Viridian VMs: see the FAIL lines above.\n");
            return b.toString();
        }
    }

    private final Path root;

    /** {@code root} is "/" on a real host; tests may point it at a prepared tree of /proc and /sys files. */
    public HostCheck(Path root) {
        this.root = root;
    }

    /** What kind of KVM a host has: it decides how fast guest code runs and which guests are practical. */
    public enum Kind {
        HARDWARE("hardware KVM"),
        NESTED_HARDWARE("hardware KVM, nested under a hypervisor"),
        PVM("PVM (software) KVM: guest user mode native, guest kernel mode emulated"),
        NONE("no KVM");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Whether this host's KVM is the PVM one (software virtualization; guest kernel code is emulated). */
    public static boolean isPvm() {
        return new HostCheck(Path.of("/")).kind() == Kind.PVM;
    }

    /** This host's kind, as benchmarks label their figures with it. */
    public static Kind thisHost() {
        return new HostCheck(Path.of("/")).kind();
    }

    public Kind kind() {
        Set<String> flags = cpuFlags();
        if (flags.contains("vmx") || flags.contains("svm"))
            return flags.contains("hypervisor") ? Kind.NESTED_HARDWARE : Kind.HARDWARE;
        return kvmModules().contains("kvm_pvm") ? Kind.PVM : Kind.NONE;
    }

    /** What the kind means for users: how fast each guest mode runs and which guests are practical. */
    static String guestSpeed(Kind kind) {
        return switch (kind) {
            case HARDWARE, NESTED_HARDWARE -> "guest code runs natively in every mode: any guest is practical";
            case PVM ->
                "guest user mode (CPL3) runs natively, guest kernel mode (CPL0) is emulated one instruction at"
                        + " a time (~1-2 M instructions/s): practical are guests that work in user mode (the "
                        + "built-in test"
                        + " guests, the benchmarks); a Linux kernel boots in minutes, not seconds. Guest kernels "
                        + "must avoid"
                        + " int3/xrstor/cmpxchg16b (Viridian hides XSAVE and CX16), and INT n from guest user "
                        + "mode arrives"
                        + " as #UD";
            case NONE -> "no guest can run";
        };
    }

    public static Report run() {
        return new HostCheck(Path.of("/")).check(Kvm.DEVICE);
    }

    public Report check(String kvmDevice) {
        List<Item> items = new ArrayList<>();
        String arch = System.getProperty("os.arch");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        items.add(new Item("architecture", x86 ? Status.OK : Status.FAIL, x86 ? "x86-64" : arch + " (need x86-64)"));
        Set<String> flags = cpuFlags();
        boolean vmx = flags.contains("vmx"), svm = flags.contains("svm"), nested = flags.contains("hypervisor");
        List<String> modules = kvmModules();
        String virt = vmx
                ? "Intel VT-x"
                : svm ? "AMD-V" : modules.contains("kvm_pvm") ? "none in CPUID; PVM (software) KVM" : "none visible";
        items.add(new Item(
                "CPU virtualization",
                vmx || svm || modules.contains("kvm_pvm") ? Status.OK : Status.WARN,
                virt + (nested ? ", running under a hypervisor (nested)" : "")));
        items.add(new Item(
                "NX/DEP",
                flags.contains("nx") ? Status.OK : Status.FAIL,
                flags.contains("nx") ? "supported" : "no NX bit: guests cannot have non-executable pages"));
        items.add(new Item(
                "kvm modules",
                modules.isEmpty() ? Status.WARN : Status.OK,
                modules.isEmpty() ? "none loaded (modprobe kvm_intel or kvm_amd)" : String.join(", ", modules)));
        Kind kind = kind();
        if (kind != Kind.NONE) items.add(new Item("guest speed", Status.INFO, guestSpeed(kind)));
        items.addAll(device(kvmDevice, modules));
        return new Report(items);
    }

    private List<Item> device(String path, List<String> modules) {
        List<Item> items = new ArrayList<>();
        Path dev = Path.of(path);
        if (!Files.exists(dev)) {
            boolean registered = miscDevices().contains("kvm");
            String why = !modules.isEmpty() && !registered
                    ? "absent: kvm modules are loaded but registered no device (not in /proc/misc); e.g. kvm_pvm "
                            + "does not "
                            + "bind when this kernel is itself a PVM guest. Use a host with VT-x/AMD-V or nested KVM."
                    : "absent: load kvm_intel or kvm_amd, or enable virtualization in the firmware";
            items.add(new Item(path, Status.FAIL, why));
            return items;
        }
        try (Kvm kvm = Kvm.open()) {
            items.add(new Item(path, Status.OK, "opened read/write"));
            int api = kvm.apiVersion();
            items.add(new Item(
                    "KVM API version",
                    api == KvmConst.KVM_API_VERSION ? Status.OK : Status.FAIL,
                    Integer.toString(api)));
            items.add(caps(kvm, REQUIRED, Status.FAIL, "required capabilities"));
            items.add(caps(kvm, WANTED, Status.WARN, "optional capabilities"));
            int max = kvm.checkExtension(KvmConst.KVM_CAP_MAX_VCPUS);
            items.add(new Item("max vCPUs per VM", Status.INFO, Integer.toString(max)));
            boolean hyperv = kvm.checkExtension(KvmConst.KVM_CAP_HYPERV) > 0;
            items.add(new Item(
                    "in-kernel Hyper-V",
                    Status.INFO,
                    hyperv
                            ? "present (unused: Viridian implements the hypervisor interface itself)"
                            : "absent (Viridian implements the hypervisor interface itself)"));
        } catch (NativeException e) {
            String hint = e.errno() == 13 ? " (add your user to the 'kvm' group, or run as root)" : "";
            items.add(new Item(path, Status.FAIL, "cannot open: " + e.getMessage() + hint));
        }
        return items;
    }

    private static Item caps(Kvm kvm, Map<Integer, String> caps, Status ifMissing, String name) {
        List<String> missing = caps.entrySet().stream()
                .filter(e -> kvm.checkExtension(e.getKey()) <= 0)
                .map(Map.Entry::getValue)
                .toList();
        return missing.isEmpty()
                ? new Item(name, Status.OK, "all " + caps.size() + " present")
                : new Item(name, ifMissing, "missing: " + String.join(", ", missing));
    }

    private Set<String> cpuFlags() {
        try (Stream<String> lines = Files.lines(root.resolve("proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("flags"))
                    .findFirst()
                    .map(l -> Set.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+")))
                    .orElse(Set.of());
        } catch (IOException e) {
            return Set.of();
        }
    }

    private List<String> kvmModules() {
        return Stream.of("kvm", "kvm_intel", "kvm_amd", "kvm_pvm")
                .filter(m -> Files.isDirectory(root.resolve("sys/module").resolve(m)))
                .toList();
    }

    private Set<String> miscDevices() {
        try (Stream<String> lines = Files.lines(root.resolve("proc/misc"))) {
            return lines.map(l -> l.trim().split("\\s+"))
                    .filter(p -> p.length == 2)
                    .map(p -> p[1])
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            return Set.of();
        }
    }

    private static Map<Integer, String> ordered(Object... kv) {
        Map<Integer, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((Integer) kv[i], (String) kv[i + 1]);
        return m;
    }
}
