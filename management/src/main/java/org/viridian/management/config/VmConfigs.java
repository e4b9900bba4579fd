package org.viridian.management.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Turns clients' {@link VmRequest}s into valid {@link VmConfig}s: defaults on create, partial updates, disk attach and
 * detach. Every field is checked here; anything wrong is an {@link InvalidConfigException} naming the field.
 */
public final class VmConfigs {
    public static final int MAX_CPUS = 64;
    public static final long MIN_MEMORY = 2L << 20, MAX_MEMORY = 1L << 40, MEMORY_ALIGN = 1L << 20;
    public static final int MAX_DISKS = 64, MAX_ADAPTERS = 8, MAX_TEXT = 4096;
    /**
     * The built-in guests a VM may boot (module guests); the benchmark guest needs its host loop and is left out.
     * counter.elf counts on its first disk (the save/restore guest).
     */
    public static final List<String> DEMO_GUESTS =
            List.of("smp.elf", "hello.elf", "cpl3.elf", "exceptions.elf", "poweroff.elf", "fault.elf", "counter.elf");

    public static final BootSource DEFAULT_BOOT = new BootSource.DemoGuest("smp.elf", "");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern MAC = Pattern.compile("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}");

    private VmConfigs() {}

    public static VmConfig create(VmRequest r, UUID id, Instant now) {
        VmConfig c = createWithoutControls(r, id, now);
        return c.withResources(resources(ResourceControls.DEFAULT, r.resources(), c.memoryBytes()), now);
    }

    private static VmConfig createWithoutControls(VmRequest r, UUID id, Instant now) {
        if (r == null) throw new InvalidConfigException(null, "a VM definition (JSON object) is required");
        if (r.name() == null) throw new InvalidConfigException("name", "name is required");
        BootSource boot = r.boot() == null ? DEFAULT_BOOT : boot(r.boot());
        long defaultMemory = boot instanceof BootSource.Kernel ? 512L << 20 : 64L << 20;
        List<Disk> disks = new ArrayList<>();
        if (r.disks() != null) for (VmRequest.DiskRequest d : r.disks()) disks = attach(disks, d);
        return new VmConfig(
                id,
                name(r.name()),
                r.cpus() == null ? 1 : cpus(r.cpus()),
                r.memory() == null ? defaultMemory : memory(r.memory()),
                boot,
                disks,
                adapters(r.networkAdapters()),
                r.integrationServices(),
                r.notes() == null ? "" : text("notes", r.notes()),
                now,
                now,
                null);
    }

    /** {@code current} with the request's present fields replaced. */
    public static VmConfig update(VmConfig c, VmRequest r, Instant now) {
        if (r == null) throw new InvalidConfigException(null, "a VM definition (JSON object) is required");
        List<Disk> disks = c.disks();
        if (r.disks() != null) {
            disks = new ArrayList<>();
            for (VmRequest.DiskRequest d : r.disks()) disks = attach(disks, d);
        }
        VmConfig next = new VmConfig(
                c.id(),
                r.name() == null ? c.name() : name(r.name()),
                r.cpus() == null ? c.cpus() : cpus(r.cpus()),
                r.memory() == null ? c.memoryBytes() : memory(r.memory()),
                r.boot() == null ? c.boot() : boot(r.boot()),
                disks,
                r.networkAdapters() == null ? c.networkAdapters() : adapters(r.networkAdapters()),
                r.integrationServices() == null ? c.integrationServices() : r.integrationServices(),
                r.notes() == null ? c.notes() : text("notes", r.notes()),
                c.created(),
                now,
                null);
        return next.withResources(resources(c.resources(), r.resources(), next.memoryBytes()), now);
    }

    /**
     * {@code base} with the request's present fields replaced, checked against each other and the VM's memory
     * ({@code r} null: {@code base}, still checked, since the memory may have changed under its limit).
     */
    static ResourceControls resources(ResourceControls base, VmRequest.ResourceRequest r, long memoryBytes) {
        String affinity = base.processorAffinity();
        int limit = base.cpuLimit(), reserve = base.cpuReserve(), weight = base.cpuRelativeWeight();
        long memoryLimit = base.memoryLimitBytes();
        if (r != null) {
            if (r.processorAffinity() != null) affinity = affinity(r.processorAffinity());
            if (r.cpuLimit() != null) limit = percent("resources.cpuLimit", r.cpuLimit(), 1);
            if (r.cpuReserve() != null) reserve = percent("resources.cpuReserve", r.cpuReserve(), 0);
            if (r.cpuRelativeWeight() != null) weight = r.cpuRelativeWeight();
            if (r.memoryLimit() != null) memoryLimit = memoryLimit(r.memoryLimit());
        }
        if (weight < 1 || weight > 10000) {
            throw new InvalidConfigException(
                    "resources.cpuRelativeWeight", "cpuRelativeWeight must be between 1 and 10000, not " + weight);
        }
        if (reserve > limit) {
            throw new InvalidConfigException(
                    "resources.cpuReserve",
                    "cpuReserve (" + reserve + " %) must not exceed cpuLimit (" + limit + " %)");
        }
        long overhead = ResourceControls.vmmOverhead(memoryBytes);
        if (memoryLimit != 0 && memoryLimit < memoryBytes + overhead) {
            throw new InvalidConfigException(
                    "resources.memoryLimit",
                    "memoryLimit " + Sizes.human(memoryLimit) + " is below what the VM needs: "
                            + Sizes.human(memoryBytes) + " of memory + " + Sizes.human(overhead)
                            + " for its VMM (128 MiB + 1/256 of its memory) = "
                            + Sizes.human(memoryBytes + overhead));
        }
        return new ResourceControls(affinity, limit, reserve, weight, memoryLimit);
    }

    private static String affinity(String text) {
        java.util.BitSet cpus = CpuList.parse(text("resources.processorAffinity", text));
        if (cpus == null) {
            throw new InvalidConfigException(
                    "resources.processorAffinity",
                    "processorAffinity must be a host CPU list such as \"0-3,6\" (\"\": every CPU), not '" + clip(text)
                            + "'");
        }
        return cpus.isEmpty() ? null : CpuList.format(cpus);
    }

    private static int percent(String field, int value, int min) {
        if (value < min || value > 100) {
            String name = field.substring(field.indexOf('.') + 1);
            throw new InvalidConfigException(
                    field, name + " is a percentage between " + min + " and 100, not " + value);
        }
        return value;
    }

    private static long memoryLimit(JsonNode m) {
        if (m.isTextual() && m.asText().strip().equalsIgnoreCase("none")) return 0;
        long bytes = -1;
        if (m.isIntegralNumber() && m.canConvertToLong()) bytes = m.asLong();
        else if (m.isTextual()) bytes = Sizes.parse(m.asText());
        if (bytes < 0 || bytes > MAX_MEMORY * 2) {
            throw new InvalidConfigException(
                    "resources.memoryLimit",
                    "memoryLimit must be a byte count or a size such as \"2G\" (0 or \"none\": no limit), at"
                            + " most 2T");
        }
        return bytes;
    }

    /**
     * Whether going from {@code a} to {@code b} changes the virtual hardware that cannot change while the VM runs
     * (network adapters can: see {@link org.viridian.management.state.VmOperation#CHANGE_ADAPTERS}).
     */
    public static boolean hardwareDiffers(VmConfig a, VmConfig b) {
        return a.cpus() != b.cpus()
                || a.memoryBytes() != b.memoryBytes()
                || !a.boot().equals(b.boot())
                || !a.disks().equals(b.disks())
                || !a.integrationServices().equals(b.integrationServices());
    }

    public static List<Disk> attach(List<Disk> disks, VmRequest.DiskRequest d) {
        if (d == null) throw new InvalidConfigException("disk", "a disk (JSON object with a path) is required");
        if (disks.size() >= MAX_DISKS) throw new InvalidConfigException("disks", "at most " + MAX_DISKS + " disks");
        String path = existingFile("disk.path", d.path());
        if (disks.stream().anyMatch(x -> x.path().equals(path))) {
            throw new InvalidConfigException("disk.path", "disk " + path + " is already attached");
        }
        int slot;
        if (d.slot() == null) {
            slot = 0;
            while (slotTaken(disks, slot)) slot++;
        } else {
            slot = d.slot();
            if (slot < 0 || slot >= MAX_DISKS) {
                throw new InvalidConfigException("disk.slot", "slot must be between 0 and " + (MAX_DISKS - 1));
            }
            if (slotTaken(disks, slot)) throw new InvalidConfigException("disk.slot", "slot " + slot + " is taken");
        }
        List<Disk> out = new ArrayList<>(disks);
        Disk added = new Disk(slot, path, d.readOnly() != null && d.readOnly());
        out.add(limits(added, new VmRequest.DiskLimitsRequest(d.maxIops(), d.maxBytesPerSecond())));
        out.sort((x, y) -> Integer.compare(x.slot(), y.slot()));
        return out;
    }

    /** {@code d} with the limits {@code r} asks for; absent ones stay. */
    public static Disk limits(Disk d, VmRequest.DiskLimitsRequest r) {
        if (r == null) throw new InvalidConfigException("disk", "a JSON object with maxIops and/or maxBytesPerSecond");
        long iops = d.maxIops(), bps = d.maxBytesPerSecond();
        if (r.maxIops() != null) {
            iops = r.maxIops();
            if (iops < 0 || iops > Disk.MAX_IOPS)
                throw new InvalidConfigException(
                        "disk.maxIops",
                        "maxIops must be between 0 (no limit) and " + Disk.MAX_IOPS + " operations per second, not "
                                + iops);
        }
        if (r.maxBytesPerSecond() != null) bps = bytesPerSecond(r.maxBytesPerSecond());
        return d.withLimits(iops, bps);
    }

    private static long bytesPerSecond(JsonNode n) {
        if (n.isTextual() && n.asText().strip().equalsIgnoreCase("none")) return 0;
        long bytes = -1;
        if (n.isIntegralNumber() && n.canConvertToLong()) bytes = n.asLong();
        else if (n.isTextual()) bytes = Sizes.parse(n.asText());
        if (bytes < 0 || bytes > Disk.MAX_BYTES_PER_SECOND) {
            throw new InvalidConfigException(
                    "disk.maxBytesPerSecond",
                    "maxBytesPerSecond must be a byte count or a size such as \"50M\" (0 or \"none\": no limit), at"
                            + " most 1T per second, not " + clip(n.toString()));
        }
        return bytes;
    }

    private static boolean slotTaken(List<Disk> disks, int slot) {
        return disks.stream().anyMatch(x -> x.slot() == slot);
    }

    public static String name(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new InvalidConfigException(
                    "name",
                    "name must be 1-63 letters, digits, '.', '_' or '-', starting with " + "a letter or digit: '"
                            + clip(name) + "'");
        }
        if (looksLikeUuid(name)) throw new InvalidConfigException("name", "name must not look like a VM id");
        return name;
    }

    public static boolean looksLikeUuid(String s) {
        try {
            return UUID.fromString(s).toString().equalsIgnoreCase(s);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static int cpus(int cpus) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new InvalidConfigException("cpus", "cpus must be between 1 and " + MAX_CPUS + ", not " + cpus);
        }
        return cpus;
    }

    static long memory(JsonNode m) {
        long bytes;
        if (m.isIntegralNumber() && m.canConvertToLong()) bytes = m.asLong();
        else if (m.isTextual()) bytes = Sizes.parse(m.asText());
        else throw new InvalidConfigException("memory", "memory must be a byte count or a size such as \"512M\"");
        if (bytes < 0 && m.isTextual()) {
            throw new InvalidConfigException(
                    "memory", "memory is not a size (e.g. 512M, 2G): '" + clip(m.asText()) + "'");
        }
        if (bytes < MIN_MEMORY || bytes > MAX_MEMORY) {
            throw new InvalidConfigException("memory", "memory must be between 2M and 1T, not " + m);
        }
        if (bytes % MEMORY_ALIGN != 0) throw new InvalidConfigException("memory", "memory must be a multiple of 1M");
        return bytes;
    }

    static BootSource boot(BootSource b) {
        return switch (b) {
            case BootSource.DemoGuest g -> {
                if (g.guest() == null || !DEMO_GUESTS.contains(g.guest())) {
                    throw new InvalidConfigException("boot.guest", "boot.guest must be one of " + DEMO_GUESTS);
                }
                yield new BootSource.DemoGuest(g.guest(), cmdline(g.cmdline()));
            }
            case BootSource.Kernel k ->
                new BootSource.Kernel(
                        existingFile("boot.kernel", k.kernel()),
                        k.initrd() == null || k.initrd().isEmpty() ? null : existingFile("boot.initrd", k.initrd()),
                        cmdline(k.cmdline()));
        };
    }

    private static String cmdline(String s) {
        return s == null ? "" : text("boot.cmdline", s);
    }

    static List<NetworkAdapter> adapters(List<NetworkAdapter> in) {
        if (in == null) return List.of();
        if (in.size() > MAX_ADAPTERS) {
            throw new InvalidConfigException("networkAdapters", "at most " + MAX_ADAPTERS + " network adapters");
        }
        List<NetworkAdapter> out = new ArrayList<>();
        Set<String> macs = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (NetworkAdapter a : in) {
            if (a == null) throw new InvalidConfigException("networkAdapters", "a network adapter must be an object");
            String name =
                    a.name() == null ? "Network Adapter " + (out.size() + 1) : text("networkAdapters.name", a.name());
            if (name.isBlank() || name.length() > 64) {
                throw new InvalidConfigException("networkAdapters.name", "adapter names are 1-64 characters");
            }
            if (!names.add(name.toLowerCase(Locale.ROOT)))
                throw new InvalidConfigException("networkAdapters.name", "two adapters are named '" + name + "'");
            if (a.switchName() != null
                    && !SwitchConfigs.NAME.matcher(a.switchName()).matches()) {
                throw new InvalidConfigException(
                        "networkAdapters.switchName",
                        "switch names are 1-31 characters of a-z, 0-9 and '-': '" + clip(a.switchName()) + "'");
            }
            if (a.vlanId() != null && (a.vlanId() < 1 || a.vlanId() > 4094)) {
                throw new InvalidConfigException(
                        "networkAdapters.vlanId", "vlanId must be between 1 and 4094 (absent: untagged)");
            }
            if (a.maxBandwidth() < 0) {
                throw new InvalidConfigException(
                        "networkAdapters.maxBandwidth", "maxBandwidth (bits per second) must not be negative");
            }
            String mac = a.mac() == null ? randomMac() : a.mac().toUpperCase(Locale.ROOT);
            if (!MAC.matcher(mac).matches()) {
                throw new InvalidConfigException("networkAdapters.mac", "mac must look like 00:15:5D:12:34:56");
            }
            if ((Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
                throw new InvalidConfigException("networkAdapters.mac", "mac must be a unicast address: " + mac);
            }
            if (!macs.add(mac)) throw new InvalidConfigException("networkAdapters.mac", "duplicate mac " + mac);
            out.add(new NetworkAdapter(
                    name,
                    a.switchName(),
                    mac,
                    a.vlanId(),
                    a.macSpoofGuard(),
                    a.dhcpGuard(),
                    a.routerGuard(),
                    a.maxBandwidth()));
        }
        return out;
    }

    /** 00:15:5D is the prefix Hyper-V gives its dynamic MAC addresses. */
    static String randomMac() {
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        return "00:15:5D:" + HexFormat.ofDelimiter(":").withUpperCase().formatHex(b);
    }

    static String text(String field, String s) {
        if (s.length() > MAX_TEXT) throw new InvalidConfigException(field, field + " is longer than " + MAX_TEXT);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\n' && c != '\t') {
                throw new InvalidConfigException(field, field + " contains a control character");
            }
        }
        return s;
    }

    static String existingFile(String field, String path) {
        if (path == null || path.isEmpty()) throw new InvalidConfigException(field, field + " is required");
        text(field, path);
        Path p;
        try {
            p = Path.of(path);
        } catch (RuntimeException e) {
            throw new InvalidConfigException(field, field + " is not a valid path");
        }
        if (!p.isAbsolute())
            throw new InvalidConfigException(field, field + " must be an absolute path: " + clip(path));
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new InvalidConfigException(field, field + ": no such readable file on the host: " + clip(path));
        }
        return p.normalize().toString();
    }

    private static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
