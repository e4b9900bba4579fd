package org.viridian.confine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.confine.sys.Errno;

/**
 * Real processes: a child JVM ({@link ConfinedProbe}) confines itself and tries every refused and every allowed
 * operation from a thread started before confinement, the confining thread and a thread started after; the test reads
 * each thread's /proc status while the child waits. A control child that does not confine itself makes the same calls,
 * so every refusal asserted here is shown to come from the confinement and not from the host.
 */
class ConfinementTest {
    private static final List<String> THREADS = List.of("before", "main", "after");
    private static final List<String> REFUSED_BY_FILTER = List.of(
            "ptrace",
            "process_vm_readv",
            "mount",
            "kexec_load",
            "init_module",
            "finit_module",
            "bpf",
            "unshare",
            "setns",
            "chroot",
            "personality",
            "open_by_handle_at",
            "execve");
    private static final List<String> ALLOWED =
            List.of("thread", "file", "mmap_file", "mmap_anonymous", "socketpair", "dev_null", "secure_random");

    @TempDir
    static Path dir;

    private static Path outside;

    @BeforeAll
    static void hostAllowsIt() throws IOException {
        Map<String, String> self = status(Path.of("/proc/self/status"));
        long capEff = Long.parseLong(self.get("CapEff"), 16);
        Assumptions.assumeTrue(
                self.get("Uid").startsWith("0\t") && (capEff & (1L << 21)) != 0,
                "confinement needs root with CAP_SYS_ADMIN here (a mount namespace and chroot); this test runs as "
                        + self.get("Uid") + " with CapEff " + self.get("CapEff"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        outside = Files.writeString(dir.resolve("outside-the-jail"), "host secret");
    }

    /** One finished child: its probes by thread and name, its steps, and each thread's /proc status while confined. */
    private record Run(
            Map<String, Map<String, Long>> probes,
            Map<String, Boolean> steps,
            String confinerTid,
            Map<String, Map<String, String>> statusByTid,
            String pid) {
        long result(String thread, String name) {
            Long r = probes.getOrDefault(thread, Map.of()).get(name);
            assertThat(r).as(thread + " " + name).isNotNull();
            return r;
        }
    }

    @Test
    void unconfinedTheSameCallsAreNotRefused() throws Exception {
        Run control = run("control");
        for (String t : THREADS) {
            for (String name : REFUSED_BY_FILTER)
                assertThat(control.result(t, name)).as(t + " " + name).isNotEqualTo(-Errno.EPERM);
            assertThat(control.result(t, "open_outside"))
                    .as("the outside file opens")
                    .isGreaterThanOrEqualTo(0);
            assertThat(control.result(t, "write_jdk"))
                    .as("root may open the JDK for writing")
                    .isGreaterThanOrEqualTo(0);
            assertThat(control.result(t, "socket_netlink")).isGreaterThanOrEqualTo(0);
            for (String name : ALLOWED)
                assertThat(control.result(t, name)).as(t + " " + name).isZero();
        }
        Map<String, String> main = control.statusByTid().get(control.pid());
        assertThat(main.get("Seccomp")).isEqualTo("0");
    }

    @Test
    void confinedAsNobodyEveryThreadIsRefusedAndStillWorks() throws Exception {
        Run r = run("confine-nobody");
        assertThat(r.steps())
                .containsEntry("jail", true)
                .containsEntry("user", true)
                .containsEntry("seccomp", true);
        assertRefusedAndWorking(r);
        // Every thread — the launcher's primordial thread (/proc/self/status), the JVM's own, ours — is confined.
        assertThat(r.statusByTid()).containsKey(r.pid()).hasSizeGreaterThan(5);
        r.statusByTid().forEach((tid, s) -> {
            assertThat(s.get("NoNewPrivs")).as("NoNewPrivs of " + tid).isEqualTo("1");
            assertThat(s.get("Seccomp")).as("Seccomp of " + tid).isEqualTo("2");
            assertThat(s.get("Seccomp_filters")).as("filters of " + tid).isEqualTo("1");
            assertThat(s.get("CapEff")).as("CapEff of " + tid).isEqualTo("0000000000000000");
            assertThat(s.get("CapPrm")).as("CapPrm of " + tid).isEqualTo("0000000000000000");
            assertThat(s.get("Uid")).as("Uid of " + tid).isEqualTo("65534\t65534\t65534\t65534");
            assertThat(s.get("Gid")).as("Gid of " + tid).isEqualTo("65534\t65534\t65534\t65534");
            assertThat(s.get("Groups")).as("Groups of " + tid).isEmpty();
        });
        assertThat(r.statusByTid().get(r.confinerTid()).get("CapBnd")).isEqualTo("0000000000000000");
    }

    @Test
    void confinedAsRootTheFilterAndJailHoldForEveryThread() throws Exception {
        Run r = run("confine");
        assertThat(r.steps()).containsEntry("jail", true).containsEntry("user", false);
        assertRefusedAndWorking(r);
        r.statusByTid().forEach((tid, s) -> {
            assertThat(s.get("NoNewPrivs")).as("NoNewPrivs of " + tid).isEqualTo("1");
            assertThat(s.get("Seccomp")).as("Seccomp of " + tid).isEqualTo("2");
        });
        // Capabilities are per thread: without a change of user only the confining thread (and those it starts) lose
        // them, which is why the worker should be given a user (see docs/ARCHITECTURE.md, Confinement).
        Map<String, String> confiner = r.statusByTid().get(r.confinerTid());
        assertThat(confiner.get("CapEff")).isEqualTo("0000000000000000");
        assertThat(confiner.get("CapPrm")).isEqualTo("0000000000000000");
        assertThat(confiner.get("CapBnd")).isEqualTo("0000000000000000");
    }

    @Test
    void aDirectoryOpenFromBeforeConfinementIsRefusedAsAWayOutOfTheJail() throws Exception {
        List<String> lines = new ArrayList<>();
        Process p = start("confine-dirfd");
        p.getOutputStream().close(); // were it confined after all, it would not wait at "ready"
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) lines.add(line);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Assumptions.assumeFalse(
                lines.stream().anyMatch(l -> l.startsWith("refused") && l.contains("EPERM")),
                "this host refuses the jail: " + lines);
        assertThat(p.exitValue()).as(String.join("\n", lines)).isEqualTo(3);
        assertThat(lines)
                .anyMatch(l -> l.startsWith("refused confinement step 'jail'") && l.contains("open directory"));
    }

    private static void assertRefusedAndWorking(Run r) {
        for (String t : THREADS) {
            for (String name : REFUSED_BY_FILTER)
                assertThat(r.result(t, name)).as(t + " " + name).isEqualTo(-Errno.EPERM);
            assertThat(r.result(t, "fork")).as(t + " fork").isEqualTo(-Errno.EPERM);
            // Outside the jail the file does not exist at all: nothing of the host's tree is left to name.
            assertThat(r.result(t, "open_outside")).as(t + " open outside").isEqualTo(-Errno.ENOENT);
            // A read-only mount (EROFS); as nobody the file's own permissions answer first (EACCES).
            assertThat(r.result(t, "write_jdk")).as(t + " write the JDK").isIn((long) -Errno.EROFS, (long)
                    -Errno.EACCES);
            assertThat(r.result(t, "socket_netlink")).as(t + " netlink").isEqualTo(-Errno.EAFNOSUPPORT);
            for (String name : ALLOWED)
                assertThat(r.result(t, name)).as(t + " " + name).isZero();
        }
    }

    /** Starts the child in {@code mode} with a jail and a data directory of its own. */
    private static Process start(String mode) throws IOException {
        Path jail = Files.createDirectory(dir.resolve("jail-" + mode));
        Path data = Files.createDirectory(dir.resolve("data-" + mode));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx")); // nobody writes here too
        String classPath = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.contains("target" + File.separator + "classes")
                        || e.contains("target" + File.separator + "test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(
                        java.toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-XX:-UsePerfData",
                        "-Xmx64m",
                        "-cp",
                        classPath,
                        ConfinedProbe.class.getName(),
                        mode,
                        jail.toString(),
                        data.toString(),
                        outside.toString())
                .redirectErrorStream(true)
                .start();
    }

    private static Run run(String mode) throws Exception {
        Process p = start(mode);
        List<String> lines = new ArrayList<>();
        Map<String, Map<String, String>> statusByTid = new HashMap<>();
        try (BufferedReader out =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                OutputStream in = p.getOutputStream()) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
                if (line.startsWith("refused ")) {
                    p.waitFor(10, TimeUnit.SECONDS);
                    // Only the host refusing the namespace or the mounts is a reason to skip; anything else is a bug.
                    Assumptions.assumeFalse(
                            line.startsWith("refused confinement step 'jail'") && line.contains("EPERM"),
                            "this host refuses a confinement step: " + line);
                    throw new AssertionError("confinement failed: " + line);
                }
                if (line.equals("ready")) {
                    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(p.pid()), "task"))) {
                        for (Path task : tasks.toList()) {
                            try {
                                statusByTid.put(task.getFileName().toString(), status(task.resolve("status")));
                            } catch (NoSuchFileException gone) {
                                // A thread that ended between the listing and the read (a JIT compiler thread).
                            }
                        }
                    }
                    in.write('\n');
                    in.flush();
                }
            }
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
        assertThat(lines).as("the child's output").noneMatch(l -> l.startsWith("error "));
        Map<String, Map<String, Long>> probes = new HashMap<>();
        Map<String, Boolean> steps = new HashMap<>();
        String confiner = null;
        for (String line : lines) {
            String[] w = line.split(" ");
            switch (w[0]) {
                case "probe" ->
                    probes.computeIfAbsent(w[1], k -> new HashMap<>()).put(w[2], Long.parseLong(w[3]));
                case "step" ->
                    steps.put(line.split(" ", 4)[3], Boolean.parseBoolean(w[1])); // step <applied> <µs> <name>
                case "confiner" -> confiner = w[1];
                default -> {}
            }
        }
        assertThat(statusByTid).as(String.join("\n", lines)).isNotEmpty();
        return new Run(probes, steps, confiner, statusByTid, Long.toString(p.pid()));
    }

    private static Map<String, String> status(Path file) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int colon = line.indexOf(':');
            if (colon > 0)
                m.put(line.substring(0, colon), line.substring(colon + 1).strip());
        }
        return m;
    }
}
