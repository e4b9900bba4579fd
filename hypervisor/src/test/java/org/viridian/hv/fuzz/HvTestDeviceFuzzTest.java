package org.viridian.hv.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import org.viridian.hv.HvProtocolException;
import org.viridian.hv.diag.HvTestDevCommand;
import org.viridian.hv.diag.HvTestDevice;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.synic.Synic;
import org.viridian.partition.memory.GuestMemory;

/**
 * Fuzzed port writes to the Hyper-V test device of a 2-VP partition. Rule: a command is refused or executed, never an
 * exception; what parses encodes back to a word that parses to the same command.
 */
class HvTestDeviceFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.allocate(1 << 20);
    private static final List<Synic> SYNICS =
            List.of(new Synic(0, MEMORY, (vp, v) -> {}), new Synic(1, MEMORY, (vp, v) -> {}));
    private static final HvTestDevice DEVICE = new HvTestDevice(new MessageCalls(), SYNICS);

    @FuzzTest
    void write(FuzzedDataProvider data) {
        while (data.remainingBytes() >= 5) {
            int size = data.pickValue(new int[] {1, 2, 4, 4, 4});
            int word = data.consumeInt();
            try {
                HvTestDevCommand c = HvTestDevCommand.parse(word, SYNICS.size());
                assertThat(HvTestDevCommand.parse(c.word(), SYNICS.size())).isEqualTo(c);
            } catch (HvProtocolException refused) {
                // refused: the device counts it
            }
            DEVICE.write(HvTestDevice.PORT, size, word);
        }
    }
}
