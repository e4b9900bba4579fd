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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * Acceptance (mvn -P acceptance verify): a network adapter added to and removed from a running VM. In the nested KVM
 * host `viridian serve` runs Debian's stock kernel with hv_vmbus, hv_utils and hv_netvsc (and hv_kvp_daemon where
 * this machine has it) and no adapter; `viridian vm nic add --switch nat` while it runs makes hv_netvsc probe a new
 * eth0 that gets a lease from the NAT switch, and `vm list` / `vm show` then carry the address the guest told through
 * KVP; `vm nic remove` makes eth0 disappear in the guest and the TAP on the host.
 */
@Tag("acceptance")
class NicHotplugAcceptanceIT {
    private static NestedKvmHost.Outcome hotplug;
    private static boolean kvpDaemon;

    @BeforeAll
    static void run() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        Map<String, Path> guestFiles = new LinkedHashMap<>();
        String insmods = NestedNetwork.guestDrivers(guestFiles, List.of("hv_vmbus", "hv_utils", "hv_netvsc"));
        Map<String, Path> daemon =
                NestedKvmHost.dynamicProgram("hv_kvp_daemon", "hyperv-daemons", "sbin/hv_kvp_daemon");
        kvpDaemon = !daemon.isEmpty();
        guestFiles.putAll(daemon);
        // The guest waits for an interface to come, leases an address on it, then waits for it to go.
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                %s
                mkdir -p /var/lib
                [ -x /sbin/hv_kvp_daemon ] && /sbin/hv_kvp_daemon -n >/dev/null 2>&1 &
                ip link set lo up
                echo "HOTPLUG: ready with interfaces $(ls /sys/class/net | tr '\\n' ' ')"
                for t in $(seq 1 600); do [ -e /sys/class/net/eth0 ] && break; sleep 1; done
                echo "HOTPLUG: eth0 appeared, driver $(basename $(readlink /sys/class/net/eth0/device/driver))\
                 mac $(cat /sys/class/net/eth0/address)"
                ip link set eth0 up
                %s
                for t in $(seq 1 600); do [ -e /sys/class/net/eth0 ] || break; sleep 1; done
                echo "HOTPLUG: eth0 gone, interfaces $(ls /sys/class/net | tr '\\n' ' ')"
                dmesg | grep -i -e netvsc -e hv_net -e 'vmbus' | sed 's/^/HOTPLUG-DMESG: /'
                sleep 600
                """
                        .formatted(insmods, NestedNetwork.dhcpClient("eth0"));
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, guestFiles);
        String shell = NestedNetwork.setup()
                + """
                 export VIRIDIAN_HOME=/tmp/state
                 viridian serve > serve.log 2>&1 &
                 for t in $(seq 1 300); do grep -q 'serving on' serve.log && break; sleep 1; done
                 sed 's/^/HP-SERVE: /' serve.log
                 viridian vm create hp --kernel $PWD/vmlinuz --initrd $PWD/hp-initrd.gz --memory 256M \
                   --cmdline 'console=ttyS0 quiet panic=-1 reboot=k' | sed 's/^/HP-CREATE: /'
                 viridian vm start hp | sed 's/^/HP-START: /'
                 waitfor() {
                   for t in $(seq 1 $2); do viridian vm console hp --print | grep -q "$1" && return 0; sleep 2; done
                   echo "HP: never saw $1"
                 }
                 taps() { for t in /sys/class/net/vtap*; do [ -e $t ] && echo "$(basename $t)@$(basename $(readlink $t/master))"; done; }
                 waitfor 'HOTPLUG: ready' 60
                 echo "HP: taps before add [$(taps)]"
                 T0=$(date +%s); viridian vm nic add hp --switch nat 2>&1 | sed 's/^/HP-ADD: /'
                 echo "HP: nic add took $(( $(date +%s) - T0 )) s (CLI included)"
                 echo "HP: taps after add [$(taps)]"
                 waitfor 'NET: lease' 60
                 for t in $(seq 1 40); do viridian vm list > list.txt 2>&1; grep -q 'hp .*10\\.222\\.' list.txt && break; sleep 3; done
                 sed 's/^/HP-LIST: /' list.txt
                 viridian vm show hp 2>&1 | sed 's/^/HP-SHOW: /'
                 T0=$(date +%s); viridian vm nic remove hp 2>&1 | sed 's/^/HP-REMOVE: /'
                 echo "HP: nic remove took $(( $(date +%s) - T0 )) s (CLI included)"
                 echo "HP: taps after remove [$(taps)]"
                 sleep 5; viridian vm show hp 2>&1 | grep 'guest ipv4' | sed 's/^/HP-AFTER: /'
                 waitfor 'HOTPLUG: eth0 gone' 30
                 viridian vm console hp --print | sed 's/^/HP-GUEST: /'
                 viridian vm stop hp 2>&1 | sed 's/^/HP-STOP: /'
                 kill %1
                """;
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel(), "hp-initrd.gz", initrd),
                NestedNetwork.files(),
                List.of(new NestedKvmHost.Command("hotplug", shell, 900)),
                Duration.ofMinutes(20));
        hotplug = run.get("hotplug");
        System.out.println("hot plug run: rc=" + hotplug.rc() + " in " + hotplug.seconds() + " s\n" + hotplug.output());
    }

    @Test
    void anAdapterAddedWhileTheGuestRunsIsProbedByHvNetvscAndLeasesAnAddress() {
        String out = hotplug.output();
        assertThat(out).contains("HP: taps before add []");
        assertThat(out).contains("HP-ADD: changed on the running VM and in its settings");
        assertThat(out).containsPattern("HP: taps after add \\[vtap[0-9a-f]+0@vsw-nat\\]");
        assertThat(out).containsPattern("HOTPLUG: eth0 appeared, driver hv_netvsc mac 00:15:5d:");
        assertThat(out).containsPattern("NET: lease 10\\.222\\.0\\.\\d+/24 router 10\\.222\\.0\\.1");
    }

    @Test
    void theAddressTheGuestToldThroughKvpIsInVmListAndVmShow() {
        assumeTrue(kvpDaemon, "hv_kvp_daemon (Debian package hyperv-daemons) not available on this machine");
        String out = hotplug.output();
        Matcher lease = Pattern.compile("NET: lease (10\\.222\\.0\\.\\d+)/24").matcher(out);
        assertThat(lease.find()).as(out).isTrue();
        assertThat(out).containsPattern("HP-LIST: NAME\\s+STATE\\s+CPUS\\s+MEMORY\\s+BOOT\\s+IPV4\\s+ID");
        assertThat(out).containsPattern("HP-LIST: hp\\s+running\\s.*\\s" + Pattern.quote(lease.group(1)) + "\\s");
        assertThat(out).contains("HP-SHOW: guest ipv4:   " + lease.group(1));
        // Read again as soon as the adapter went: the address went with it.
        assertThat(out).contains("HP-AFTER: guest ipv4:   none reported");
    }

    @Test
    void removingItWhileTheGuestRunsTakesTheInterfaceAwayThereAndTheTapHere() {
        String out = hotplug.output();
        assertThat(out).contains("HP-REMOVE: changed on the running VM and in its settings");
        assertThat(out).contains("HP: taps after remove []");
        assertThat(out).contains("HOTPLUG: eth0 gone, interfaces lo");
        assertThat(out).doesNotContain("HP: never saw");
    }
}
