package org.viridian.app.acceptance;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;
import org.viridian.testkit.ExternalTool;

/**
 * KVM's own conformance suite, kvm-unit-tests (vendored under third_party/kvm-unit-tests), run inside the nested KVM
 * host under Viridian and, as the peer, under QEMU/KVM with the options the suite's x86/unittests.cfg and x86/run give
 * it ({@code -cpu host,hv_passthrough -device hyperv-testdev} for the Hyper-V tests). The Hyper-V tests must pass under
 * Viridian; every other test must end as it does under QEMU in the same run (the same failing sub-tests where both
 * fail), so a failure is Viridian's only where QEMU passes. Viridian gives its guests the host's CPU model (KVM's
 * supported CPUID), so where unittests.cfg names another model (msr wants GenuineIntel, which keeps the SYSENTER MSRs
 * 64 bits wide under KVM on AMD) QEMU also runs with {@code -cpu host}: a result that QEMU shows with the same CPU
 * model is the model's, not Viridian's. Prints a table: test | Viridian | QEMU | QEMU -cpu host.
 * Both halves are in the acceptance profile (the Hyper-V half alone is ~5 minutes with its nested host, which would
 * take the default run past its ~15-minute budget): mvn -P acceptance verify -pl app -am -Dit.test=KvmUnitTestsIT.
 */
class KvmUnitTestsIT {
    static final Path ARCHIVE = Path.of("..", "third_party", "kvm-unit-tests", "kvm-unit-tests-1da1819e.tar.gz");
    private static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "viridian", "kvm-unit-tests");
    /** QEMU's default RAM, which the suite's runs use; fw_cfg's CPU count comes from the environment file. */
    private static final int MEMORY_MB = 128;

    /**
     * One [section] of x86/unittests.cfg: its .flat file, -smp, test_args and qemu_params' -cpu, and whether it needs
     * the Hyper-V test device; {@code hyperV}: must pass under Viridian, whatever QEMU does.
     */
    record Case(String name, String flat, int smp, String args, String qemuCpu, boolean testdev, boolean hyperV) {
        Case withName(String other) {
            return new Case(other, flat, smp, args, qemuCpu, testdev, hyperV);
        }
    }

    static final List<Case> CASES = List.of(
            new Case("hyperv_synic", "hyperv_synic", 2, "", "host,hv_passthrough", true, true),
            new Case("hyperv_connections", "hyperv_connections", 2, "", "host,hv_passthrough", true, true),
            new Case("hyperv_stimer", "hyperv_stimer", 2, "", "host,hv_passthrough", false, true),
            new Case("hyperv_stimer_direct", "hyperv_stimer", 2, "direct", "host,hv_passthrough", false, true),
            new Case("hyperv_clock", "hyperv_clock", 2, "", "host,hv_passthrough", false, true),
            // [x2apic]: Viridian's CPUID offers the x2APIC as KVM does.
            new Case("apic", "apic", 2, "", "qemu64,+x2apic,+tsc-deadline", false, false),
            new Case("smptest", "smptest", 2, "", "", false, false),
            new Case("smptest3", "smptest", 3, "", "", false, false),
            new Case("msr", "msr", 1, "", "max,vendor=GenuineIntel", false, false),
            new Case("tsc", "tsc", 1, "", "max", false, false));

    /** Per run: the suite's default (Viridian's Hyper-V tests take 13-35 s in the nested host). */
    private static final int TIMEOUT_S = 90;

    /**
     * How one run ended: the suite's verdict (from its exit status), its failing sub-tests, every sub-test's report in
     * order (PASS/FAIL/SKIP lines), its SUMMARY line.
     */
    record Result(String verdict, List<String> failures, List<String> reports, String summary, int seconds) {
        static Result of(NestedKvmHost.Outcome o) {
            // isa-debug-exit: status (code << 1) | 1; report_summary() gives 0 pass, 1 fail, 77 skip.
            String verdict =
                    switch (o.rc()) {
                        case 1 -> "PASS";
                        case 3 -> "FAIL";
                        case 77, 155 -> "SKIP";
                        case 124, 137, 143 -> "TIMEOUT";
                        // The guest reset itself (a triple fault) before a verdict: Viridian reports a crash with
                        // 125; QEMU (--no-reboot) exits with 0, as it does on the SIGTERM of `timeout`.
                        case 125 -> "CRASH";
                        case 0 -> o.seconds() >= TIMEOUT_S ? "TIMEOUT" : "CRASH";
                        default -> "ERROR rc=" + o.rc();
                    };
            List<String> failures = o.output()
                    .lines()
                    .filter(l -> l.startsWith("FAIL: "))
                    .map(String::strip)
                    .toList();
            List<String> reports = o.output()
                    .lines()
                    .filter(l -> l.startsWith("FAIL: ") || l.startsWith("PASS: ") || l.startsWith("SKIP: "))
                    .map(String::strip)
                    .toList();
            String summary = o.output()
                    .lines()
                    .filter(l -> l.startsWith("SUMMARY: "))
                    .map(l -> l.substring(9).strip())
                    .reduce((a, b) -> b)
                    .orElse("");
            return new Result(verdict, failures, reports, summary, o.seconds());
        }

        /**
         * The same verdict and the same failing sub-tests. Where both timed out, how far each got in the time is the
         * nested host's speed of the moment (apic's run reaches its hang at 60-95 s under every engine), so the
         * sub-tests are compared as far as both got: every report both reached must be the same.
         */
        boolean sameAs(Result o) {
            if (!verdict.equals(o.verdict)) return false;
            if (!verdict.equals("TIMEOUT")) return failures.equals(o.failures);
            int both = Math.min(reports.size(), o.reports.size());
            return reports.subList(0, both).equals(o.reports.subList(0, both));
        }

        @Override
        public String toString() {
            return verdict + (summary.isEmpty() ? "" : " (" + summary + ")") + " " + seconds + "s";
        }
    }

    @Test
    @Tag("acceptance")
    void hyperVTestsPassUnderViridian() throws Exception {
        suite(CASES.stream().filter(Case::hyperV).toList());
    }

    @Test
    @Tag("acceptance")
    void theOtherTestsEndAsUnderQemu() throws Exception {
        suite(CASES.stream().filter(c -> !c.hyperV()).toList());
    }

    private static void suite(List<Case> all) throws Exception {
        // -Dkut.only=apic,tsc runs those cases alone (-Dkut.repeat=N times each), to chase one test's behaviour.
        List<String> only = List.of(System.getProperty("kut.only", "").split(",")).stream()
                .filter(s -> !s.isBlank())
                .toList();
        List<Case> picked = all.stream()
                .filter(c -> only.isEmpty() || only.contains(c.name()))
                .toList();
        assumeTrue(!picked.isEmpty(), "no case of this half picked by kut.only");
        int repeat = Integer.getInteger("kut.repeat", 1);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < repeat; i++)
            for (Case c : picked) cases.add(i == 0 ? c : c.withName(c.name() + "#" + (i + 1)));
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn verify)");
        Path flats = build();
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Case c : picked) files.put(c.flat() + ".flat", Files.readAllBytes(flats.resolve(c.flat() + ".flat")));
        for (int smp : new int[] {1, 2, 3})
            files.put("env" + smp, ("NR_CPUS=" + smp + "\nMEMSIZE=" + MEMORY_MB + "\n").getBytes());
        List<NestedKvmHost.Command> commands = new ArrayList<>();
        commands.add(new NestedKvmHost.Command("qemu-devices", "qemu-system-x86_64 -device help | grep -c testdev"));
        for (Case c : cases) {
            commands.add(new NestedKvmHost.Command("viridian-" + c.name(), viridian(c)));
            commands.add(new NestedKvmHost.Command("qemu-" + c.name(), qemu(c, c.qemuCpu())));
            if (!c.hyperV()) commands.add(new NestedKvmHost.Command("qemuhost-" + c.name(), qemu(c, "host")));
        }
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar, files, NestedKvmHost.qemuKvm(), commands, Duration.ofSeconds(240 + 3L * TIMEOUT_S * cases.size()));

        System.out.printf(
                "kvm-unit-tests 1da1819e in the nested KVM host%n%-22s | %-34s | %-34s | %s%n",
                "test", "Viridian", "QEMU (unittests.cfg)", "QEMU -cpu host");
        SoftAssertions soft = new SoftAssertions();
        for (Case c : cases) {
            Result v = Result.of(run.get("viridian-" + c.name()));
            Result q = Result.of(run.get("qemu-" + c.name()));
            Result h = c.hyperV() ? null : Result.of(run.get("qemuhost-" + c.name()));
            System.out.printf("%-22s | %-34s | %-34s | %s%n", c.name(), v, q, h == null ? "-" : h);
            v.failures().forEach(f -> System.out.println("    viridian  " + f));
            q.failures().forEach(f -> System.out.println("    qemu      " + f));
            if (h != null) h.failures().forEach(f -> System.out.println("    qemu host " + f));
            if (c.hyperV()) {
                soft.assertThat(v.verdict())
                        .as(c.name() + " under Viridian:\n"
                                + run.get("viridian-" + c.name()).output())
                        .isEqualTo("PASS");
            } else {
                soft.assertThat(v.sameAs(q) || v.sameAs(h))
                        .as(c.name() + ": Viridian " + v + " " + v.failures() + " ends as QEMU does with the suite's or"
                                + " the same CPU model:\n"
                                + run.get("viridian-" + c.name()).output())
                        .isTrue();
            }
        }
        soft.assertAll();
    }

    private static String viridian(Case c) {
        // Viridian puts the kernel's name first on a Multiboot command line, as QEMU does; the suite reads argv there.
        return "timeout " + TIMEOUT_S + " viridian run --kernel " + c.flat() + ".flat --initrd env" + c.smp()
                + " --memory " + MEMORY_MB + "M --cpus " + c.smp()
                + (c.args().isEmpty() ? "" : " --cmdline '" + c.args() + "'")
                + (c.testdev() ? " --hv-testdev" : "");
    }

    /** x86/run's command line with the section's parameters. */
    private static String qemu(Case c, String cpu) {
        return "timeout " + TIMEOUT_S + " qemu-system-x86_64 --no-reboot -nodefaults"
                + " -global kvm-pit.lost_tick_policy=discard -device pc-testdev"
                + " -device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none -serial stdio -device pci-testdev"
                + " -machine accel=kvm -kernel " + c.flat() + ".flat -smp " + c.smp() + " -m " + MEMORY_MB
                + " -initrd env" + c.smp()
                + (c.args().isEmpty() ? "" : " -append '" + c.args() + "'")
                + (cpu.isEmpty() ? "" : " -cpu " + cpu)
                + (c.testdev() ? " -device hyperv-testdev" : "");
    }

    /** The suite's .flat files, built once per archive (keyed by its hash) under ~/.cache/viridian/kvm-unit-tests. */
    static Path build() throws IOException, InterruptedException, java.security.GeneralSecurityException {
        assumeTrue(Files.exists(ARCHIVE), ARCHIVE + " missing");
        ExternalTool.require("gcc", "gcc");
        ExternalTool.require("make", "make");
        String hash = HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(ARCHIVE)))
                .substring(0, 16);
        Path out = CACHE.resolve(hash);
        if (CASES.stream().allMatch(c -> Files.exists(out.resolve(c.flat() + ".flat")))) return out;
        Files.createDirectories(CACHE);
        Path work = Files.createTempDirectory(CACHE, "build-");
        String targets = CASES.stream()
                .map(c -> "x86/" + c.flat() + ".flat")
                .distinct()
                .reduce((a, b) -> a + " " + b)
                .orElseThrow();
        sh(
                work,
                "tar xzf " + ARCHIVE.toAbsolutePath() + " --strip-components=1 && ./configure --arch=x86_64 && make -j"
                        + Runtime.getRuntime().availableProcessors() + " " + targets);
        Path staged = work.resolve("flats");
        Files.createDirectories(staged);
        for (Case c : CASES) {
            Path f = work.resolve("x86").resolve(c.flat() + ".flat");
            if (!Files.exists(staged.resolve(f.getFileName()))) Files.copy(f, staged.resolve(f.getFileName()));
        }
        Files.move(staged, out); // whole or not at all: a failed build leaves no half cache
        sh(CACHE, "rm -rf " + work.getFileName());
        return out;
    }

    private static void sh(Path dir, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new AssertionError("`" + command + "` failed:\n" + log);
    }
}
