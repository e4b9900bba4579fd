package org.viridian.storage.vhdx;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class GuidTest {
    @Test
    void textIsTheUuidFormAndParsesBack() {
        for (String s : new String[] {
            "caa16737-fa36-4d43-b3b6-33f0aa44e76b", "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff", "8141bf1d-a96f-4709-ba47-f233a8faab5f"
        }) {
            assertThat(Guid.parse(s).toString()).isEqualTo(s);
            assertThat(Guid.parse("{" + s.toUpperCase() + "}").braced()).isEqualTo("{" + s + "}");
        }
    }

    @Test
    void randomGuidsAreVersion4AndDistinct() {
        Set<Guid> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            Guid g = Guid.random();
            UUID u = UUID.fromString(g.toString());
            assertThat(u.version()).isEqualTo(4);
            assertThat(u.variant()).isEqualTo(2);
            assertThat(Guid.parse(g.toString())).isEqualTo(g);
            assertThat(seen.add(g)).isTrue();
        }
    }
}
