package org.viridian.app.nested;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.machine.boot.HostProgram;
import org.viridian.machine.boot.Initramfs;
import org.viridian.testkit.ExternalTool;

/**
 * A throwaway Linux host with a real /dev/kvm, for running Viridian where the machine itself offers none: Debian's
 * cloud kernel boots under QEMU's TCG with an emulated AMD SVM CPU, loads kvm_amd, and runs commands from an
 * initramfs that holds a jlinked Java runtime, viridian.jar and the test's files. Everything comes from Debian's
 * packages and this build; a host that cannot provide them skips the tests with the reason.
 */
public final class NestedKvmHost {
    private static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "viridian", "nested");
    /**
     * The CPUs of a nested host that runs a batch of commands ({@link #run}): one unless {@code -Dnested.cpus} says
     * otherwise (issue 15): QEMU 7.2's multi-threaded TCG corrupts a nested guest, or the host's own kernel, when one of
     * its emulated CPUs interrupts the other while that one runs a nested guest; with one CPU there is no such
     * interrupt.
     */
    public static final int CPUS = Integer.getInteger("nested.cpus", 1);

    /**
     * The CPUs of a nested host that serves ({@link #start}): two unless {@code -Dnested.session.cpus} says otherwise,
     * since the service gives no VM more VPs than its host has processors and its tests show 2-VP VMs and a CPU limit
     * held while the service does work of its own next to the VM.
     */
    public static final int SESSION_CPUS = Integer.getInteger("nested.session.cpus", 2);

    private static final Pattern END = Pattern.compile("^@@@END (\\S+) rc=(\\d+) t=(\\d+)$", Pattern.MULTILINE);

    /**
     * One command run inside the nested host, with `viridian` on the PATH and the test's files in the cwd. Its stdin is
     * /dev/null: commands are not interactive (the console is a terminal, and `viridian` alone keeps serving on one).
     */
    public record Command(String name, String shell, int timeoutSeconds) {
        /** A command without a watchdog (a service that runs for the whole session, a long stress loop). */
        public Command(String name, String shell) {
            this(name, shell, 0);
        }

        /** A command with a watchdog of 300 s: far above what any command of the default run takes. */
        public static Command watched(String name, String shell) {
            return new Command(name, shell, 300);
        }
    }

    public record Outcome(String name, int rc, String output, int seconds) {}

    /**
     * A network for the nested host: QEMU's user-mode network with a virtio-net adapter (10.0.2.15 inside), and host
     * loopback port {@code hostPort} forwarded to {@code guestPort} inside, so tests can reach a service there; {@code
     * more}: further host loopback ports and the ports inside they forward to (several services in one nested host).
     * Inside, 10.0.2.2 is this machine's loopback (a service here, such as a ZooKeeper ensemble, is reached there).
     */
    public record Network(int hostPort, int guestPort, Map<Integer, Integer> more) {
        public Network(int hostPort, int guestPort) {
            this(hostPort, guestPort, Map.of());
        }

        String hostForwards() {
            StringBuilder b = new StringBuilder(",hostfwd=tcp:127.0.0.1:" + hostPort + "-:" + guestPort);
            more.forEach((h, g) ->
                    b.append(",hostfwd=tcp:127.0.0.1:").append(h).append("-:").append(g));
            return b.toString();
        }
    }

    /** A nested host that is still running: its console so far; closing it ends QEMU. */
    public static final class Session implements AutoCloseable {
        private final Process qemu;
        private final StringBuffer console = new StringBuffer();
        private final Path work;

        Session(Process qemu, Path work) {
            this.qemu = qemu;
            this.work = work;
            Thread.ofPlatform().daemon(true).name("nested-console").start(() -> {
                byte[] buf = new byte[8192];
                try (var in = qemu.getInputStream()) {
                    for (int n; (n = in.read(buf)) > 0; )
                        console.append(new String(buf, 0, n, StandardCharsets.UTF_8).replace("\r", ""));
                } catch (IOException ignored) {
                    // qemu went away
                }
            });
        }

        public String console() {
            return console.toString();
        }

        /** Waits until the console matches {@code pattern}; returns the match (group 1 if the pattern has one). */
        public String await(Pattern pattern, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Matcher m = pattern.matcher(console);
                if (m.find()) return m.groupCount() > 0 ? m.group(1) : m.group();
                if (!qemu.isAlive()) break;
                Thread.sleep(200);
            }
            throw new AssertionError("nested host never printed " + pattern + "; console:\n" + console);
        }

        @Override
        public void close() throws IOException {
            qemu.destroyForcibly();
            try {
                qemu.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            deleteTree(work);
        }
    }

    public record Run(String console, Map<String, Outcome> outcomes) {
        public Outcome get(String name) {
            Outcome o = outcomes.get(name);
            if (o == null) throw new AssertionError("command " + name + " did not finish; console:\n" + console);
            return o;
        }
    }

    /**
     * The runtime's modules: what viridian.jar needs (jdeps), without java.desktop (Jackson only probes java.beans):
     * the host service's HTTP server (Jetty: java.naming, java.management), TLS (jdk.crypto.ec), the CLI's HTTP client,
     * JFR (bench peers --diagnose profiles the Java code).
     */
    static final String JRE_MODULES =
            "java.base,java.logging,jdk.unsupported,java.management,java.naming,java.net.http,"
                    + "java.sql,jdk.crypto.ec,jdk.net,jdk.jfr";

    private NestedKvmHost() {}

    /** Debian's cloud kernel (bzImage), the same the nested host runs, to boot as a guest inside it. */
    public static byte[] stockKernel() throws IOException, InterruptedException {
        return Files.readAllBytes(DebianKernel.vmlinuz());
    }

    /** A guest initramfs: static busybox and the given /init script. */
    public static byte[] busyboxInitramfs(String init) throws IOException, InterruptedException {
        return busyboxInitramfs(init, Map.of());
    }

    /** The same, with extra host files placed at the given paths (e.g. kernel modules). */
    public static byte[] busyboxInitramfs(String init, Map<String, Path> extra)
            throws IOException, InterruptedException {
        ensurePackage("busybox", "busybox-static");
        Initramfs fs = Initramfs.busybox(Path.of(which("busybox")), init);
        fs.copyAll(extra);
        return fs.gzipped();
    }

    public static Run run(Path viridianJar, Map<String, byte[]> files, List<Command> commands, Duration timeout)
            throws IOException, InterruptedException {
        return run(viridianJar, files, Map.of(), commands, timeout);
    }

    /**
     * The same, with programs of this machine placed in the nested host at the given paths (e.g. {@link #qemuKvm()}).
     */
    public static Run run(
            Path viridianJar,
            Map<String, byte[]> files,
            Map<String, Path> hostPrograms,
            List<Command> commands,
            Duration timeout)
            throws IOException, InterruptedException {
        Prepared p = prepare(viridianJar, files, hostPrograms, commands, null, CPUS);
        Process qemu = new ProcessBuilder(p.qemu())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        qemu.getOutputStream().close();
        java.io.ByteArrayOutputStream console = new java.io.ByteArrayOutputStream();
        // The console also goes to target/nested-console.log as it comes, to follow a long run (the stress test).
        Path live = Path.of("target", "nested-console.log");
        Thread reader = Thread.ofPlatform().daemon(true).start(() -> {
            byte[] buf = new byte[8192];
            try (var in = qemu.getInputStream();
                    OutputStream log = Files.newOutputStream(live)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (console) {
                        console.write(buf, 0, n);
                    }
                    log.write(buf, 0, n);
                    log.flush();
                }
            } catch (IOException ignored) {
                // qemu went away: what was read so far is the console.
            }
        });
        if (!qemu.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) qemu.destroyForcibly();
        reader.join(5000);
        deleteTree(p.work());
        synchronized (console) {
            return parse(console.toString(StandardCharsets.UTF_8).replace("\r", ""));
        }
    }

    /** Boots a nested host with a network and runs {@code commands} in it; the caller talks to it, then closes it. */
    public static Session start(Path viridianJar, Map<String, byte[]> files, List<Command> commands, Network network)
            throws IOException, InterruptedException {
        Prepared p = prepare(viridianJar, files, Map.of(), commands, network, SESSION_CPUS);
        Process qemu = new ProcessBuilder(p.qemu())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        qemu.getOutputStream().close();
        return new Session(qemu, p.work());
    }

    private record Prepared(List<String> qemu, Path work) {}

    private static final List<String> NET_MODULES = List.of(
            "drivers/virtio/virtio_ring.ko",
            "drivers/virtio/virtio.ko",
            "drivers/virtio/virtio_pci_legacy_dev.ko",
            "drivers/virtio/virtio_pci_modern_dev.ko",
            "drivers/virtio/virtio_pci.ko",
            "net/core/failover.ko",
            "drivers/net/net_failover.ko",
            "drivers/net/virtio_net.ko");

    private static Prepared prepare(
            Path viridianJar,
            Map<String, byte[]> files,
            Map<String, Path> hostPrograms,
            List<Command> commands,
            Network network,
            int cpus)
            throws IOException, InterruptedException {
        ensurePackage("qemu-system-x86_64", "qemu-system-x86");
        ensurePackage("busybox", "busybox-static");
        Path kernel = DebianKernel.vmlinuz();
        Path modules = DebianKernel.modules();
        Path jre = jre();
        Path work = Files.createTempDirectory("viridian-nested");
        Path initrd = work.resolve("initrd.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(initrd), 1 << 16)) {
            Initramfs fs = new Initramfs();
            fs.file("init", init(commands, network != null).getBytes(StandardCharsets.UTF_8), true);
            // C1 alone, benches too: on the one-CPU emulated host C2's compiler threads took more CPU than the VMM
            // itself through a whole `bench peers` (17 ms a disk command in its first job, still 1.2 ms in its fourth).
            fs.file(
                    "bin/viridian",
                    ("#!/bin/sh\nexec /opt/java/bin/java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "
                                    + "--enable-native-access=ALL-UNNAMED -jar /opt/viridian.jar \"$@\"\n")
                            .getBytes(),
                    true);
            fs.copy(Path.of(which("busybox")), "bin/busybox");
            List<String> kos =
                    new ArrayList<>(List.of("virt/lib/irqbypass.ko", "arch/x86/kvm/kvm.ko", "arch/x86/kvm/kvm-amd.ko"));
            if (network != null) kos.addAll(NET_MODULES);
            for (String ko : kos)
                fs.copy(modules.resolve(ko), "mod/" + Path.of(ko).getFileName());
            fs.tree(jre, "opt/java");
            for (String lib : sharedLibraries(jre)) fs.copy(Path.of(lib), lib.substring(1));
            fs.copy(viridianJar, "opt/viridian.jar");
            for (var f : files.entrySet())
                fs.file("opt/files/" + f.getKey(), f.getValue(), f.getKey().endsWith(".sh"));
            for (var f : hostPrograms.entrySet()) fs.copy(f.getValue(), f.getKey());
            fs.writeTo(out);
        }
        List<String> qemu = new ArrayList<>(List.of(
                "qemu-system-x86_64",
                "-accel",
                // -Dnested.tcg=single: one TCG thread for both vCPUs instead of multi-threaded TCG (issue 15's
                // experiment: do the nested host's crashes come from MTTCG's emulation of SVM?).
                "single".equals(System.getProperty("nested.tcg")) ? "tcg,thread=single" : "tcg",
                "-cpu",
                "qemu64,+svm,+npt",
                "-m",
                "2048",
                "-smp",
                Integer.toString(cpus),
                "-nographic",
                "-no-reboot",
                "-kernel",
                kernel.toString(),
                "-initrd",
                initrd.toString(),
                "-append",
                "console=ttyS0 quiet panic=-1"));
        if (network != null) {
            qemu.addAll(
                    List.of("-netdev", "user,id=n0" + network.hostForwards(), "-device", "virtio-net-pci,netdev=n0"));
        }
        return new Prepared(qemu, work);
    }

    private static String init(List<Command> commands, boolean network) {
        StringBuilder s = new StringBuilder(
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
                # KVM's own counters (bench peers --diagnose reads them).
                mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
                insmod /mod/irqbypass.ko; insmod /mod/kvm.ko; insmod /mod/kvm-amd.ko
                cd /opt/files 2>/dev/null || cd /
                # Loopback, network or not: a `viridian serve` in a command listens on 127.0.0.1 by default.
                ip link set lo up
                """);
        // -Dnested.shmem.thp=advise: shared memory (Viridian's guest RAM) may have transparent huge pages where asked
        // for, as a host set up for VMs would allow (Debian's default is never).
        String thp = System.getProperty("nested.shmem.thp", "");
        if (thp.matches("[a-z_]+"))
            s.append("echo ").append(thp).append(" > /sys/kernel/mm/transparent_hugepage/shmem_enabled\n");
        if (network) {
            s.append(NET_MODULES.stream()
                            .map(m -> "insmod /mod/" + Path.of(m).getFileName())
                            .reduce((a, b) -> a + "; " + b)
                            .orElseThrow())
                    .append("\nip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; ip "
                            + "route add default via 10.0.2.2\n")
                    .append("echo \"@@@NET $(ip -o -4 addr show eth0)\"\n");
        }
        int functionNumber = 0;
        for (Command c : commands) {
            // A watchdog per command: a hung command (the nested host has hung guests and once its own kernel; see
            // issue 15) gets a Java thread dump on the console, is killed, and is run once more, marked @@@RETRY, so
            // one hang costs one command's time instead of the whole run's.
            if (c.timeoutSeconds() <= 0) {
                s.append("echo \"@@@BEGIN ")
                        .append(c.name())
                        .append("\"; T0=$(date +%s)\n( ")
                        .append(c.shell());
                s.append(" ) </dev/null 2>&1; RC=$?\necho \"@@@END ").append(c.name());
                s.append(" rc=$RC t=$(( $(date +%s) - T0 ))\"\n");
                continue;
            }
            String f = "run_" + (functionNumber++);
            s.append(f).append("() {\n( ").append(c.shell()).append(" ) </dev/null 2>&1 & P=$!\n");
            s.append("( sleep ")
                    .append(c.timeoutSeconds())
                    .append("; echo \"@@@HUNG ")
                    .append(c.name());
            s.append(": thread dump\"; pkill -QUIT -f viridian.jar; sleep 10; pkill -9 -f viridian.jar; kill -9 $P )")
                    .append(" >/dev/null 2>&1 & W=$!\n");
            s.append("wait $P; RC=$?; kill $W 2>/dev/null; wait $W 2>/dev/null; return $RC\n}\n");
            s.append("echo \"@@@BEGIN ").append(c.name()).append("\"; T0=$(date +%s)\n");
            s.append(f).append("; RC=$?\n");
            s.append("if [ $RC = 137 ]; then echo \"@@@RETRY ")
                    .append(c.name())
                    .append(" after a hang\"; echo \"@@@BEGIN ")
                    .append(c.name())
                    .append("\"; T0=$(date +%s); ")
                    .append(f)
                    .append("; RC=$?; fi\n");
            s.append("echo \"@@@END ").append(c.name()).append(" rc=$RC t=$(( $(date +%s) - T0 ))\"\n");
        }
        return s.append("poweroff -f\n").toString();
    }

    static Run parse(String console) {
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        Matcher m = END.matcher(console);
        while (m.find()) {
            String name = m.group(1);
            int begin = console.lastIndexOf("@@@BEGIN " + name + "\n", m.start());
            String output = begin < 0 ? "" : console.substring(begin + ("@@@BEGIN " + name + "\n").length(), m.start());
            outcomes.put(name, new Outcome(name, Integer.parseInt(m.group(2)), output, Integer.parseInt(m.group(3))));
        }
        return new Run(console, outcomes);
    }

    /**
     * A minimal runtime for viridian.jar, cached per JDK version (jlink takes a few seconds), with the JDK's class-data
     * archive: every JVM started under TCG (the service, and a worker per VM) loads its classes from it.
     */
    private static Path jre() throws IOException, InterruptedException {
        Path jre =
                CACHE.resolve("jre-" + Runtime.version() + "-" + Integer.toHexString(JRE_MODULES.hashCode()) + "-cds");
        if (Files.isExecutable(jre.resolve("bin/java"))) return jre;
        Files.createDirectories(CACHE);
        Path tmp = CACHE.resolve("jre-tmp-" + ProcessHandle.current().pid());
        deleteTree(tmp);
        sh(Path.of(System.getProperty("java.home"), "bin", "jlink") + " --add-modules " + JRE_MODULES
                + " --strip-debug --no-header-files --no-man-pages --generate-cds-archive --output " + tmp);
        Files.move(tmp, jre);
        return jre;
    }

    /** glibc and the loader, as the runtime's binaries were linked against them on this machine. */
    private static List<String> sharedLibraries(Path jre) throws IOException, InterruptedException {
        String out = sh("cd " + jre + " && ldd bin/java lib/server/libjvm.so lib/*.so 2>/dev/null || true");
        List<String> libs = new ArrayList<>();
        // Only resolved dependencies ("name => /path (addr)") and the loader ("\t/lib64/ld-linux… (addr)").
        Matcher m = Pattern.compile("(?:=>\\s+|^\\s+)(/\\S+)\\s+\\(0x", Pattern.MULTILINE)
                .matcher(out);
        while (m.find()) if (!libs.contains(m.group(1)) && !m.group(1).startsWith(jre.toString())) libs.add(m.group(1));
        return libs;
    }

    /**
     * A dynamically linked host program placed at {@code at} with the shared libraries its loader lists, as
     * initramfs paths to host files for {@link #busyboxInitramfs(String, Map)}; its Debian package is installed when
     * missing (as root). Empty when the program cannot be had: the caller skips what needs it.
     */
    public static Map<String, Path> dynamicProgram(String command, String pkg, String at)
            throws IOException, InterruptedException {
        String program;
        try {
            program = ExternalTool.require(command, pkg).toString();
        } catch (org.opentest4j.TestAbortedException e) {
            return Map.of(); // optional: the caller goes on without it
        }
        return HostProgram.withLibraries(Path.of(program), at);
    }

    /**
     * QEMU with KVM for the nested host, the peer that runs the same guest there: this machine's qemu-system-x86_64,
     * its shared libraries and the firmware a direct kernel boot needs (SeaBIOS, the linuxboot, multiboot and kvmvapic ROMs).
     * Run it there with {@code -nodefaults -display none -serial stdio}.
     */
    public static Map<String, Path> qemuKvm() throws IOException, InterruptedException {
        ensurePackage("qemu-system-x86_64", "qemu-system-x86");
        Map<String, Path> files = new java.util.LinkedHashMap<>(
                dynamicProgram("qemu-system-x86_64", "qemu-system-x86", "usr/bin/qemu-system-x86_64"));
        for (String f : List.of(
                "seabios/bios-256k.bin", "qemu/linuxboot_dma.bin", "qemu/multiboot_dma.bin", "qemu/kvmvapic.bin")) {
            Path p = Path.of("/usr/share").resolve(f);
            Assumptions.assumeTrue(Files.exists(p), p + " missing (Debian packages seabios, qemu-system-data)");
            files.put("usr/share/" + f, p.toRealPath());
        }
        return files;
    }

    private static void ensurePackage(String command, String pkg) {
        ExternalTool.require(command, pkg);
    }

    private static String which(String command) {
        Path p = ExternalTool.which(command);
        return p == null ? null : p.toString();
    }

    private static String sh(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", command)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        Assumptions.assumeTrue(p.waitFor() == 0, "`" + command + "` failed: " + out);
        return out;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
