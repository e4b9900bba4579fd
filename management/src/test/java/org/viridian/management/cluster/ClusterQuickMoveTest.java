package org.viridian.management.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.management.testing.ClusterHarness.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.viridian.management.testing.ClusterHarness;
import org.viridian.management.testing.DiskWriters;
import org.viridian.management.testing.Ticks;

/**
 * Planned moves by quick migration: three `viridian serve` processes (scripted engine) on a real 3-member ZooKeeper
 * ensemble with a shared storage directory. A ticking guest drained off its host, then moved on request, goes on
 * counting where it was on the next host (resumed from the state its previous host saved, never booted again), never
 * on two hosts at once; the pause is measured. A guest that refuses its save moves cold (booted afresh, the record says
 * why); one whose saved state is damaged is booted afresh on the target, which says so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterQuickMoveTest {
    private static final Pattern RESUMED = Pattern.compile("resumed from its saved state, last tick #(\\d+)");
    private ClusterHarness cluster;

    @BeforeAll
    void start() throws Exception {
        cluster = new ClusterHarness();
        for (String h : List.of("A", "B", "C")) cluster.startHost(h, false);
        for (String h : List.of("A", "B", "C"))
            await(
                    h + " joined",
                    Duration.ofSeconds(30),
                    () -> cluster.status(h).path("hosts").size() == 3
                            && cluster.status(h).path("health").asText().equals("ok"));
    }

    @AfterAll
    void stop() throws Exception {
        if (cluster != null) cluster.close();
    }

    private JsonNode clustered(String vm) {
        for (JsonNode v : cluster.status("A").path("vms"))
            if (v.path("name").asText().equals(vm)) return v;
        throw new AssertionError("no clustered VM " + vm);
    }

    private String console(String host, String vm) {
        return cluster.api(host).get("/api/v1/vms/" + vm + "/console").body();
    }

    /** Waits for the record of {@code vm}'s move to {@code to}, with its pause; returns it. */
    private JsonNode awaitMove(String vm, String to) throws InterruptedException {
        await(
                vm + "'s move to " + to + " recorded",
                Duration.ofSeconds(20),
                () -> clustered(vm).path("lastMove").path("to").asText().equals(to)
                        && clustered(vm).path("lastMove").path("pauseMs").isNumber());
        return clustered(vm).path("lastMove");
    }

    /**
     * The guest on {@code to} after a quick move from {@code from}: it resumed at the tick it was saved at (its first
     * tick there is the next one) and its counter was well past the start, so it did not boot again.
     */
    private int assertResumed(String from, String to, String vm, int before) throws InterruptedException {
        await(vm + " ticking on " + to, Duration.ofSeconds(10), () -> Ticks.count(console(to, vm)) >= 3);
        String there = console(to, vm);
        var m = RESUMED.matcher(there);
        assertThat(m.find()).as("resumed, not booted: " + there).isTrue();
        int savedAt = Integer.parseInt(m.group(1));
        assertThat(savedAt).as("the tick it was saved at").isGreaterThanOrEqualTo(before);
        assertThat(there).doesNotContain("booting VM").contains("tick " + (savedAt + 1) + "\r\n");
        assertThat(Ticks.count(there))
                .as("every tick once, on from the saved one")
                .isEqualTo(Ticks.last(there) - savedAt);
        return savedAt;
    }

    @Test
    @Order(1)
    void drainAndMoveTakeATickingGuestAlongByQuickMigration() throws Exception {
        cluster.createHaVm("A", "qm", "medium", null, "ticker disk-writer");
        assertThat(cluster.runningOn("qm")).containsExactly("A");
        await("ticks on A", Duration.ofSeconds(10), () -> Ticks.last(console("A", "qm")) >= 10);

        int before = Ticks.last(console("A", "qm"));
        long t0 = System.nanoTime();
        assertThat(cluster.api("B").post("/api/v1/cluster/hosts/A/drain", null).status())
                .isEqualTo(200);
        String next;
        try {
            next = cluster.awaitRunningElsewhere("qm", "A", Duration.ofSeconds(30));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + clustered("qm"), e);
        }
        long drainMs = (System.nanoTime() - t0) / 1_000_000;
        int savedAt = assertResumed("A", next, "qm", before);
        JsonNode move = awaitMove("qm", next);
        assertThat(move.path("how").asText()).isEqualTo("quick");
        assertThat(move.path("from").asText()).isEqualTo("A");
        assertThat(move.path("note").isNull()).as(move.toString()).isTrue();
        System.out.println("cluster: drain of A: VM qm resumed on " + next + " at tick " + savedAt + " after "
                + drainMs + " ms (drain request to running); the guest was paused " + move.path("pauseMs")
                + " ms (save on A, handoff, restore on " + next + ")");
        try {
            await(
                    "A dropped its copy",
                    Duration.ofSeconds(10),
                    () -> cluster.api("A").get("/api/v1/vms/qm").status() == 404);
        } catch (AssertionError e) {
            throw new AssertionError(
                    e.getMessage() + ": "
                            + cluster.api("A").get("/api/v1/vms/qm").body(),
                    e);
        }
        assertThat(cluster.api("B").post("/api/v1/cluster/hosts/A/resume", null).status())
                .isEqualTo(200);
        assertThat(Files.list(cluster.shared.resolve(QuickMove.DIR)))
                .as("the state file is spent once restored")
                .isEmpty();

        String target = next.equals("B") ? "C" : "B";
        int beforeMove = Ticks.last(console(next, "qm"));
        assertThat(cluster.api("A")
                        .post("/api/v1/cluster/vms/qm/move", "{\"host\":\"" + target + "\"}")
                        .status())
                .isEqualTo(200);
        cluster.awaitRunningElsewhere("qm", next, Duration.ofSeconds(30));
        assertThat(cluster.runningOn("qm")).containsExactly(target);
        assertResumed(next, target, "qm", beforeMove);
        JsonNode moved = awaitMove("qm", target);
        assertThat(moved.path("how").asText()).isEqualTo("quick");
        System.out.println(
                "cluster: move of qm from " + next + " to " + target + ": paused " + moved.path("pauseMs") + " ms");

        // One writer at a time on the shared disk, each host's in turn: never two at once.
        DiskWriters w = DiskWriters.read(cluster.shared.resolve("qm.img"));
        assertThat(w.writers()).hasSize(3);
        for (int i = 1; i < w.writers().size(); i++)
            assertThat(w.writers().get(i).first())
                    .isGreaterThan(w.writers().get(i - 1).last());
        System.out.println("cluster: " + new ClusterStatusText(cluster.status("A")));
    }

    @Test
    @Order(2)
    void aVmThatRefusesItsSaveMovesCold() throws Exception {
        cluster.createHaVm("B", "nosave", "medium", null, "ticker no-save");
        await("ticks", Duration.ofSeconds(10), () -> Ticks.last(console("B", "nosave")) >= 5);
        assertThat(cluster.api("A")
                        .post("/api/v1/cluster/vms/nosave/move", "{\"host\":\"C\"}")
                        .status())
                .isEqualTo(200);
        cluster.awaitRunningElsewhere("nosave", "B", Duration.ofSeconds(30));
        assertThat(cluster.runningOn("nosave")).containsExactly("C");
        JsonNode move = awaitMove("nosave", "C");
        assertThat(move.path("how").asText()).isEqualTo("cold");
        assertThat(move.path("note").asText()).contains("could not be saved").contains("cannot be saved yet");
        await("ticks on C", Duration.ofSeconds(10), () -> Ticks.count(console("C", "nosave")) >= 2);
        assertThat(console("C", "nosave")).contains("booting VM nosave").contains("tick 1\r\n");
        System.out.println("cluster: a VM whose save is refused moved cold (paused " + move.path("pauseMs") + " ms): "
                + move.path("note").asText());
    }

    @Test
    @Order(3)
    void aDamagedStateIsRefusedAndTheVmBootsAfreshOnTheTarget() throws Exception {
        cluster.createHaVm("C", "damaged", "medium", null, "ticker corrupt-save");
        await("ticks", Duration.ofSeconds(10), () -> Ticks.last(console("C", "damaged")) >= 5);
        assertThat(cluster.api("A")
                        .post("/api/v1/cluster/vms/damaged/move", "{\"host\":\"A\"}")
                        .status())
                .isEqualTo(200);
        cluster.awaitRunningElsewhere("damaged", "C", Duration.ofSeconds(30));
        assertThat(cluster.runningOn("damaged")).containsExactly("A");
        JsonNode move = awaitMove("damaged", "A");
        assertThat(move.path("how").asText()).isEqualTo("cold");
        assertThat(move.path("note").asText()).contains("could not be restored").contains("corrupt");
        await("ticks on A", Duration.ofSeconds(10), () -> Ticks.count(console("A", "damaged")) >= 2);
        assertThat(console("A", "damaged")).contains("booting VM damaged").doesNotContain("resumed");
        assertThat(Files.list(cluster.shared.resolve(QuickMove.DIR)))
                .as("a refused state file is not left for anyone to use")
                .isEmpty();
    }

    /** `cluster status`'s VM table in one line per VM, for the log. */
    private record ClusterStatusText(JsonNode s) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            for (JsonNode v : s.path("vms"))
                b.append(v.path("name").asText())
                        .append(" on ")
                        .append(v.path("owner").asText())
                        .append(", last move ")
                        .append(v.path("lastMove"))
                        .append("; ");
            return b.toString();
        }
    }
}
