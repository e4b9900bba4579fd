package org.viridian.management;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.viridian.machine.host.HostCheck;
import org.viridian.management.DefaultSetup.Guest;
import org.viridian.management.DefaultSetup.Reason;
import org.viridian.management.config.BootSource;
import org.viridian.management.demo.LinuxDemo;
import org.viridian.management.testing.TestService;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ops.Images;

/**
 * Which demo VM a new host gets. The Linux demo's files are placed in the state directory beforehand, as a previous
 * assembly left them (LinuxDemoTest assembles them for real), so nothing is downloaded here.
 */
class DefaultSetupTest {
    private TestService service;

    @BeforeEach
    void start() {
        service = TestService.scripted();
    }

    @AfterEach
    void stop() {
        service.close();
    }

    @Test
    void withHardwareKvmTheDemoIsTheLinuxWithAHomeDiskAndANicOnNat() throws IOException {
        placeAssembledDemo();
        DefaultSetup.Demo demo = ensure(HostCheck.Kind.HARDWARE, Optional.empty());
        assertThat(demo.guest()).isEqualTo(Guest.LINUX);
        assertThat(demo.notes()).isEmpty();
        var c = demo.vm().config();
        assertThat(c.name()).isEqualTo("demo");
        assertThat(c.memoryBytes()).isEqualTo(512L << 20);
        assertThat(c.boot())
                .isEqualTo(new BootSource.Kernel(
                        LinuxDemo.dir(service.stateDir).resolve("vmlinuz").toString(),
                        LinuxDemo.dir(service.stateDir).resolve("initrd.gz").toString(),
                        LinuxDemo.CMDLINE));
        assertThat(c.networkAdapters()).singleElement().satisfies(n -> assertThat(n.switchName())
                .isEqualTo("nat"));
        Path home = Path.of(c.disks().getFirst().path());
        assertThat(Images.detect(home)).isEqualTo(ImageFormat.VHDX);
        try (DiskImage d = Images.open(home, true)) {
            assertThat(d.size()).isEqualTo(1L << 30);
        }
        assertThat(Files.size(home)).as("dynamic: nothing allocated yet").isLessThan(64L << 20);
    }

    @Test
    void whereSwitchesCannotBeMadeTheLinuxDemoHasNoNicAndSaysWhy() throws IOException {
        placeAssembledDemo();
        DefaultSetup.Demo demo = ensure(HostCheck.Kind.NESTED_HARDWARE, Optional.of("no CAP_NET_ADMIN"));
        assertThat(demo.guest()).isEqualTo(Guest.LINUX);
        assertThat(demo.vm().config().networkAdapters()).isEmpty();
        assertThat(demo.notes()).containsExactly(new DefaultSetup.Note(Reason.NO_NETWORK, "no CAP_NET_ADMIN"));
    }

    @Test
    void withPvmTheBuiltInGuestStaysAndTheReasonIsGiven() throws IOException {
        placeAssembledDemo();
        DefaultSetup.Demo demo = ensure(HostCheck.Kind.PVM, Optional.empty());
        assertThat(demo.guest()).isEqualTo(Guest.BUILT_IN);
        assertThat(demo.vm().config().boot()).isEqualTo(new BootSource.DemoGuest("smp.elf", "demo"));
        assertThat(demo.notes()).singleElement().satisfies(n -> assertThat(n.reason())
                .isEqualTo(Reason.PVM));
    }

    @Test
    void anExistingBuiltInDemoIsLeftAsItIs() throws IOException {
        DefaultSetup.Demo before = ensure(HostCheck.Kind.NONE, Optional.empty());
        assertThat(before.notes()).singleElement().satisfies(n -> assertThat(n.reason())
                .isEqualTo(Reason.NO_KVM));
        placeAssembledDemo();
        DefaultSetup.Demo after = ensure(HostCheck.Kind.HARDWARE, Optional.empty());
        assertThat(after.guest()).isEqualTo(Guest.BUILT_IN);
        assertThat(after.vm().config()).isEqualTo(before.vm().config());
        assertThat(after.notes()).singleElement().satisfies(n -> assertThat(n.reason())
                .isEqualTo(Reason.EXISTING_BUILT_IN));
    }

    @Test
    void anExistingLinuxDemoIsKeptAndFindsItsFilesCached() throws IOException {
        placeAssembledDemo();
        DefaultSetup.Demo first = ensure(HostCheck.Kind.HARDWARE, Optional.empty());
        DefaultSetup.Demo again = ensure(HostCheck.Kind.HARDWARE, Optional.empty());
        assertThat(again.guest()).isEqualTo(Guest.LINUX);
        assertThat(again.vm().config()).isEqualTo(first.vm().config());
        assertThat(again.notes()).isEmpty();
    }

    /** The assembly fails (here: "images" is a file, so its directory cannot be made): the built-in guest, and why. */
    @Test
    void whenTheLinuxDemoCannotBeAssembledTheBuiltInGuestIsTheDemoAndTheReasonIsGiven() throws IOException {
        Files.writeString(service.stateDir.resolve("images"), "not a directory");
        DefaultSetup.Demo demo = ensure(HostCheck.Kind.HARDWARE, Optional.empty());
        assertThat(demo.guest()).isEqualTo(Guest.BUILT_IN);
        assertThat(demo.notes()).singleElement().satisfies(n -> assertThat(n.reason())
                .isEqualTo(Reason.NOT_ASSEMBLED));
    }

    private DefaultSetup.Demo ensure(HostCheck.Kind kind, Optional<String> switchesUnavailable) throws IOException {
        return DefaultSetup.ensureDemoVm(service.service.vms(), service.stateDir, kind, switchesUnavailable, step -> {
            throw new AssertionError("nothing is assembled in this test: " + step);
        });
    }

    private void placeAssembledDemo() throws IOException {
        Path dir = LinuxDemo.dir(service.stateDir);
        Files.createDirectories(dir);
        for (String f : List.of("vmlinuz", "initrd.gz")) Files.write(dir.resolve(f), new byte[] {1});
        Files.writeString(
                dir.resolve("source.txt"), "Linux 6.1.0-test-cloud-amd64 from test.deb\n" + LinuxDemo.ASSEMBLY + "\n");
    }
}
