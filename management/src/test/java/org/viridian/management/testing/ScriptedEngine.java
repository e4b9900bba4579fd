package org.viridian.management.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.IntegrationServices;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.config.VmConfig;
import org.viridian.management.service.GuestIntegration;
import org.viridian.management.service.RunningVm;
import org.viridian.management.service.VmEngine;
import org.viridian.management.service.VmExit;
import org.viridian.management.service.VmMetrics;

/**
 * Stands in for KVM where this machine has none (the real engine runs in the nested-KVM tests): a "guest" that prints
 * like the demo guest, echoes console input, and for the built-in guests poweroff.elf and fault.elf powers itself off
 * or crashes, so every transition of the service's state machine can be driven here. Integration services: a demo
 * guest whose command line says "ic-shutdown" honours shutdown requests, "ic-heartbeat" answers heartbeats while it
 * is not paused, and "ic-kvp" tells its OS name and addresses through KVP ({@link #KVP_AUTO_POOL}) — each only when
 * the VM's settings offer that service; "screen" gives it a display, keyboard and mouse ({@link ScriptedScreen}). One whose command line says "ticker" prints a numbered line every 100 ms ("ticks=N": N of them, then it powers off); one whose command line says "fail-to-start" does not start; one whose command line says "disk-writer" appends
 * lines to its first disk's file while it runs (each line one operation through the disk's real
 * {@link TokenBucket}, so its IOPS limit shows in how many lines it writes); one whose command line says "no-save" refuses to be saved (as a VM with a
 * device whose state is not saved yet), and one that says "corrupt-save" writes a damaged state (its checksum wrong).
 */
public final class ScriptedEngine implements VmEngine {
    /** What a scripted "ic-kvp" guest's auto pool holds, as hv_kvp_daemon would fill it. */
    public static final Map<String, String> KVP_AUTO_POOL = Map.of(
            "OSName",
            "Scripted GNU/Linux",
            "OSVersion",
            "6.1.0",
            "FullyQualifiedDomainName",
            "scripted.example",
            "NetworkAddressIPv4",
            "10.0.0.5;192.168.7.9");

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public RunningVm launch(VmConfig c, OutputStream console) throws IOException {
        return launch(c, console, 0);
    }

    /**
     * A scripted VM's saved state is its name and the tick its ticker reached, with a CRC-32 over both: a file of
     * another VM or a damaged one is refused as the real engine refuses it.
     */
    @Override
    public RunningVm restore(VmConfig c, OutputStream console, java.nio.file.Path savedState) throws IOException {
        List<String> lines = java.nio.file.Files.readAllLines(savedState);
        if (lines.size() != 4 || !lines.get(0).equals(STATE_MAGIC))
            throw new IOException(savedState + " is not a scripted VM's saved state");
        if (!lines.get(3).equals(crc(lines.get(1) + "\n" + lines.get(2))))
            throw new IOException("the saved state is corrupt (checksum mismatch)");
        if (!lines.get(1).equals(c.name()))
            throw new IOException("the saved state is of VM '" + lines.get(1) + "', not of '" + c.name() + "'");
        long tick = Long.parseLong(lines.get(2));
        Guest vm = (Guest) launch(c, console, tick);
        vm.print("resumed from its saved state, last tick #" + tick + "\r\n");
        return vm;
    }

    static final String STATE_MAGIC = "SCRIPTED-VM-STATE";

    static String crc(String s) {
        var c = new java.util.zip.CRC32();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(c.getValue());
    }

    private RunningVm launch(VmConfig c, OutputStream console, long resumeAt) throws IOException {
        String guest = c.boot() instanceof BootSource.DemoGuest g ? g.guest() : "kernel";
        // A guest whose command line says "ic-shutdown" has the shutdown integration service's driver loaded.
        String cmdline = c.boot() instanceof BootSource.DemoGuest g ? g.cmdline() : "";
        if (cmdline.contains("fail-to-start"))
            throw new IOException("the scripted guest does not start (fail-to-start)");
        IntegrationServices is = c.integrationServices();
        Guest vm = new Guest(
                c,
                console,
                is.shutdown() && cmdline.contains("ic-shutdown"),
                is,
                cmdline.contains("ic-heartbeat"),
                cmdline.contains("ic-kvp"),
                cmdline.contains("no-save"),
                cmdline.contains("corrupt-save"));
        vm.tick.set(resumeAt);
        if (cmdline.contains("screen")) vm.screen = new ScriptedScreen(vm::print);
        if (resumeAt == 0) {
            // Bare line feeds, as the real demo guests write them (smp.elf's printf).
            vm.print("scripted guest " + guest + " booting VM " + c.name() + "\n");
            vm.print("cpu 0 online (apic id 0)\n");
            vm.print("cpus online: " + c.cpus() + "\n");
        }
        switch (guest) {
            case "poweroff.elf" ->
                Thread.ofVirtual().start(() -> {
                    sleep(300);
                    vm.print("powering off\r\n");
                    vm.exit.complete(new VmExit("the guest powered off", 0, false, null));
                });
            case "fault.elf" ->
                Thread.ofVirtual().start(() -> {
                    sleep(300);
                    vm.exit.complete(new VmExit("the VM crashed", 125, true, "triple fault at rip=0x1000"));
                });
            default -> {
                if (resumeAt == 0) vm.print("login: ");
            }
        }
        if (cmdline.contains("disk-writer") && !c.disks().isEmpty())
            writeDisk(vm, c.disks().getFirst());
        if (cmdline.contains("ticker")) {
            // A guest that keeps printing (one line every 100 ms while it runs), to show its VM running on; with
            // "ticks=N" it powers off after N.
            var limit = java.util.regex.Pattern.compile("ticks=(\\d+)").matcher(cmdline);
            long ticks = limit.find() ? Long.parseLong(limit.group(1)) : Long.MAX_VALUE;
            Thread.ofPlatform().daemon().start(() -> {
                while (!vm.exit.isDone()) {
                    sleep(100);
                    synchronized (vm) {
                        if (vm.paused.get() || vm.exit.isDone()) continue;
                        long n = vm.tick.incrementAndGet();
                        vm.print("tick " + n + "\r\n");
                        if (n == ticks) vm.exit.complete(new VmExit("the guest powered off", 0, false, null));
                    }
                }
            });
        }
        return vm;
    }

    /**
     * A guest that writes its disk while it runs ("disk-writer"): every 20 ms it appends "PID SEQ MILLIS" to its first
     * disk's file, so a test on shared storage sees every writer and when it wrote (two at once: a VM running twice).
     */
    private static void writeDisk(Guest vm, org.viridian.management.config.Disk d) {
        long pid = ProcessHandle.current().pid();
        java.nio.file.Path disk = java.nio.file.Path.of(d.path());
        Thread.ofPlatform().daemon().start(() -> {
            for (long n = 1; !vm.exit.isDone(); n++) {
                if (!vm.paused.get()) {
                    String line = pid + " " + n + " " + System.currentTimeMillis() + "\n";
                    try {
                        TokenBucket limits = vm.disks.get(d.slot());
                        if (limits == null) return; // detached
                        limits.acquire(line.length());
                        java.nio.file.Files.writeString(disk, line, java.nio.file.StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        vm.print("disk write failed: " + e.getMessage() + "\r\n");
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                sleep(20);
            }
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Guest implements RunningVm {
        final CompletableFuture<VmExit> exit = new CompletableFuture<>();
        final AtomicBoolean paused = new AtomicBoolean();
        /** The ticker's last line; what a saved state holds. */
        final java.util.concurrent.atomic.AtomicLong tick = new java.util.concurrent.atomic.AtomicLong();

        private final VmConfig config;
        /** Each attached disk's I/O limits, by slot, as StorVSP holds them. */
        final Map<Integer, TokenBucket> disks = new java.util.concurrent.ConcurrentSkipListMap<>();

        private final long started = System.nanoTime();
        /** Nanoseconds spent paused, and when the current pause began (0: running). */
        private long pausedNanos, pausedSince;

        private final OutputStream console;
        private final boolean icShutdown, answersHeartbeat, answersKvp, refusesSave, damagesSave;
        private final IntegrationServices offered;
        private volatile Instant pausedAt;

        Guest(
                VmConfig config,
                OutputStream console,
                boolean icShutdown,
                IntegrationServices offered,
                boolean answersHeartbeat,
                boolean answersKvp,
                boolean refusesSave,
                boolean damagesSave) {
            this.refusesSave = refusesSave;
            this.damagesSave = damagesSave;
            this.config = config;
            for (var d : config.disks()) disks.put(d.slot(), new TokenBucket(d.maxIops(), d.maxBytesPerSecond()));
            this.console = console;
            this.icShutdown = icShutdown;
            this.offered = offered;
            this.answersHeartbeat = answersHeartbeat;
            this.answersKvp = answersKvp;
        }

        /** The guest's display and input devices: a guest whose command line says "screen" has them. */
        ScriptedScreen screen;

        @Override
        public org.viridian.devices.video.ScreenTracker.Changes screenChanges(long budget, boolean all) {
            if (screen == null) throw new UnsupportedOperationException("this scripted guest has no display");
            return screen.changes(budget, all);
        }

        @Override
        public void keys(List<org.viridian.devices.input.KeyEvent> keys) {
            if (screen != null && !paused.get()) screen.keys(keys);
        }

        @Override
        public void pointer(org.viridian.devices.input.PointerEvent p) {
            if (screen != null && !paused.get()) screen.pointer(p);
        }

        /** A 4x2 screen, left half white: a picture the API can pass on as the guest's (a "screen" guest's own). */
        @Override
        public byte[] screenshot() {
            if (screen != null) return screen.snapshot().png();
            int w = 0xFFFFFF;
            return new org.viridian.devices.video.Framebuffer(4, 2, new int[] {w, w, 0, 0, w, w, 0, 0}).png();
        }

        @Override
        public GuestIntegration integration() {
            Instant now = Instant.now();
            // A paused guest answers nothing: its last heartbeat is the moment it was paused.
            Instant last = !offered.heartbeat() || !answersHeartbeat ? null : paused.get() ? pausedAt : now;
            GuestIntegration.GuestKvp kvp = !offered.keyValueExchange()
                    ? null
                    : answersKvp
                            ? GuestIntegration.GuestKvp.fromAutoPool(KVP_AUTO_POOL)
                            : GuestIntegration.GuestKvp.NO_ANSWER;
            return new GuestIntegration(GuestIntegration.heartbeat(offered.heartbeat(), last, now), last, kvp);
        }

        synchronized void print(String s) {
            try {
                console.write(s.getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the service's console buffer does not fail
            }
        }

        @Override
        public synchronized void pause() {
            pausedAt = Instant.now();
            paused.set(true);
            pausedSince = System.nanoTime();
        }

        @Override
        public synchronized void resume() {
            paused.set(false);
            if (pausedSince != 0) pausedNanos += System.nanoTime() - pausedSince;
            pausedSince = 0;
        }

        /**
         * The scripted guest's figures grow with the time it ran (not paused): each VP is busy half a CPU and exits
         * 1000 times a second (port I/O, and MSR writes on the first VP), and per second it signals VMBus 50 times,
         * reads 1 MiB (16 requests of 1 ms) and writes 512 KiB from each disk, and moves 64 KiB each way on each
         * connected adapter; it has touched 1 MiB of RAM per second, up to what it was given.
         */
        @Override
        public synchronized VmMetrics metrics() {
            long ran = System.nanoTime()
                    - started
                    - pausedNanos
                    - (pausedSince == 0 ? 0 : System.nanoTime() - pausedSince);
            double s = ran / 1e9;
            List<VmMetrics.Vp> vps = new ArrayList<>();
            for (int i = 0; i < config.cpus(); i++) {
                Map<String, Long> exits = new LinkedHashMap<>();
                exits.put("io", (long) (s * (i == 0 ? 900 : 1000)));
                if (i == 0) exits.put("x86_wrmsr", (long) (s * 100));
                vps.add(new VmMetrics.Vp(i, ran / 2, exits));
            }
            List<Double> bounds = List.of(0.0005, 0.001, 0.01);
            List<VmMetrics.Disk> disks = this.disks.entrySet().stream()
                    .map(d -> new VmMetrics.Disk(
                            d.getKey(),
                            new VmMetrics.Io(
                                    (long) (s * 16),
                                    (long) (s * (1 << 20)),
                                    0,
                                    (long) (s * 16) * 1_000_000,
                                    bounds,
                                    List.of(0L, (long) (s * 16), 0L, 0L)),
                            VmMetrics.Io.none(bounds),
                            (long) s,
                            d.getValue().limits().iops(),
                            d.getValue().limits().bytesPerSecond()))
                    .toList();
            List<VmMetrics.NetworkAdapter> nics = config.networkAdapters().stream()
                    .filter(a -> a.switchName() != null)
                    .map(a -> new VmMetrics.NetworkAdapter(
                            a.name(),
                            (long) (s * 64),
                            (long) (s * 65536),
                            (long) (s * 64),
                            (long) (s * 65536),
                            Map.of("rx_filtered", 3L)))
                    .toList();
            return new VmMetrics(
                    Instant.now(),
                    vps,
                    Map.of("0x005c", (long) (s * 10), "0x005d", (long) (s * 50)),
                    new VmMetrics.VmbusSignals((long) (s * 50), (long) (s * 50)),
                    disks,
                    nics,
                    new VmMetrics.Memory(
                            config.memoryBytes(), Math.min(config.memoryBytes(), (long) (s * (1 << 20))), "scripted"));
        }

        /** Pauses (so the tick stands still, as a real save stops the processors) and writes the tick. */
        @Override
        public long save(java.nio.file.Path file) throws IOException {
            if (refusesSave)
                throw new IllegalStateException("scripted device: a VM with this device cannot be saved yet");
            pause();
            String body;
            synchronized (this) {
                body = config.name() + "\n" + tick.get();
            }
            String sum = damagesSave ? crc(body + "damaged") : crc(body);
            java.nio.file.Files.writeString(file, STATE_MAGIC + "\n" + body + "\n" + sum + "\n");
            return java.nio.file.Files.size(file);
        }

        @Override
        public void powerOff(String why) {
            exit.complete(new VmExit(why, null, false, null));
        }

        @Override
        public boolean requestShutdown() {
            if (!icShutdown) return false;
            Thread.ofVirtual().start(() -> {
                print("shutdown requested by the host\r\n");
                sleep(200);
                exit.complete(new VmExit("the guest powered off", 0, false, null));
            });
            return true;
        }

        @Override
        public void sendInput(byte[] bytes) {
            if (!paused.get()) print("echo:" + new String(bytes, StandardCharsets.UTF_8) + "\r\n");
        }

        /** The scripted guest's "SCSI bus": it prints what a rescan would find. */
        @Override
        public void attachDisk(org.viridian.management.config.Disk disk) {
            if (disks.putIfAbsent(disk.slot(), new TokenBucket(disk.maxIops(), disk.maxBytesPerSecond())) != null)
                throw new IllegalArgumentException("LUN " + disk.slot() + " is in use");
            print("scsi: disk added at LUN " + disk.slot() + ": " + disk.path() + "\r\n");
        }

        @Override
        public void updateDisk(org.viridian.management.config.Disk disk) {
            TokenBucket b = disks.get(disk.slot());
            if (b == null) throw new IllegalArgumentException("no disk at LUN " + disk.slot());
            b.setLimits(new TokenBucket.Limits(disk.maxIops(), disk.maxBytesPerSecond()));
        }

        @Override
        public void detachDisk(int slot) {
            disks.remove(slot);
            print("scsi: disk removed from LUN " + slot + "\r\n");
        }

        /** The scripted guest's "hv_netvsc": it prints what it would probe and lose; a running MAC is fixed. */
        @Override
        public void addNetworkAdapter(NetworkAdapter a) {
            print("netvsc: adapter added: " + a.name() + " " + a.mac() + " on " + a.switchName() + "\r\n");
        }

        @Override
        public void removeNetworkAdapter(NetworkAdapter a) {
            print("netvsc: adapter removed: " + a.name() + "\r\n");
        }

        @Override
        public void updateNetworkAdapter(NetworkAdapter from, NetworkAdapter to) {
            if (!from.mac().equals(to.mac()))
                throw new IllegalArgumentException("the MAC address of a running VM's network adapter cannot change");
            print("netvsc: adapter set: " + to.name() + " on " + to.switchName() + " vlan " + to.vlanId() + "\r\n");
        }

        @Override
        public CompletableFuture<VmExit> exit() {
            return exit;
        }

        @Override
        public void close() {}
    }
}
