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

    /** What a line of the report is about (its first column); the CLI words it in the user's language by name. */
    public enum Subject {
        ARCHITECTURE("architecture"),
        CPU_VIRTUALIZATION("CPU virtualization"),
        NX("NX/DEP"),
        KVM_MODULES("kvm modules"),
        /** The KVM device: the line names its path. */
        DEVICE(null),
        GUEST_SPEED("guest speed"),
        API_VERSION("KVM API version"),
        REQUIRED_CAPABILITIES("required capabilities"),
        OPTIONAL_CAPABILITIES("optional capabilities"),
        MAX_VCPUS("max vCPUs per VM"),
        IN_KERNEL_HYPERV("in-kernel Hyper-V");

        private final String english;

        Subject(String english) {
            this.english = english;
        }
    }

    /**
     * What a check found, as a code and its English text ({0}: the fact's argument, a value from the host); the CLI
     * translates by the code, so the words are written once per language and never parsed back out of English.
     */
    public enum Finding {
        /** A value as the host reports it (module names, the API version, a count). */
        VALUE("{0}"),
        X86_64("x86-64"),
        NOT_X86_64("{0} (need x86-64)"),
        VT_X("Intel VT-x"),
        AMD_V("AMD-V"),
        PVM_ONLY("none in CPUID; PVM (software) KVM"),
        NO_VIRTUALIZATION("none visible"),
        NESTED("running under a hypervisor (nested)"),
        NX_SUPPORTED("supported"),
        NO_NX("no NX bit: guests cannot have non-executable pages"),
        NO_MODULES("none loaded (modprobe kvm_intel or kvm_amd)"),
        DEVICE_UNREGISTERED("absent: kvm modules are loaded but registered no device (not in /proc/misc); e.g. kvm_pvm"
                + " does not bind when this kernel is itself a PVM guest. Use a host with VT-x/AMD-V or nested KVM."),
        DEVICE_ABSENT("absent: load kvm_intel or kvm_amd, or enable virtualization in the firmware"),
        DEVICE_OPENED("opened read/write"),
        DEVICE_DENIED("cannot open: {0} (add your user to the 'kvm' group, or run as root)"),
        DEVICE_UNOPENABLE("cannot open: {0}"),
        GUESTS_NATIVE("guest code runs natively in every mode: any guest is practical"),
        GUESTS_PVM("guest user mode (CPL3) runs natively, guest kernel mode (CPL0) is emulated one instruction at a"
                + " time (~1-2 M instructions/s): practical are guests that work in user mode (the built-in test"
                + " guests, the benchmarks); a Linux kernel boots in minutes, not seconds. Guest kernels must avoid"
                + " int3/xrstor/cmpxchg16b (Viridian hides XSAVE and CX16), and INT n from guest user mode arrives"
                + " as #UD"),
        NO_GUESTS("no guest can run"),
        ALL_PRESENT("all {0} present"),
        MISSING("missing: {0}"),
        HYPERV_PRESENT("present (unused: Viridian implements the hypervisor interface itself)"),
        HYPERV_ABSENT("absent (Viridian implements the hypervisor interface itself)");

        private final String english;

        Finding(String english) {
            this.english = english;
        }

        public String english() {
            return english;
        }
    }

    /** One finding with its argument (empty when its text has no {0}). */
    public record Fact(Finding finding, String arg) {
        public String english() {
            return finding.english.replace("{0}", arg);
        }
    }

    /** A report line: {@code name} is the subject's English name, or the device's path. */
    public record Item(Subject subject, String name, Status status, List<Fact> facts) {
        /** The facts in English, comma-separated. */
        public String detail() {
            return facts.stream().map(Fact::english).collect(Collectors.joining(", "));
        }
    }

    private static Item item(Subject s, Status status, Finding f, String arg) {
        return new Item(s, s.english, status, List.of(new Fact(f, arg)));
    }

    private static Item item(Subject s, Status status, Finding f) {
        return item(s, status, f, "");
    }

    public record Report(List<Item> items) {
        public boolean canRunVms() {
            return items.stream().noneMatch(i -> i.status() == Status.FAIL);
        }

        /** The report in English (the CLI prints its own, in the user's language, from the same items). */
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
    static Finding guestSpeed(Kind kind) {
        return switch (kind) {
            case HARDWARE, NESTED_HARDWARE -> Finding.GUESTS_NATIVE;
            case PVM -> Finding.GUESTS_PVM;
            case NONE -> Finding.NO_GUESTS;
        };
    }

    public static Report run() {
        return new HostCheck(Path.of("/")).check(Kvm.DEVICE);
    }

    public Report check(String kvmDevice) {
        List<Item> items = new ArrayList<>();
        String arch = System.getProperty("os.arch");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        items.add(
                x86
                        ? item(Subject.ARCHITECTURE, Status.OK, Finding.X86_64)
                        : item(Subject.ARCHITECTURE, Status.FAIL, Finding.NOT_X86_64, arch));
        Set<String> flags = cpuFlags();
        boolean vmx = flags.contains("vmx"), svm = flags.contains("svm"), nested = flags.contains("hypervisor");
        List<String> modules = kvmModules();
        boolean pvm = modules.contains("kvm_pvm");
        List<Fact> virt = new ArrayList<>();
        virt.add(new Fact(
                vmx ? Finding.VT_X : svm ? Finding.AMD_V : pvm ? Finding.PVM_ONLY : Finding.NO_VIRTUALIZATION, ""));
        if (nested) virt.add(new Fact(Finding.NESTED, ""));
        items.add(new Item(
                Subject.CPU_VIRTUALIZATION,
                Subject.CPU_VIRTUALIZATION.english,
                vmx || svm || pvm ? Status.OK : Status.WARN,
                virt));
        items.add(
                flags.contains("nx")
                        ? item(Subject.NX, Status.OK, Finding.NX_SUPPORTED)
                        : item(Subject.NX, Status.FAIL, Finding.NO_NX));
        items.add(
                modules.isEmpty()
                        ? item(Subject.KVM_MODULES, Status.WARN, Finding.NO_MODULES)
                        : item(Subject.KVM_MODULES, Status.OK, Finding.VALUE, String.join(", ", modules)));
        items.addAll(device(kvmDevice, modules));
        return new Report(items);
    }

    private static Item device(String path, Status status, Finding f, String arg) {
        return new Item(Subject.DEVICE, path, status, List.of(new Fact(f, arg)));
    }

    private List<Item> device(String path, List<String> modules) {
        List<Item> items = new ArrayList<>();
        if (!Files.exists(Path.of(path))) {
            boolean registered = miscDevices().contains("kvm");
            Finding why = !modules.isEmpty() && !registered ? Finding.DEVICE_UNREGISTERED : Finding.DEVICE_ABSENT;
            items.add(device(path, Status.FAIL, why, ""));
            return items;
        }
        try (Kvm kvm = Kvm.open()) {
            items.add(device(path, Status.OK, Finding.DEVICE_OPENED, ""));
            // What the kind means for guests, said only where guests can run at all.
            Kind kind = kind();
            if (kind != Kind.NONE) items.add(item(Subject.GUEST_SPEED, Status.INFO, guestSpeed(kind)));
            int api = kvm.apiVersion();
            items.add(item(
                    Subject.API_VERSION,
                    api == KvmConst.KVM_API_VERSION ? Status.OK : Status.FAIL,
                    Finding.VALUE,
                    Integer.toString(api)));
            items.add(caps(kvm, REQUIRED, Status.FAIL, Subject.REQUIRED_CAPABILITIES));
            items.add(caps(kvm, WANTED, Status.WARN, Subject.OPTIONAL_CAPABILITIES));
            int max = kvm.checkExtension(KvmConst.KVM_CAP_MAX_VCPUS);
            items.add(item(Subject.MAX_VCPUS, Status.INFO, Finding.VALUE, Integer.toString(max)));
            boolean hyperv = kvm.checkExtension(KvmConst.KVM_CAP_HYPERV) > 0;
            items.add(item(
                    Subject.IN_KERNEL_HYPERV, Status.INFO, hyperv ? Finding.HYPERV_PRESENT : Finding.HYPERV_ABSENT));
        } catch (NativeException e) {
            Finding f = e.errno() == 13 ? Finding.DEVICE_DENIED : Finding.DEVICE_UNOPENABLE;
            items.add(device(path, Status.FAIL, f, e.getMessage()));
        }
        return items;
    }

    private static Item caps(Kvm kvm, Map<Integer, String> caps, Status ifMissing, Subject subject) {
        List<String> missing = caps.entrySet().stream()
                .filter(e -> kvm.checkExtension(e.getKey()) <= 0)
                .map(Map.Entry::getValue)
                .toList();
        return missing.isEmpty()
                ? item(subject, Status.OK, Finding.ALL_PRESENT, Integer.toString(caps.size()))
                : item(subject, ifMissing, Finding.MISSING, String.join(", ", missing));
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
