package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * Acceptance (mvn -P acceptance verify): a port's maximum bandwidth holds iperf3 near the rate, both ways. Stock Linux
 * on the NAT switch runs iperf3 against a server on the nested host, once without a limit (it must be well above the
 * limit, or the check says nothing) and once with {@code --nic nat,max-bandwidth=2000000}.
 */
@Tag("acceptance")
class NetworkBandwidthIT {
    static final long CAP = 2_000_000;
    private static final Pattern RATE = Pattern.compile("NET: (up|down)\\s+(\\d+(?:\\.\\d+)?) bps");

    @Test
    void aMaximumBandwidthPolicyCapsIperf3WithinFifteenPercentBothWays() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        Map<String, Path> guestFiles = new LinkedHashMap<>();
        String insmods = NestedNetwork.guestDrivers(guestFiles);
        Map<String, Path> iperf = NestedKvmHost.dynamicProgram("iperf3", "iperf3", "sbin/iperf3");
        assumeTrue(!iperf.isEmpty(), "iperf3 (Debian package iperf3) is missing");
        guestFiles.putAll(iperf);
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs t /tmp
                %s
                for t in $(seq 1 20); do [ -e /sys/class/net/eth0 ] && break; sleep 1; done
                ip link set lo up; ip link set eth0 up
                printf '#!/bin/sh\\n[ "$1" = bound ] || exit 0\\nip addr add $ip/$mask dev $interface\\n' > /dhcp.sh
                chmod +x /dhcp.sh
                udhcpc -i eth0 -n -q -t 10 -T 2 -s /dhcp.sh >/dev/null 2>&1
                rate() { grep -o '"bits_per_second":[^,}]*' | tail -n 1 | cut -d: -f2; }
                echo "NET: up $(/sbin/iperf3 -c 10.222.0.1 -t 6 -O 1 -J | rate) bps"
                echo "NET: down $(/sbin/iperf3 -c 10.222.0.1 -t 6 -O 1 -R -J | rate) bps"
                poweroff -f
                """
                        .formatted(insmods);
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, guestFiles);
        Map<String, Path> hostFiles = new LinkedHashMap<>(NestedNetwork.files());
        hostFiles.putAll(iperf);
        String boot = "viridian run --kernel vmlinuz --initrd bw-initrd.gz --memory 256M --cpus 1 --cmdline"
                + " 'console=ttyS0 quiet panic=-1 reboot=k'";
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel(), "bw-initrd.gz", initrd),
                hostFiles,
                List.of(
                        new NestedKvmHost.Command(
                                "free", NestedNetwork.setup() + " iperf3 -s -D; " + boot + " --name free --nic nat"),
                        new NestedKvmHost.Command("capped", boot + " --name capped --nic nat,max-bandwidth=" + CAP)),
                Duration.ofMinutes(10));
        Map<String, Double> free = rates(run.get("free").output()),
                capped = rates(run.get("capped").output());
        System.out.printf(
                "iperf3 through NetVSP and the NAT switch (nested host), bits/s: no limit up %.0f down %.0f;"
                        + " max-bandwidth %d: up %.0f (%.2f of the limit) down %.0f (%.2f)%n",
                free.get("up"),
                free.get("down"),
                CAP,
                capped.get("up"),
                capped.get("up") / CAP,
                capped.get("down"),
                capped.get("down") / CAP);
        assumeTrue(
                free.get("up") > 1.5 * CAP && free.get("down") > 1.5 * CAP,
                "without a limit this host moves only " + free + " bits/s: a cap of " + CAP + " would prove nothing");
        assertThat(capped.get("up") / CAP).as("guest to host under the cap").isBetween(0.85, 1.15);
        assertThat(capped.get("down") / CAP).as("host to guest under the cap").isBetween(0.85, 1.15);
    }

    private static Map<String, Double> rates(String output) {
        Map<String, Double> r = new LinkedHashMap<>();
        Matcher m = RATE.matcher(output);
        while (m.find()) r.put(m.group(1), Double.parseDouble(m.group(2)));
        assertThat(r).as(output).containsKeys("up", "down");
        return r;
    }
}
