package org.viridian.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;

/**
 * One fio job of `viridian bench peers`, the same command line in every guest, and what its JSON report means:
 * direct I/O through libaio on the whole disk, time based, one job; latency is fio's total latency (submission to
 * completion) with its percentiles.
 */
record FioJob(String name, String title, String rw, int blockSize, int queueDepth) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The five of the full run: random 4 KiB reads and writes at queue depth 1 and 32, 1 MiB sequential reads. */
    static final List<FioJob> FULL = List.of(
            new FioJob("randread1", "4 KiB random read QD1", "randread", 4096, 1),
            new FioJob("randread32", "4 KiB random read QD32", "randread", 4096, 32),
            new FioJob("randwrite1", "4 KiB random write QD1", "randwrite", 4096, 1),
            new FioJob("randwrite32", "4 KiB random write QD32", "randwrite", 4096, 32),
            new FioJob("seqread", "1 MiB sequential read QD8", "read", 1 << 20, 8));

    /** The short run's two: what fits the default test run. */
    static final List<FioJob> SHORT = List.of(FULL.get(0), FULL.get(1));

    /**
     * The unmeasured job every guest runs first, for {@code seconds} (none when 0): random reads and writes at queue
     * depth 8, as fio's ramp time does for one job — the same for every engine, so each is measured warm (Viridian's
     * JIT compiler has compiled its I/O path; the host's and guest's caches hold what the jobs touch). Boot time is
     * measured before it, cold.
     */
    static List<String> warmUp(String device, int seconds) {
        return List.of(
                "--name=warmup",
                "--filename=" + device,
                "--rw=randrw",
                "--bs=4096",
                "--iodepth=8",
                "--ioengine=libaio",
                "--direct=1",
                "--time_based",
                "--runtime=" + seconds,
                "--eta=never",
                "--output-format=terse");
    }

    FioJob {
        if (!name.matches("[a-z0-9]+")) throw new IllegalArgumentException("fio job name " + name);
    }

    boolean writes() {
        return rw.contains("write");
    }

    /**
     * fio's arguments for {@code device}: {@code seconds} of I/O, all counted (no ramp), so the host CPU sampled around
     * the job and the operations it reports cover the same span.
     */
    List<String> arguments(String device, int seconds) {
        return List.of(
                "--name=" + name,
                "--filename=" + device,
                "--rw=" + rw,
                "--bs=" + blockSize,
                "--iodepth=" + queueDepth,
                "--ioengine=libaio",
                "--direct=1",
                "--time_based",
                "--runtime=" + seconds,
                "--lat_percentiles=1",
                "--eta=never",
                "--output-format=json");
    }

    /** What one job measured: operations a second, bytes a second, latency percentiles, operations done. */
    record Figures(double iops, double bytesPerSecond, double p50Micros, double p99Micros, long ios) {}

    /** The figures of this job's direction (read or write) in fio's JSON report. */
    Figures parse(String json) throws IOException {
        int brace = json.indexOf('{'); // fio may warn before its report
        if (brace < 0) throw new IOException("fio " + name + ": no JSON report: " + json);
        JsonNode root = JSON.readTree(json.substring(brace));
        JsonNode job = root.path("jobs").path(0);
        if (job.path("error").asInt(0) != 0)
            throw new IOException("fio " + name + ": error " + job.path("error").asInt());
        JsonNode side = job.path(writes() ? "write" : "read");
        JsonNode pct = side.path("lat_ns").path("percentile");
        if (pct.isMissingNode()) pct = side.path("clat_ns").path("percentile");
        double iops = side.path("iops").asDouble(-1), bw = side.path("bw_bytes").asDouble(-1);
        double p50 = pct.path("50.000000").asDouble(-1),
                p99 = pct.path("99.000000").asDouble(-1);
        long ios = side.path("total_ios").asLong(-1);
        if (iops < 0 || bw < 0 || p50 < 0 || p99 < 0 || ios < 0)
            throw new IOException("fio " + name + ": report without iops, bw_bytes, total_ios or the 50th and 99th "
                    + "latency percentiles: " + json);
        return new Figures(iops, bw, p50 / 1000, p99 / 1000, ios);
    }
}
