package org.viridian.partition.vp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class FlightRecorderTest {
    @Test
    void keepsTheLastEntriesOldestFirstOnceTheRingWraps() {
        FlightRecorder r = new FlightRecorder(3, 4, System.nanoTime());
        for (int i = 0; i < 10; i++)
            r.record(FlightRecorder.Event.IO_OUT, System.nanoTime(), 0x1000 + i, 0, 0x3F8, 'a' + i, 1);
        List<FlightRecorder.Entry> s = r.snapshot();
        assertThat(r.recorded()).isEqualTo(10);
        assertThat(s).extracting(FlightRecorder.Entry::seq).containsExactly(6L, 7L, 8L, 9L);
        assertThat(s).extracting(FlightRecorder.Entry::rip).containsExactly(0x1006L, 0x1007L, 0x1008L, 0x1009L);
        assertThat(s).allSatisfy(e -> assertThat(e.vp()).isEqualTo(3));
        assertThat(s.getLast().render())
                .contains("vp3")
                .contains("rip=0000000000001009 cpl0")
                .contains("out port 0x3f8 size 1 <- 0x6a");
    }

    @Test
    void rendersWhatEachEventMeans() {
        FlightRecorder r = new FlightRecorder(0, 16, System.nanoTime());
        r.record(FlightRecorder.Event.WRMSR, System.nanoTime(), 0xffffffff81000000L, 0, 0x400000FF, 0, 1);
        r.record(FlightRecorder.Event.RDMSR, System.nanoTime(), 0x401000, 3, 0x40000020, 0x1234, 0);
        r.host(FlightRecorder.Event.INTERRUPT_SENT, 0x31, FlightRecorder.Source.SYNIC);
        r.record(FlightRecorder.Event.HYPERCALL, System.nanoTime(), 0x1000, 0, 0x1005c, 0x0, 0);
        r.record(FlightRecorder.Event.SHUTDOWN, System.nanoTime(), 0xfff0, -1, 0, 0, 0);
        List<String> lines =
                r.snapshot().stream().map(FlightRecorder.Entry::render).toList();
        assertThat(lines.get(0)).contains("wrmsr 0x400000ff <- 0x0 -> #GP");
        assertThat(lines.get(1)).contains("cpl3").contains("rdmsr 0x40000020 -> 0x1234");
        assertThat(lines.get(2)).doesNotContain("rip=").contains("interrupt vector 0x31 sent (SynIC)");
        assertThat(lines.get(3)).contains("hypercall 0x005c (control 0x1005c) -> status 0x0");
        assertThat(lines.get(4))
                .contains("rip=000000000000fff0 shutdown (triple fault)")
                .doesNotContain("cpl");
    }

    @Test
    void concurrentWritersNeverProduceATornEntry() throws InterruptedException {
        FlightRecorder r = new FlightRecorder(0, 64, System.nanoTime());
        int writers = 4, each = 50_000;
        CountDownLatch go = new CountDownLatch(1);
        Thread[] ts = new Thread[writers];
        for (int w = 0; w < writers; w++) {
            long id = w;
            ts[w] = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                // a, b and rip all carry the same value: a torn slot would mix two writers' values.
                for (long i = 0; i < each; i++)
                    r.record(
                            FlightRecorder.Event.IO_IN,
                            System.nanoTime(),
                            id << 32 | i,
                            0,
                            id << 32 | i,
                            id << 32 | i,
                            4);
            });
        }
        go.countDown();
        long snapshots = 0;
        while (java.util.Arrays.stream(ts).anyMatch(Thread::isAlive)) {
            for (FlightRecorder.Entry e : r.snapshot()) {
                assertThat(e.a()).isEqualTo(e.b()).isEqualTo(e.rip());
            }
            snapshots++;
        }
        for (Thread t : ts) t.join();
        assertThat(snapshots).isPositive();
        assertThat(r.recorded()).isEqualTo((long) writers * each);
        assertThat(r.snapshot()).hasSize(64);
    }
}
