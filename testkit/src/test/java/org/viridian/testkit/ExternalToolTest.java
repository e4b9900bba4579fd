package org.viridian.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class ExternalToolTest {
    @Test
    void findsAProgramOnThePath() {
        assertThat(ExternalTool.require("sh", "dash")).isExecutable();
    }

    @Test
    void aToolNoPackageProvidesSkipsTheTestWithTheReason() {
        assertThatThrownBy(() -> ExternalTool.require("viridian-no-such-tool", "viridian-no-such-package"))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("viridian-no-such-tool is missing");
    }

    @Test
    void shellResultsCarryExitAndOutput() {
        ExternalTool.Result r = ExternalTool.sh("echo out; echo err >&2; exit 3");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.output()).contains("out").contains("err");
    }
}
