package org.viridian.app.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.viridian.management.ServiceOptions;
import org.viridian.management.cluster.ClusterOptions;
import org.viridian.management.service.SwitchService;
import org.viridian.management.testing.ClusterHarness;
import org.viridian.management.testing.ScriptedEngine;
import org.viridian.management.testing.TestService;
import org.viridian.management.testing.ZooKeeperEnsemble;

/**
 * The cluster commands against a member of a one-member cluster (a standalone ZooKeeper server from the zookeeper jar;
 * failover itself is ClusterFailoverTest's): status, a VM made highly available at creation, the shared-storage check,
 * drain and resume.
 */
class ClusterCliTest {
    @Test
    void statusHighlyAvailableVmsAndDrain() throws Exception {
        Path dir = TestService.tempDir();
        Path shared = Files.createDirectories(dir.resolve("shared"));
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(dir, 1);
                TestService s = TestService.start(
                        new ServiceOptions(dir.resolve("state"), "127.0.0.1", 0, null, false)
                                .withCluster(
                                        new ClusterOptions(zk.connectString(), "h1", shared, Duration.ofSeconds(4))),
                        new ScriptedEngine(),
                        SwitchService.HostAccess.shared())) {
            Cli cli = new Cli(s.service.url());
            String[] last = {""};
            try {
                ClusterHarness.await("h1 joined", Duration.ofSeconds(30), () -> {
                    Cli.Result r = cli.run("cluster", "status");
                    last[0] = r.out() + r.err();
                    return r.out().contains("member:   h1, ok");
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; cluster status said: " + last[0]);
            }
            Path disk = Files.writeString(shared.resolve("web.img"), "");
            Cli.Result created = cli.run(
                    "vm",
                    "create",
                    "web",
                    "--disk",
                    disk.toString(),
                    "--highly-available",
                    "--priority",
                    "high",
                    "--preferred-hosts",
                    "h1");
            assertThat(created.rc()).as(created.err()).isZero();
            // The member's VM count and the VM's state are published with the member's next heartbeat.
            ClusterHarness.await("the VM on its member, recorded off", Duration.ofSeconds(10), () -> {
                String out = cli.run("cluster", "status").out();
                return out.matches("(?s).*h1 +ok +1 .*") && out.matches("(?s).*web +h1 +1 +off +high +h1 +no.*");
            });

            Path elsewhere = Files.writeString(dir.resolve("local.img"), "");
            cli.run("vm", "create", "local", "--disk", elsewhere.toString());
            Cli.Result refused = cli.run("vm", "set", "local", "--highly-available");
            assertThat(refused.rc()).isNotZero();
            assertThat(refused.err()).contains("is not on the shared storage");

            assertThat(cli.run("vm", "start", "web").rc()).isZero();
            ClusterHarness.await("running recorded", Duration.ofSeconds(10), () -> cli.run("cluster", "status")
                    .out()
                    .matches("(?s).*web +h1 +1 +running +high +h1 +yes.*"));
            assertThat(cli.run("cluster", "drain", "h1").out()).contains("draining 'h1'");
            // No other member to take it: it stays, and status says the host drains.
            ClusterHarness.await("the member draining", Duration.ofSeconds(10), () -> cli.run("cluster", "status")
                    .out()
                    .matches("(?s).*h1 +ok, draining.*"));
            assertThat(cli.run("cluster", "resume", "h1").rc()).isZero();
            ClusterHarness.await("the member resumed", Duration.ofSeconds(10), () -> !cli.run("cluster", "status")
                    .out()
                    .contains("draining"));
        }
    }
}
