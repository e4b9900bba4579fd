package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
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
 * Acceptance (mvn -P acceptance verify): stock Linux's hv_netvsc on NetVSP and the integrated virtual switch, in the
 * nested KVM host. A guest on the default NAT switch gets an address from the switch's dnsmasq and fetches a file from
 * a web server on the host; two guests on one private switch ping each other and move a file over TCP, checked by its
 * MD5. The guest's /init does what its kernel command line says (vnet.role=dhcp|server|client).
 */
@Tag("acceptance")
class NetworkAcceptanceIT {
    private static NestedKvmHost.Outcome nat, pair, policies;
    private static final String PAYLOAD = "served by the nested host through the NAT switch\n";

    @BeforeAll
    static void run() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        Map<String, Path> guestFiles = new LinkedHashMap<>();
        String insmods = NestedNetwork.guestDrivers(guestFiles);
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                %s
                for t in $(seq 1 20); do [ -e /sys/class/net/eth0 ] && break; sleep 1; done
                echo "NET: eth0 driver $(basename $(readlink /sys/class/net/eth0/device/driver) 2>/dev/null)\
                 mac $(cat /sys/class/net/eth0/address 2>/dev/null)"
                ip link set lo up; ip link set eth0 up
                arg() { sed -n "s/.*$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
                role=$(arg vnet.role)
                case $role in
                dhcp)
                  %s
                  echo "NET: fetched $(wget -q -O - http://$(arg vnet.server):8080/hello.txt)"
                  ;;
                server)
                  ip addr add $(arg vnet.ip)/24 dev eth0
                  echo "NET: listening"
                  timeout 400 nc -l -p 5000 > /tmp/received
                  echo "NET: received $(wc -c < /tmp/received) bytes md5 $(md5sum < /tmp/received | cut -d' ' -f1)"
                  ;;
                responder)
                  ip addr add $(arg vnet.ip)/24 dev eth0
                  echo "NET: responding"
                  sleep 600
                  ;;
                prober)
                  ip addr add $(arg vnet.ip)/24 dev eth0
                  peer=$(arg vnet.peer); reach=no
                  for t in $(seq 1 20); do ping -c 1 -W 1 $peer >/dev/null && { reach=yes; break; }; done
                  echo "NET: reach $peer $reach"
                  if [ "$(arg vnet.forge)" = 1 ]; then
                    # hv_netvsc changes the address only while the interface is down (no live address change).
                    ip link set eth0 down
                    ip link set eth0 address 00:15:5d:99:99:$(printf %%02x $(arg vnet.ip | cut -d. -f4)) 2>&1 |
                      sed 's/^/NET-IP: /'
                    ip link set eth0 up; sleep 1
                    echo "NET: forged mac $(cat /sys/class/net/eth0/address)"
                    arping -U -c 2 -I eth0 $(arg vnet.ip) >/dev/null 2>&1
                    reach=no
                    for t in $(seq 1 5); do ping -c 1 -W 1 $peer >/dev/null && { reach=yes; break; }; done
                    echo "NET: forged reach $peer $reach"
                  fi
                  ;;
                client)
                  ip addr add $(arg vnet.ip)/24 dev eth0
                  for t in $(seq 1 30); do ping -c 1 -W 1 $(arg vnet.peer) >/dev/null && break; done
                  echo "NET: ping $(ping -c 3 -W 2 $(arg vnet.peer) | grep -o '[0-9]* packets received')"
                  dd if=/dev/urandom of=/tmp/file bs=64k count=32 2>/dev/null
                  echo "NET: sent md5 $(md5sum < /tmp/file | cut -d' ' -f1)"
                  sleep 2
                  t0=$(cut -d' ' -f1 /proc/uptime)
                  # Two VPs per guest make the nested host slower: give the transfer time.
                  timeout 300 nc -w 5 $(arg vnet.peer) 5000 < /tmp/file
                  t1=$(cut -d' ' -f1 /proc/uptime)
                  echo "NET: transfer took $(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }') s (nc's 5 s linger included)"
                  ;;
                esac
                echo "NET: counters rx $(cat /sys/class/net/eth0/statistics/rx_packets) tx\
                 $(cat /sys/class/net/eth0/statistics/tx_packets)"
                grep '^Tcp:' /proc/net/snmp | sed 's/^/NET-SNMP: /'
                echo "NET: queues $(ls /sys/class/net/eth0/queues | tr '\\n' ' ')"
                for c in /sys/class/net/eth0/device/channels/*; do
                  echo "NET: channel $(basename $c) cpu $(cat $c/cpu) interrupts $(cat $c/interrupts)\
                 events $(cat $c/events)"
                done
                dmesg | grep -i -e netvsc -e hv_net | sed 's/^/NET-DMESG: /'
                poweroff -f
                """
                        .formatted(insmods, NestedNetwork.dhcpClient("eth0"));
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, guestFiles);
        String boot = "viridian run --kernel vmlinuz --initrd net-initrd.gz --memory 256M --cpus 1";
        // The pair runs with two VPs: NetVSP offers two queues and hv_netvsc opens a sub-channel (vRSS).
        String boot2 = boot.replace("--cpus 1", "--cpus 2");
        String cmdline = "console=ttyS0 quiet panic=-1 reboot=k";
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of(
                        "vmlinuz", NestedKvmHost.stockKernel(),
                        "net-initrd.gz", initrd,
                        "hello.txt", PAYLOAD.getBytes(StandardCharsets.UTF_8)),
                NestedNetwork.files(),
                List.of(
                        new NestedKvmHost.Command(
                                "nat",
                                NestedNetwork.setup() + " httpd -p 8080 -h /opt/files;"
                                        + " " + boot + " --name dhcp --nic nat --cmdline '" + cmdline
                                        + " vnet.role=dhcp vnet.server=10.222.0.1'; rc=$?;"
                                        + " cat /run/viridian/switches/nat/leases | sed 's/^/NET-HOST: lease /';"
                                        + " exit $rc"),
                        new NestedKvmHost.Command(
                                "pair",
                                boot2 + " --name server --nic private:lab --cmdline '" + cmdline
                                        + " vnet.role=server vnet.ip=192.168.50.1' > server.log 2>&1 &"
                                        + " sleep 5; " + boot2 + " --name client --nic private:lab --cmdline '"
                                        + cmdline + " vnet.role=client vnet.ip=192.168.50.2 vnet.peer=192.168.50.1'"
                                        + " > client.log 2>&1; wait; sed 's/^/server| /' server.log;"
                                        + " sed 's/^/client| /' client.log"),
                        // VLANs and the MAC spoofing guard: a responder on VLAN 10; probers on VLAN 10 with and
                        // without the guard (each then forges its MAC) and one on VLAN 20.
                        new NestedKvmHost.Command(
                                "policies",
                                boot + " --name v1 --nic private:vl,vlan=10 --cmdline '" + cmdline
                                        + " vnet.role=responder vnet.ip=192.168.60.1' > v1.log 2>&1 & V1=$!; sleep 5;"
                                        + prober(boot, cmdline, "v2", "vlan=10,spoof-guard", 2, 1)
                                        + prober(boot, cmdline, "v3", "vlan=20", 3, 0)
                                        + prober(boot, cmdline, "v4", "vlan=10", 4, 1)
                                        + " kill $V1; wait; for v in v1 v2 v3 v4; do sed \"s/^/$v| /\" $v.log; done")),
                Duration.ofMinutes(20));
        nat = run.get("nat");
        pair = run.get("pair");
        policies = run.get("policies");
        System.out.println("NAT switch run: rc=" + nat.rc() + " in " + nat.seconds() + " s\n" + nat.output());
        System.out.println(
                "policies run: rc=" + policies.rc() + " in " + policies.seconds() + " s\n" + policies.output());
        System.out.println("private switch run: rc=" + pair.rc() + " in " + pair.seconds() + " s\n" + pair.output());
    }

    @Test
    void hvNetvscBindsAndTheGuestGetsAnAddressFromTheNatSwitchAndReachesTheHost() {
        assertThat(nat.output()).contains("NET: eth0 driver hv_netvsc");
        Matcher lease = Pattern.compile("NET: lease (10\\.222\\.0\\.\\d+)/24 router 10.222.0.1")
                .matcher(nat.output());
        assertThat(lease.find()).as(nat.output()).isTrue();
        assertThat(nat.output()).contains("NET-HOST: lease").contains(lease.group(1));
        assertThat(nat.output()).contains("NET: fetched " + PAYLOAD.strip());
    }

    private static String prober(String boot, String cmdline, String name, String port, int host, int forge) {
        return " " + boot + " --name " + name + " --nic private:vl," + port + " --cmdline '" + cmdline
                + " vnet.role=prober vnet.ip=192.168.60." + host + " vnet.peer=192.168.60.1 vnet.forge=" + forge
                + "' > " + name + ".log 2>&1;";
    }

    @Test
    void vlansSeparateGuestsOnOneSwitchAndTheSpoofingGuardCutsOffAForgedMacOnlyWhereItIsOn() {
        String out = policies.output();
        assertThat(out).contains("v1| NET: responding");
        assertThat(out).as("same VLAN").contains("v2| NET: reach 192.168.60.1 yes");
        assertThat(out).as("another VLAN").contains("v3| NET: reach 192.168.60.1 no");
        assertThat(out).contains("v2| NET: forged mac 00:15:5d:99:99:02");
        assertThat(out).as("forged MAC, guard on").contains("v2| NET: forged reach 192.168.60.1 no");
        assertThat(out).as("same VLAN, no guard").contains("v4| NET: reach 192.168.60.1 yes");
        assertThat(out).contains("v4| NET: forged mac 00:15:5d:99:99:04");
        assertThat(out).as("forged MAC, guard off").contains("v4| NET: forged reach 192.168.60.1 yes");
    }

    @Test
    void twoGuestsOnAPrivateSwitchPingEachOtherAndMoveAFileIntact() {
        String out = pair.output();
        assertThat(out).contains("client| NET: eth0 driver hv_netvsc").contains("server| NET: eth0 driver hv_netvsc");
        assertThat(out).contains("client| NET: ping 3 packets received");
        Matcher sent = Pattern.compile("NET: sent md5 ([0-9a-f]{32})").matcher(out);
        assertThat(sent.find()).as(out).isTrue();
        assertThat(out).contains("server| NET: received 2097152 bytes md5 " + sent.group(1));
    }

    @Test
    void withTwoVpsEachGuestGetsTwoQueuesThroughASubChannel() {
        String out = pair.output();
        for (String guest : List.of("client", "server")) {
            Matcher queues = Pattern.compile(guest + "\\| NET: queues (.*)").matcher(out);
            assertThat(queues.find()).as(out).isTrue();
            assertThat(queues.group(1).trim().split(" "))
                    .as(guest)
                    .containsExactlyInAnyOrder("rx-0", "rx-1", "tx-0", "tx-1");
            assertThat(Pattern.compile(guest + "\\| NET: channel ")
                            .matcher(out)
                            .results()
                            .count())
                    .as(guest + ": the primary channel and one sub-channel")
                    .isEqualTo(2);
        }
    }
}
