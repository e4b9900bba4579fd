package org.viridian.app.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.TestService;

/**
 * vm move / export / import between two services whose engine is scripted (in process; the worker-process and crash
 * cuts are MoveTest's): a running VM moves and runs there, is exported, and imported again with a new id.
 */
class VmMoveCliTest {
    @Test
    void moveExportAndImportFromTheCommandLine() throws Exception {
        try (TestService here = TestService.scripted();
                TestService there = TestService.scripted()) {
            Cli a = new Cli(here.service.url()), b = new Cli(there.service.url());
            a.run("vm", "create", "traveller");
            assertThat(a.run("vm", "start", "traveller").rc()).isZero();
            Cli.Result moved = a.run("vm", "move", "traveller", "--to", there.service.url());
            assertThat(moved.rc()).as(moved.err()).isZero();
            assertThat(moved.out())
                    .startsWith("move succeeded: VM 'traveller' moved to")
                    .contains("pause");
            assertThat(a.run("vm", "show", "traveller").rc()).isNotZero();
            assertThat(b.run("vm", "show", "traveller").out()).contains("running");

            Path dir = TestService.tempDir();
            assertThat(b.run("vm", "save", "traveller").rc()).isZero();
            Cli.Result exported = b.run("vm", "export", "traveller", dir.toString());
            assertThat(exported.out()).as(exported.err()).startsWith("export succeeded");
            Cli.Result taken = b.run("vm", "import", dir.resolve("traveller").toString());
            assertThat(taken.rc()).isNotZero();
            assertThat(taken.err()).contains("exists already");
            Cli.Result renamed = b.run("vm", "import", dir.resolve("traveller").toString(), "--new-id");
            assertThat(renamed.err()).contains("saved state is bound to its name");
            assertThat(b.run("vm", "delete", "traveller").rc()).isZero();
            Cli.Result imported = b.run("vm", "import", dir.resolve("traveller").toString(), "--new-id");
            assertThat(imported.out()).as(imported.err()).contains("VM 'traveller'", "imported, saved");
            assertThat(b.run("vm", "start", "traveller").rc()).isZero();
            assertThat(b.run("vm", "console", "traveller", "--print").out()).contains("resumed from its saved state");
        }
    }
}
