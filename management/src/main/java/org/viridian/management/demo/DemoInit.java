package org.viridian.management.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo guest's start-up, as busybox runs it: /init installs the applets and hands over to busybox init, whose
 * inittab runs /etc/rc once (drivers, /home on the VM's disk, DHCP on eth0) and then keeps a root login shell on the
 * serial console (ttyS0) and on the screen (tty1, the console on the synthetic framebuffer).
 */
final class DemoInit {
    record File(String text, boolean exec) {}

    static final String INIT =
            """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            exec /bin/init
            """;

    private static final String INITTAB =
            """
            ::sysinit:/etc/rc
            ttyS0::respawn:-/bin/sh
            tty1::respawn:-/bin/sh
            ::ctrlaltdel:/bin/reboot
            ::shutdown:/bin/umount -a -r
            """;

    /**
     * /home is the VM's disk: mounted when it holds a file system, formatted (ext2, busybox's mke2fs) only when its
     * first MiB is all zeros, i.e. a new disk; anything else is left alone and said so.
     */
    private static final String RC =
            """
            #!/bin/sh
            export PATH=/bin
            mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
            mkdir -p /dev/pts /home /run; mount -t devpts devpts /dev/pts; mount -t tmpfs tmp /tmp
            hostname viridian-demo
            ip link set lo up
            for m in %s; do insmod /lib/modules/$m 2>/dev/null; done
            for t in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 0.5; done
            if [ -b /dev/sda ] && ! mount -t ext4 /dev/sda /home 2>/dev/null; then
              if [ "$(head -c 1048576 /dev/sda | tr -d '\\000' | wc -c)" = 0 ]; then
                echo "viridian-demo: formatting the new disk /dev/sda (ext2) for /home"
                mke2fs -L home /dev/sda >/dev/null && mount -t ext4 /dev/sda /home
              else
                echo "viridian-demo: /dev/sda holds something other than ext2/3/4: left alone, /home is in memory"
              fi
            fi
            mkdir -p /home/root
            if [ -e /sys/class/net/eth0 ]; then
              ip link set eth0 up
              udhcpc -f -i eth0 -s /etc/udhcpc.script >/dev/null 2>&1 &
            fi
            echo "%s: a root shell on ttyS0 (serial console) and tty1 (screen)"
            """;

    /** busybox udhcpc leaves configuring to a script: $ip, $mask (prefix length), $router, $dns. */
    private static final String UDHCPC =
            """
            #!/bin/sh
            case "$1" in
              deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
              bound|renew)
                ip addr flush dev "$interface"
                ip addr add "$ip/${mask:-24}" dev "$interface"
                if [ -n "$router" ]; then
                  ip route del default 2>/dev/null
                  ip route add default via "${router%% *}" dev "$interface"
                fi
                : > /etc/resolv.conf
                for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done ;;
            esac
            """;

    private static final String PROFILE =
            """
            export PATH=/bin HOME=/home/root USER=root TERM=${TERM:-linux}
            # "root", not \\u: a static glibc busybox cannot look users up (no NSS), and the shells are root's.
            export PS1='root@\\h:\\w# '
            cd "$HOME"
            cat /etc/motd
            """;

    private static final String MOTD =
            """

            Viridian demo: Debian's Linux %s with a busybox userland, root shell.
              /home is on the VM's VHDX disk and stays; the rest is in memory.
              Try: uname -a; cat /proc/cpuinfo; ls /sys/bus/vmbus/devices; ip addr; df -h /home
              poweroff turns the VM off.

            """;

    private DemoInit() {}

    /** The files besides /init: {@code modules} are the .ko file names in load order. */
    static Map<String, File> files(List<String> modules, String kernelVersion) {
        Map<String, File> f = new LinkedHashMap<>();
        f.put("etc/inittab", new File(INITTAB, false));
        f.put("etc/rc", new File(RC.formatted(String.join(" ", modules), LinuxDemo.READY), true));
        f.put("etc/udhcpc.script", new File(UDHCPC, true));
        f.put("etc/profile", new File(PROFILE, false));
        f.put("etc/motd", new File(MOTD.formatted(kernelVersion), false));
        f.put("etc/passwd", new File("root::0:0:root:/home/root:/bin/sh\n", false));
        f.put("etc/group", new File("root:x:0:\n", false));
        f.put("etc/hostname", new File("viridian-demo\n", false));
        return f;
    }
}
