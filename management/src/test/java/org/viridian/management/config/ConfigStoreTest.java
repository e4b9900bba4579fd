package org.viridian.management.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VM definitions survive a round trip; a crash's leftovers (temp files, half-deleted VMs, torn files) are handled. */
class ConfigStoreTest {
    @TempDir
    Path dir;

    private static VmConfig config(String name) {
        return VmConfigs.create(
                new VmRequest(
                        name,
                        2,
                        com.fasterxml.jackson.databind.node.TextNode.valueOf("96M"),
                        new BootSource.DemoGuest("hello.elf", "x=1"),
                        List.of(),
                        List.of(new NetworkAdapter("nic", "external", "00:15:5D:00:00:01")),
                        new IntegrationServices(true, false, true, false, true),
                        "notes\nline 2"),
                UUID.randomUUID(),
                Instant.now());
    }

    @Test
    void definitionsRoundTrip() throws Exception {
        ConfigStore store = new ConfigStore(dir, Json.mapper());
        VmConfig a = config("a"), b = config("b");
        store.save(a);
        store.save(b);
        ConfigStore.Loaded loaded = new ConfigStore(dir, Json.mapper()).loadAll();
        assertThat(loaded.configs()).containsExactly(a, b);
        assertThat(loaded.problems()).isEmpty();
    }

    @Test
    void leftoversOfACrashAreIgnoredOrFinished() throws Exception {
        ConfigStore store = new ConfigStore(dir, Json.mapper());
        VmConfig a = config("a");
        store.save(a);
        Path vmDir = store.dir(a.id());
        Files.writeString(vmDir.resolve(".config.json.123.1.tmp"), "{\"torn"); // a write that never got renamed
        Path halfDeleted = dir.resolve("vms").resolve(".deleted-" + UUID.randomUUID());
        Files.createDirectories(halfDeleted);
        Files.writeString(halfDeleted.resolve("config.json"), "{}");
        Path torn = dir.resolve("vms").resolve(UUID.randomUUID().toString());
        Files.createDirectories(torn);
        Files.writeString(torn.resolve("config.json"), "{\"id\":");
        ConfigStore.Loaded loaded = store.loadAll();
        assertThat(loaded.configs()).containsExactly(a);
        assertThat(loaded.problems()).singleElement().asString().contains(torn.toString());
        assertThat(halfDeleted).doesNotExist();
    }

    /** A definition written before resource controls existed loads with Hyper-V's defaults. */
    @Test
    void aDefinitionWithoutResourceControlsLoadsWithTheDefaults() throws Exception {
        ConfigStore store = new ConfigStore(dir, Json.mapper());
        UUID id = UUID.randomUUID();
        Files.createDirectories(store.dir(id));
        Files.writeString(
                store.dir(id).resolve(ConfigStore.CONFIG),
                """
                {"id":"%s","name":"old","cpus":1,"memoryBytes":67108864,
                 "boot":{"type":"demo","guest":"smp.elf","cmdline":""},"disks":[],"networkAdapters":[],
                 "integrationServices":{"shutdown":true,"timeSync":true,"heartbeat":true,"keyValueExchange":true,
                 "guestServices":false},"notes":"","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z"}
                """
                        .formatted(id));
        ConfigStore.Loaded loaded = store.loadAll();
        assertThat(loaded.problems()).isEmpty();
        assertThat(loaded.configs()).singleElement().satisfies(c -> {
            assertThat(c.name()).isEqualTo("old");
            assertThat(c.resources()).isEqualTo(ResourceControls.DEFAULT);
        });
    }

    /** A disk stored before disks had I/O limits loads without limits; one stored with them keeps them. */
    @Test
    void aDiskWithoutLimitsLoadsUnlimitedAndLimitsRoundTrip() throws Exception {
        ConfigStore store = new ConfigStore(dir, Json.mapper());
        UUID id = UUID.randomUUID();
        Files.createDirectories(store.dir(id));
        Files.writeString(
                store.dir(id).resolve(ConfigStore.CONFIG),
                """
                {"id":"%s","name":"old-disk","cpus":1,"memoryBytes":67108864,
                 "boot":{"type":"demo","guest":"smp.elf","cmdline":""},
                 "disks":[{"slot":2,"path":"/srv/old.vhdx","readOnly":true}],"networkAdapters":[],
                 "notes":"","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z"}
                """
                        .formatted(id));
        VmConfig old = store.loadAll().configs().getFirst();
        assertThat(old.disks()).containsExactly(new Disk(2, "/srv/old.vhdx", true, 0, 0));
        // and an unlimited disk is written as before, for earlier versions' strict readers
        assertThat(Json.mapper().writeValueAsString(old.disks().getFirst()))
                .isEqualTo("{\"slot\":2,\"path\":\"/srv/old.vhdx\",\"readOnly\":true}");

        store.save(old.withDisks(List.of(old.disks().getFirst().withLimits(500, 50L << 20)), old.modified()));
        assertThat(store.loadAll().configs().getFirst().disks())
                .containsExactly(new Disk(2, "/srv/old.vhdx", true, 500, 50L << 20));
    }

    @Test
    void cpuListsParseAndFormat() {
        assertThat(CpuList.format(CpuList.parse("6, 0-3"))).isEqualTo("0-3,6");
        assertThat(CpuList.format(CpuList.parse("1,2,3,5"))).isEqualTo("1-3,5");
        assertThat(CpuList.parse("").isEmpty()).isTrue();
        assertThat(CpuList.parse("3-1")).isNull();
        assertThat(CpuList.parse("1,,2")).isNull();
        assertThat(CpuList.parse("-1")).isNull();
        assertThat(CpuList.parse("99999")).isNull();
        assertThat(CpuList.parse("0-8191").cardinality()).isEqualTo(8192);
    }

    @Test
    void deleteRemovesTheWholeDefinition() throws Exception {
        ConfigStore store = new ConfigStore(dir, Json.mapper());
        VmConfig a = config("a");
        store.save(a);
        store.delete(a.id());
        assertThat(store.dir(a.id())).doesNotExist();
        assertThat(store.loadAll().configs()).isEmpty();
    }

    @Test
    void sizesParseAndFormat() {
        assertThat(Sizes.parse("512M")).isEqualTo(512L << 20);
        assertThat(Sizes.parse("2g")).isEqualTo(2L << 30);
        assertThat(Sizes.parse("64MiB")).isEqualTo(64L << 20);
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.parse("lots")).isEqualTo(-1);
        assertThat(Sizes.parse("99999999999999999999T")).isEqualTo(-1);
        assertThat(Sizes.format(1536L << 10)).isEqualTo("1536K");
        assertThat(Sizes.format(2L << 30)).isEqualTo("2G");
    }
}
