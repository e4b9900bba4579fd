package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The workers' start-up cache with real JVMs: one records, the service assembles, the next one starts from it. */
class WorkerStartupCacheTest {
    private static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();
    /** As the workers' own: what WorkerSpawner gives them, less the class path. */
    private static final List<String> OPTIONS = WorkerSpawner.options();

    @TempDir
    Path tmp;

    @Test
    void theFirstWorkersRunBecomesTheCacheEveryLaterWorkerStartsFrom() throws Exception {
        String jar = probeJar().toString();
        WorkerStartupCache cache = WorkerStartupCache.under(tmp, JAVA, OPTIONS, jar);
        List<String> first = cache.nextWorker(true);
        assertThat(first).contains("-XX:AOTMode=record");
        // while it records, other workers start as before: one recording at a time
        assertThat(WorkerStartupCache.under(tmp, JAVA, OPTIONS, jar).nextWorker(true))
                .isEmpty();

        Process recording = probe(jar, first);
        cache.recorded(recording);
        assertThat(recording.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(output(recording)).contains("probe 5050");
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.isRegularFile(cache.cache()) && System.nanoTime() < end) Thread.sleep(100);
        assertThat(cache.cache()).isRegularFile();

        List<String> next = cache.nextWorker(true);
        assertThat(next).containsExactly("-XX:AOTCache=" + cache.cache());
        // AOTMode=on: the JVM refuses to start unless it can map the cache, so this run shows the cache is usable
        List<String> strict = new ArrayList<>(next);
        strict.add("-XX:AOTMode=on");
        Process cached = probe(jar, strict);
        assertThat(cached.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = output(cached);
        assertThat(cached.exitValue()).as(out).isZero();
        assertThat(out).contains("probe 5050");

        // other worker options make another cache (a new recording); the new one's assembly removes this one
        List<String> otherOptions = List.of("-XX:+UseSerialGC", "-Xmx80m", "-XX:-UsePerfData");
        assertThat(WorkerStartupCache.under(tmp, JAVA, otherOptions, jar).nextWorker(true))
                .contains("-XX:AOTMode=record");
    }

    @Test
    void aRecordingWorkerKilledBeforeItsEndLeavesTheRecordingToTheNext() throws Exception {
        String jar = probeJar().toString();
        WorkerStartupCache cache = WorkerStartupCache.under(tmp, JAVA, OPTIONS, jar);
        List<String> record = cache.nextWorker(true);
        assertThat(record).contains("-XX:AOTMode=record");
        List<String> sleeping = new ArrayList<>(record);
        Process p = new ProcessBuilder(command(jar, sleeping, "-version"))
                .redirectErrorStream(true)
                .start();
        p.destroyForcibly();
        cache.recorded(p);
        p.waitFor(30, TimeUnit.SECONDS);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> again = List.of();
        while (System.nanoTime() < end && !(again = cache.nextWorker(true)).contains("-XX:AOTMode=record"))
            Thread.sleep(50);
        assertThat(again).contains("-XX:AOTMode=record");
        // confined workers cannot write a recording: they start without one
        assertThat(WorkerStartupCache.under(tmp.resolve("other"), JAVA, OPTIONS, jar)
                        .nextWorker(false))
                .isEmpty();
    }

    @Test
    void switchedOffThereIsNoCache() {
        System.setProperty(WorkerStartupCache.PROPERTY, "false");
        try {
            assertThat(WorkerStartupCache.under(tmp, JAVA, OPTIONS, "x.jar")).isNull();
        } finally {
            System.clearProperty(WorkerStartupCache.PROPERTY);
        }
    }

    private Process probe(String jar, List<String> cacheOptions) throws IOException {
        return new ProcessBuilder(command(jar, cacheOptions, StartupCacheProbe.class.getName()))
                .redirectErrorStream(true)
                .start();
    }

    private static List<String> command(String jar, List<String> cacheOptions, String main) {
        List<String> cmd = new ArrayList<>(List.of(JAVA));
        cmd.addAll(OPTIONS);
        cmd.addAll(cacheOptions);
        if (main.startsWith("-")) cmd.add(main);
        else cmd.addAll(List.of("-cp", jar, main));
        return cmd;
    }

    private static String output(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** A jar holding the probe: the JVM caches classes from jars only. */
    private Path probeJar() throws IOException {
        Path jar = tmp.resolve("probe.jar");
        String name = StartupCacheProbe.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                InputStream in = StartupCacheProbe.class.getResourceAsStream("/" + name)) {
            out.putNextEntry(new JarEntry(name));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }
}
