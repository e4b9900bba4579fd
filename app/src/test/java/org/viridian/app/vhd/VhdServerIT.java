package org.viridian.app.vhd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk tools' server and its client as the launcher runs them (target/viridian-vhd-client, the tools' jar, a real
 * server JVM): the first convert starts the server, later ones are served by it (same process) with the client's
 * directory, language, output and exit status; what it cannot serve runs in the client's own JVM; a killed client
 * cancels its conversion without leaving a file; a bad request is refused; another user cannot reach it; it ends when
 * idle.
 */
class VhdServerIT {
    @TempDir
    Path dir;

    private Path run;
    private static final Path TOOLS = Path.of("target/viridian-vhd.jar").toAbsolutePath();
    private static final Path CLIENT = Path.of("target/viridian-vhd-client").toAbsolutePath();
    private static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private record Run(int rc, String out, String err) {}

    @BeforeEach
    void paths() throws IOException {
        assumeTrue(Files.isExecutable(CLIENT) && Files.exists(TOOLS), "client and tools jar not built (mvn verify)");
        run = dir.resolve("run");
    }

    @AfterEach
    void stopServer() throws Exception {
        for (long pid : serverPids()) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    private List<String> server() {
        return List.of(
                "/usr/bin/env",
                "LC_ALL=C.UTF-8",
                JAVA,
                "--enable-native-access=ALL-UNNAMED",
                "-Dviridian.vhd.server.idleSeconds=4",
                "-cp",
                TOOLS.toString(),
                "org.viridian.app.vhd.VhdServer");
    }

    private static final List<String> DIRECT = List.of(
            JAVA, "--enable-native-access=ALL-UNNAMED", "-cp", TOOLS.toString(), "org.viridian.app.vhd.VhdMain");

    /** The launcher's --sources ROOT JAR (the client checks the build), or none. */
    private List<String> sources = List.of();

    private Process start(String language, List<String> direct, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(CLIENT.toString()));
        cmd.addAll(sources);
        cmd.add(run.toString());
        cmd.add(String.valueOf(server().size()));
        cmd.addAll(server());
        cmd.add(String.valueOf(direct.size()));
        cmd.addAll(direct);
        cmd.add("--");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().remove("LC_ALL");
        pb.environment().remove("LC_MESSAGES");
        pb.environment().put("LANG", language);
        return pb.start();
    }

    private Run vhd(String language, List<String> direct, String... args) throws Exception {
        Process p = start(language, direct, args);
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        String out = readAll(p.getInputStream());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err.get());
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private String log() throws IOException {
        try (Stream<Path> s = Files.list(run)) {
            StringBuilder b = new StringBuilder();
            for (Path p : s.filter(p -> p.toString().endsWith(".log")).toList()) b.append(Files.readString(p));
            return b.toString();
        }
    }

    private List<Long> serverPids() throws IOException {
        if (run == null || !Files.isDirectory(run)) return List.of();
        List<Long> pids = new ArrayList<>();
        var m = java.util.regex.Pattern.compile("\\(pid (\\d+)\\)").matcher(log());
        while (m.find()) pids.add(Long.parseLong(m.group(1)));
        return pids;
    }

    private Path image(String name, long size, long dataAt, int dataBytes) throws IOException {
        Path raw = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] data = new byte[dataBytes];
            new Random(dataAt).nextBytes(data);
            ch.write(ByteBuffer.wrap(data), dataAt);
            ch.truncate(size);
            ch.write(ByteBuffer.wrap(new byte[] {1}), size - 1);
        }
        return raw;
    }

    @Test
    void servesConversionsInTheClientsDirectoryAndLanguage() throws Exception {
        Path raw = image("in.img", 16 << 20, 3 << 20, 1 << 20);
        // Relative paths: the client's directory, not the server's.
        Run first = vhd("C", DIRECT, "convert", "in.img", "a.vhdx");
        assertThat(first.rc()).as(first.err()).isZero();
        assertThat(first.out())
                .startsWith("converted in.img (raw, 16 MiB) to a.vhdx (vhdx dynamic): 1.1 MiB of data written in ");
        assertThat(dir.resolve("a.vhdx")).exists();
        List<Long> servers = serverPids();
        assertThat(servers).as(log()).hasSize(1);
        assertThat(ProcessHandle.of(servers.get(0))).isPresent();

        Run back = vhd("de_DE.UTF-8", DIRECT, "convert", "a.vhdx", "back.img");
        assertThat(back.rc()).as(back.err()).isZero();
        assertThat(back.out()).contains("konvertiert");
        assertThat(Files.mismatch(raw, dir.resolve("back.img"))).isEqualTo(-1L);
        assertThat(serverPids())
                .as("the second command went to the same server")
                .isEqualTo(servers);

        // An error: its message on the client's stderr, its status as the exit status; the server serves on.
        Run bad = vhd("C", DIRECT, "convert", "missing.img", "x.vhdx");
        assertThat(bad.rc()).isOne();
        assertThat(bad.err()).startsWith("viridian: ").contains("missing.img");
        assertThat(bad.out()).isEmpty();
        Run again = vhd("C", DIRECT, "convert", "-O", "vhd", "in.img", "b.vhd");
        assertThat(again.rc()).as(again.err()).isZero();
        assertThat(serverPids()).isEqualTo(servers);
        assertThat(ProcessHandle.of(servers.get(0))).isPresent();

        // Idle: the server ends and takes its socket with it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ProcessHandle.of(servers.get(0)).isPresent() && System.nanoTime() < deadline) Thread.sleep(200);
        assertThat(ProcessHandle.of(servers.get(0))).as(log()).isEmpty();
        try (Stream<Path> s = Files.list(run)) {
            assertThat(s.filter(p -> p.toString().endsWith(".sock"))).isEmpty();
        }
        // After its first command it converted one small image of each format (no command counted), then idled out.
        assertThat(log()).contains("warmed up in").contains("idle for 4 s").contains("stopped after 4 commands");
    }

    @Test
    void whatTheServerCannotServeRunsInTheClientsOwnJvm() throws Exception {
        image("in.img", 16 << 20, 0, 4096);
        assertThat(vhd("C", DIRECT, "convert", "in.img", "a.vhdx").rc()).isZero();
        Run info = vhd("C", DIRECT, "info", "a.vhdx");
        assertThat(info.rc()).as(info.err()).isZero();
        assertThat(info.out()).contains("vhdx");
        // A stand-in for the direct command shows which way the command went.
        Run help = vhd("C", List.of("/bin/echo", "direct:"), "convert", "--help");
        assertThat(help.out()).isEqualTo("direct: convert --help\n");
        Run served = vhd("C", List.of("/bin/echo", "direct:"), "convert", "in.img", "c.vhdx");
        assertThat(served.out()).startsWith("converted in.img");
    }

    /**
     * The launcher's "sources changed since the build?" check, done by the client (--sources): a source, resource or
     * pom newer than the jar sends the command back to the launcher (here a stand-in that says how it was called), with
     * VIRIDIAN_BUILD_CHECK=1; newer files in the modules' target folders or in .git do not.
     */
    @Test
    void sourcesNewerThanTheBuildSendTheCommandBackToTheLauncher() throws Exception {
        Path root = Files.createDirectories(dir.resolve("checkout"));
        Path jar = Files.createDirectories(root.resolve("app/target")).resolve("viridian.jar");
        Path source =
                Files.createDirectories(root.resolve("app/src/main/java/x")).resolve("A.java");
        Path resource = Files.createDirectories(root.resolve("app/src/main/resources/x"))
                .resolve("m.properties");
        Path pom = root.resolve("app/pom.xml");
        Path output =
                Files.createDirectories(root.resolve("app/target/classes/x")).resolve("A.java");
        Path git = Files.createDirectories(root.resolve(".git/refs")).resolve("Makefile");
        Path launcher = root.resolve("viridian");
        Files.writeString(launcher, "#!/bin/sh\necho \"launcher: $* check=$VIRIDIAN_BUILD_CHECK\"\n");
        assertThat(launcher.toFile().setExecutable(true)).isTrue();
        long now = System.currentTimeMillis();
        var built = FileTime.fromMillis(now + 60_000);
        var older = FileTime.fromMillis(now);
        var newer = FileTime.fromMillis(now + 120_000);
        for (Path p : List.of(jar, source, resource, pom, output, git)) Files.writeString(p, "x");
        for (Path p : List.of(source, resource, pom)) Files.setLastModifiedTime(p, older);
        for (Path p : List.of(output, git)) Files.setLastModifiedTime(p, newer);
        Files.setLastModifiedTime(jar, built);
        sources = List.of("--sources", root.toString(), jar.toString());
        List<String> direct = List.of("/bin/echo", "direct:");

        // Up to date (what changed after the build is build output and git's): the command goes on its way.
        assertThat(vhd("C", direct, "convert", "--help").out()).isEqualTo("direct: convert --help\n");
        for (Path changed : List.of(source, resource, pom)) {
            Files.setLastModifiedTime(changed, newer);
            assertThat(vhd("C", direct, "convert", "--help").out())
                    .as(changed.toString())
                    .isEqualTo("launcher: vhd convert --help check=1\n");
            Files.setLastModifiedTime(changed, older);
        }
        // No jar at all: the launcher builds.
        Files.delete(jar);
        assertThat(vhd("C", direct, "convert", "--help").out()).isEqualTo("launcher: vhd convert --help check=1\n");
    }

    @Test
    void aClientThatGoesAwayCancelsItsConversion() throws Exception {
        // Large enough that the durable copy is still running when the client is killed (fsync of 512 MiB).
        Path raw = dir.resolve("big.img");
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] data = new byte[4 << 20];
            Random r = new Random(3);
            for (long at = 0; at < (512L << 20); at += data.length) {
                r.nextBytes(data);
                ch.write(ByteBuffer.wrap(data), at * 2);
            }
        }
        assertThat(vhd("C", DIRECT, "convert", "in-none.img", "x.vhdx").rc()).isOne(); // the server is up
        Process p = start("C", DIRECT, "convert", "--sync", "-p", "big.img", "big.vhdx");
        assertThat(p.getErrorStream().read()).as("progress shown").isNotEqualTo(-1);
        p.destroyForcibly().waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((!log().contains("cancelling") || !leftovers().isEmpty()) && System.nanoTime() < deadline)
            Thread.sleep(100);
        assertThat(leftovers()).as(log()).isEmpty();
        assertThat(log()).contains("the client went away; cancelling its command");
        assertThat(dir.resolve("big.vhdx")).doesNotExist();
        // The server serves on.
        image("in.img", 16 << 20, 0, 4096);
        Run after = vhd("C", DIRECT, "convert", "in.img", "after.vhdx");
        assertThat(after.rc()).as(after.err()).isZero();
        assertThat(serverPids()).hasSize(1);
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".convert-"))
                    .toList();
        }
    }

    @Test
    void aBadRequestIsRefusedAndTheServerServesOn() throws Exception {
        image("in.img", 16 << 20, 0, 4096);
        assertThat(vhd("C", DIRECT, "convert", "in.img", "a.vhdx").rc()).isZero();
        Path sock;
        try (Stream<Path> s = Files.list(run)) {
            sock = s.filter(p -> p.toString().endsWith(".sock")).findFirst().orElseThrow();
        }
        for (byte[] bad : List.of(
                "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                ByteBuffer.allocate(8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(VhdRequest.MAGIC)
                        .putInt(100_000)
                        .array())) {
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(sock));
                c.write(ByteBuffer.wrap(bad));
                ByteBuffer reply = ByteBuffer.allocate(256);
                while (c.read(reply) >= 0) {}
                reply.flip();
                assertThat((char) reply.get()).isEqualTo('R');
            }
        }
        assertThat(log())
                .contains("refused a request: not a disk tools request")
                .contains("bad string count");
        assertThat(vhd("C", DIRECT, "convert", "in.img", "b.vhdx").rc()).isZero();
        assertThat(serverPids()).hasSize(1);
    }

    @Test
    void anotherUserCannotReachTheServer() throws Exception {
        assumeTrue(
                "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "needs root and setpriv");
        image("in.img", 16 << 20, 0, 4096);
        assertThat(vhd("C", DIRECT, "convert", "in.img", "a.vhdx").rc()).isZero();
        // As nobody, through this user's directory: the client will not use a directory it does not own, and runs
        // the command itself (here a stand-in that says so).
        List<String> cmd = new ArrayList<>(List.of(
                "/usr/bin/setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                CLIENT.toString(),
                run.toString()));
        cmd.add(String.valueOf(server().size()));
        cmd.addAll(server());
        cmd.addAll(List.of("2", "/bin/echo", "direct:", "--", "convert", "in.img", "n.vhdx"));
        Process p = new ProcessBuilder(cmd).directory(Path.of("/").toFile()).start();
        String out = readAll(p.getInputStream());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("direct: convert in.img n.vhdx\n");
    }
}
