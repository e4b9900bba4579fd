package org.viridian.app.nested;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.chrome.ChromeDriver;
import org.viridian.app.vm.Cli;
import org.viridian.management.testing.PrometheusParser;
import org.viridian.management.web.Chromium;
import org.viridian.management.web.WebManagerBrowserTest;

/**
 * The host service end to end on a real KVM: `viridian serve` runs inside a nested-KVM host (see {@link NestedKvmHost})
 * on its network address, so TLS and a bearer token are required; this side reaches it through QEMU's port forward
 * and drives it with the CLI and with the web manager in headless Chromium: create VMs, start them, see their serial
 * console, pause, resume and stop them; a VM keeps running through a SIGKILL of the service, and the next service
 * adopts it.
 */
class NestedManagementIT {
    /** A guest that runs until it is stopped: the CPL3 hash loop with about four billion iterations. */
    private static final String LONG_GUEST = "cpl3.elf";

    /** For ever: 4e9 iterations took some nested hosts as little as ~15 s of a 50 % limit (the guest ended mid-test). */
    private static final String LONG_CMDLINE = "iters=0";

    private static final String SERVE = "viridian serve --state-dir /tmp/state --listen 0.0.0.0:8080 "
            + "--tls-keystore server.p12 --tls-password-file tls.pw";
    /** A VM's notes that tell the nested host to SIGKILL the service (and start it again). */
    private static final String KILL_MARK = "kill-the-service";

    private static NestedKvmHost.Session host;
    private static String url;
    private static Cli cli;
    private static String token;
    private static Path cert;

    @BeforeAll
    static void bootNestedHostWithTheService() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn verify)");
        NestedTls tls = NestedTls.create();
        Path keyStore = tls.keyStore();
        cert = tls.certificate();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        host = NestedKvmHost.start(
                jar,
                Map.of("server.p12", Files.readAllBytes(keyStore), "tls.pw", NestedTls.PASSWORD.getBytes()),
                List.of(
                        new NestedKvmHost.Command("token", "viridian serve token e2e --admin --state-dir /tmp/state"),
                        new NestedKvmHost.Command("disk", "viridian vhd create --size 64M /tmp/counter.vhdx"),
                        // The service, on cgroup v2 (the unified hierarchy, as a systemd host mounts it); SIGKILLed
                        // once a VM's notes say so, then started again on the same state.
                        new NestedKvmHost.Command(
                                "serve",
                                "mkdir -p /sys/fs/cgroup; mount -t cgroup2 none /sys/fs/cgroup; " + SERVE
                                        + " & S=$!; until grep -qs " + KILL_MARK
                                        + " /tmp/state/vms/*/config.json; do sleep 1; done; kill -9 $S;"
                                        + " echo 'viridian: the service was killed (SIGKILL)'; exec " + SERVE)),
                new NestedKvmHost.Network(port, 8080));
        token = host.await(Pattern.compile("(vdn_[A-Za-z0-9_-]{30,})"), Duration.ofMinutes(8));
        host.await(Pattern.compile("viridian: serving on https://0\\.0\\.0\\.0:8080/"), Duration.ofMinutes(5));
        url = "https://127.0.0.1:" + port + "/";
        cli = new Cli(url, List.of("--token=" + token, "--tls-trust=" + cert));
        // The service said it serves; through QEMU's port forward on a loaded host the first answer can still take a
        // while: every test starts from a service that has answered once.
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        Cli.Result listed;
        do listed = cli.run("vm", "list");
        while (listed.rc() != 0 && System.nanoTime() < deadline);
        assertThat(listed.rc()).as(listed.err()).isZero();
    }

    @AfterAll
    static void shutDown() throws IOException {
        if (host != null) {
            System.out.println("nested host console (tail):\n" + tail(host.console(), 3000));
            host.close();
        }
    }

    @Test
    void theCliStartsAVmShowsItsConsoleAndStopsIt() throws Exception {
        Cli.Result created = cli.run("vm", "create", "smp", "--cpus", "2");
        assertThat(created.rc()).as(created.out() + created.err()).isZero();
        Cli.Result started = cli.run("vm", "start", "smp");
        assertThat(started.rc()).as(started.err()).isZero();
        JsonNode smp = awaitState("smp", "off"); // the demo guest passes and exits by itself
        assertThat(smp.at("/lastExit/reason").asText()).isEqualTo("the guest exited with status 33");
        assertThat(cli.run("vm", "console", "smp", "--print").out())
                .contains("cpus online: 2")
                .contains("RESULT: PASS");

        assertThat(cli.run("vm", "create", "long", "--guest", LONG_GUEST, "--cmdline", LONG_CMDLINE)
                        .rc())
                .isZero();
        assertThat(cli.run("vm", "start", "long").rc()).isZero();
        awaitConsole("long", "cpl: 3");
        // The running VM's flight recorder: the guest's last exits were its console writes.
        Cli.Result recorder = cli.run("vm", "flight-recorder", "long", "--last", "40");
        assertThat(recorder.rc()).as(recorder.err()).isZero();
        assertThat(recorder.out()).containsPattern("vp0 #\\d+ +rip=[0-9a-f]{16} out port 0x3f8 size 1 <- 0x");
        // /metrics (Prometheus' format, the token required): the running VM's exits and CPU time, then more of both
        // after a pause and resume (kicks are exits too) while its VP keeps hashing.
        PrometheusParser.Document before = PrometheusParser.parse(metrics());
        assertThat(before.value("viridian_vm_cpu_seconds_total", "vm", "long", "vp", "0"))
                .isPositive();
        assertThat(exits(before, "long")).isPositive();
        assertThat(before.value("viridian_vm_exits_total", "vm", "long", "vp", "0", "reason", "io"))
                .as("the guest's console writes")
                .isPositive();
        assertThat(before.value("viridian_vm_memory_resident_bytes", "vm", "long"))
                .isPositive();
        assertThat(cli.run("vm", "pause", "long").out()).isEqualTo("VM 'long' is paused\n");
        assertThat(cli.run("vm", "resume", "long").out()).isEqualTo("VM 'long' is running\n");
        Thread.sleep(1000);
        PrometheusParser.Document after = PrometheusParser.parse(metrics());
        assertThat(after.value("viridian_vm_cpu_seconds_total", "vm", "long", "vp", "0"))
                .isGreaterThan(before.value("viridian_vm_cpu_seconds_total", "vm", "long", "vp", "0"));
        assertThat(exits(after, "long")).isGreaterThan(exits(before, "long"));
        System.out.println("nested /metrics of VM 'long': cpu "
                + after.value("viridian_vm_cpu_seconds_total", "vm", "long", "vp", "0") + " s, exits "
                + after.find("viridian_vm_exits_total", "vm", "long").stream()
                        .map(x -> x.labels().get("reason") + "=" + (long) x.value())
                        .toList()
                + ", resident " + (long) after.value("viridian_vm_memory_resident_bytes", "vm", "long") + " B");
        Cli.Result stopped = cli.run("vm", "stop", "long");
        assertThat(stopped.rc()).as(stopped.err()).isZero();
        assertThat(cli.run("vm", "show", "long").out())
                .contains("state:        off")
                .contains("turned off by the host");
        // Without the token the service refuses.
        Cli.Result anonymous = new Cli(url, List.of(cli.extra().get(1))).run("vm", "list");
        assertThat(anonymous.err()).contains("401 unauthorized");
    }

    /**
     * Save-VM on real KVM: the counter guest (LAPIC-timer ticks, reference time, one StorVSP block written per tick) is
     * saved half-way, its worker and memory gone, then started again: it goes on from the next tick (no second boot,
     * no tick twice, reference time never back), and at the end reads every tick's block back intact from the disk.
     */
    @Test
    void aSavedVmResumesWhereItWasWithItsDiskAndTimeIntact() throws Exception {
        Cli.Result created = cli.run(
                "vm",
                "create",
                "counter",
                "--guest",
                "counter.elf",
                "--cmdline",
                "ticks=40 ms=250",
                "--memory",
                "64M",
                "--disk",
                "/tmp/counter.vhdx");
        assertThat(created.rc()).as(created.out() + created.err()).isZero();
        assertThat(cli.run("vm", "start", "counter").rc()).isZero();
        awaitConsole("counter", "tick 8 ");
        long t0 = System.nanoTime();
        Cli.Result saved = cli.run("vm", "save", "counter");
        long saveMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(saved.rc()).as(saved.out() + saved.err()).isZero();
        assertThat(cli.run("vm", "show", "counter").out()).contains("state:        saved");
        int atSave = lastTick(cli.run("vm", "console", "counter", "--print").out());
        Thread.sleep(2000); // saved: nothing ticks
        assertThat(lastTick(cli.run("vm", "console", "counter", "--print").out()))
                .isEqualTo(atSave);

        t0 = System.nanoTime();
        Cli.Result started = cli.run("vm", "start", "counter");
        long restoreMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(started.rc()).as(started.out() + started.err()).isZero();
        JsonNode done = awaitState("counter", "off");
        String console = cli.run("vm", "console", "counter", "--print").out();
        assertThat(done.at("/lastExit/reason").asText()).as(console).isEqualTo("the guest exited with status 33");
        assertThat(console)
                .contains("ok: counted to 40; every tick's block is on the disk intact")
                .containsOnlyOnce("counter: 40 ticks");
        var ticks = Pattern.compile("tick (\\d+) ")
                .matcher(console)
                .results()
                .map(m -> Integer.parseInt(m.group(1)))
                .toList();
        assertThat(ticks)
                .as("each tick once, in order, across the save")
                .isEqualTo(java.util.stream.IntStream.rangeClosed(1, 40).boxed().toList());
        System.out.printf(
                "nested save/restore of a 64 MiB VM (counter guest, StorVSP disk): save %d ms, restore %d ms"
                        + " (whole CLI commands: job, worker start)%n",
                saveMs, restoreMs);
    }

    private static int lastTick(String console) {
        var m = Pattern.compile("tick (\\d+) ").matcher(console);
        int last = 0;
        while (m.find()) last = Integer.parseInt(m.group(1));
        return last;
    }

    @Test
    void aRunningVmOutlivesASigkilledServiceAndTheNextServiceAdoptsIt() throws Exception {
        assertThat(cli.run("vm", "create", "survivor", "--guest", LONG_GUEST, "--cmdline", LONG_CMDLINE)
                        .rc())
                .isZero();
        assertThat(cli.run("vm", "start", "survivor").rc()).isZero();
        awaitConsole("survivor", "cpl: 3");
        // Paused, so that the guest (which ends by itself after a while) is still there whenever the next service is.
        assertThat(cli.run("vm", "pause", "survivor").out()).isEqualTo("VM 'survivor' is paused\n");
        assertThat(cli.run("vm", "set", "survivor", "--notes", KILL_MARK).rc()).isZero();
        host.await(Pattern.compile("the service was killed \\(SIGKILL\\)"), Duration.ofMinutes(1));
        // The next service answers once it has adopted the worker: the VM is paused as it was, its scrollback back.
        JsonNode v = awaitState("survivor", "paused");
        assertThat(v.get("notes").asText()).isEqualTo(KILL_MARK);
        assertThat(cli.run("vm", "console", "survivor", "--print").out()).contains("cpl: 3");
        assertThat(cli.run("vm", "resume", "survivor").out()).isEqualTo("VM 'survivor' is running\n");
        Cli.Result stopped = cli.run("vm", "stop", "survivor");
        assertThat(stopped.rc()).as(stopped.err()).isZero();
        assertThat(cli.run("vm", "show", "survivor").out())
                .contains("state:        off")
                .contains("turned off by the host");
    }

    @Test
    void theWebManagerCreatesStartsShowsTheConsoleOfAndStopsAVm() throws Exception {
        ChromeDriver browser = Chromium.start(true);
        try {
            WebManagerBrowserTest.signIn(browser, url, token);
            WebManagerBrowserTest.run(browser, url, "web-e2e", LONG_GUEST, LONG_CMDLINE, "cpl: 3");
        } finally {
            browser.quit();
        }
    }

    /**
     * Hyper-V's processor limit on real KVM and cgroup v2: a guest that never idles (its VP hashing at CPL3) gets about
     * the share its limit allows — measured from its VP's CPU time over 10 s — and a lower limit set while it runs
     * takes it down at once; the VM's group is cgroup v2's.
     */
    @Test
    void aCpuLimitHoldsABusyGuestToItsShareOnCgroupV2() throws Exception {
        assertThat(cli.run(
                                "vm",
                                "create",
                                "busy",
                                "--guest",
                                LONG_GUEST,
                                "--cmdline",
                                LONG_CMDLINE,
                                "--cpu-limit",
                                "50")
                        .rc())
                .isZero();
        assertThat(cli.run("vm", "start", "busy").rc()).isZero();
        awaitConsole("busy", "cpl: 3");
        JsonNode running = awaitState("busy", "running");
        assertThat(running.at("/resourceControls/applied").asBoolean())
                .as(running.toString())
                .isTrue();
        assertThat(running.at("/resourceControls/mechanism").asText()).isEqualTo("cgroup v2");
        double half = cpuShare("busy");
        Cli.Result set = cli.run("vm", "set", "busy", "--cpu-limit", "25");
        assertThat(set.rc()).as(set.err()).isZero();
        double quarter = cpuShare("busy");
        System.out.printf("nested cgroup v2: VP CPU share at a 50 %% limit %.3f, at 25 %% %.3f%n", half, quarter);
        assertThat(half).isBetween(0.35, 0.62);
        assertThat(quarter).isBetween(0.12, 0.35).isLessThan(half - 0.1);
        assertThat(cli.run("vm", "stop", "busy").rc()).isZero();
    }

    /** The VM's VP 0 CPU seconds per second over 10 s (after 2 s for a change to settle). */
    private static double cpuShare(String vm) throws Exception {
        Thread.sleep(2000);
        double before = vpSeconds(vm);
        long t0 = System.nanoTime();
        Thread.sleep(10_000);
        double after = vpSeconds(vm);
        return (after - before) / ((System.nanoTime() - t0) / 1e9);
    }

    /** VP 0's CPU seconds from /metrics; where there are none, the failure shows the VM as the CLI does. */
    private static double vpSeconds(String vm) throws Exception {
        var samples = PrometheusParser.parse(metrics()).find("viridian_vm_cpu_seconds_total", "vm", vm, "vp", "0");
        assertThat(samples)
                .as(
                        "VP 0's CPU time of a running VM; the VM now:\n%s",
                        cli.run("vm", "show", vm).out())
                .hasSize(1);
        return samples.get(0).value();
    }

    /** All of a VM's exits, every VP and reason. */
    private static double exits(PrometheusParser.Document d, String vm) {
        return d.find("viridian_vm_exits_total", "vm", vm).stream()
                .mapToDouble(PrometheusParser.Sample::value)
                .sum();
    }

    /** GET /metrics with the token, trusting the nested service's self-signed certificate. */
    private static String metrics() throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(cert)) {
            trust.setCertificateEntry(
                    "viridian",
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        var tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        var http = java.net.http.HttpClient.newBuilder().sslContext(ssl).build();
        var r = http.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "metrics"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static JsonNode awaitState(String vm, String state) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        JsonNode v = null;
        while (System.nanoTime() < deadline) {
            Cli.Result r = cli.run("vm", "show", vm, "--json");
            // (rc != 0 while the service is down between its SIGKILL and its next start)
            if (r.rc() == 0) {
                v = new ObjectMapper().readTree(r.out());
                if (v.get("state").asText().equals(state)) return v;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(vm + " never reached " + state + ": " + v);
    }

    private static void awaitConsole(String vm, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        String out = "";
        while (System.nanoTime() < deadline) {
            out = cli.run("vm", "console", vm, "--print").out();
            if (out.contains(text)) return;
            Thread.sleep(500);
        }
        throw new AssertionError(vm + "'s console never showed " + text + ": " + out);
    }

    private static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }
}
