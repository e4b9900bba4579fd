package org.viridian.devices.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.UUID;
import org.viridian.devices.GuestChannel;
import org.viridian.devices.input.SyntheticMouse;
import org.viridian.devices.netvsp.LoopbackPort;
import org.viridian.devices.netvsp.NetVsp;
import org.viridian.devices.storvsp.StorVsp;
import org.viridian.devices.video.SyntheticVideo;
import org.viridian.devices.video.protocol.SituationUpdate;
import org.viridian.devices.video.protocol.SynthvidVersion;
import org.viridian.devices.video.protocol.VersionRequest;
import org.viridian.devices.video.protocol.VideoOutput;
import org.viridian.devices.video.protocol.VramLocation;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.server.VmbusDevice;

/**
 * Devices' saved states from damaged bytes (a state file from another version, or one whose section checksum a bad
 * disk happened to keep): half the time a real saved state with bytes changed, cut or grown, else arbitrary bytes,
 * restored into a fresh NetVSP, synthetic video, mouse or StorVSP on real rings. Rule: the restore succeeds or refuses
 * with IllegalArgumentException (the VM's restore then says why); nothing else is thrown.
 */
class SavedDeviceStateFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.allocate(16 << 20);
    private static final byte[] MAC = {0x00, 0x15, 0x5d, 1, 2, 3};
    private static final byte[][] SAVED = {netVsp(), video(), new byte[] {1}, "WIN10;true;2".getBytes()};

    private static byte[] netVsp() {
        NetVsp vsp = new NetVsp(MEMORY, UUID.randomUUID(), MAC, LoopbackPort.pair()[0], 1500, 4);
        new GuestChannel(MEMORY, vsp, 8).open();
        return vsp.save();
    }

    private static byte[] video() {
        SyntheticVideo v = new SyntheticVideo(MEMORY, UUID.randomUUID());
        GuestChannel g = new GuestChannel(MEMORY, v, 8).open();
        g.send(new VersionRequest(SynthvidVersion.WIN10.code()).toBytes());
        g.send(new VramLocation(8 << 20, true, 8 << 20).toBytes());
        g.send(new SituationUpdate(0, java.util.List.of(new VideoOutput(true, 0, 32, 800, 600, 3200))).toBytes());
        g.drain();
        return v.save();
    }

    private static VmbusDevice fresh(int which) {
        return switch (which) {
            case 0 -> new NetVsp(MEMORY, UUID.randomUUID(), MAC, LoopbackPort.pair()[0], 1500, 4);
            case 1 -> new SyntheticVideo(MEMORY, UUID.randomUUID());
            case 2 -> new SyntheticMouse(UUID.randomUUID());
            default -> new StorVsp(MEMORY, UUID.randomUUID(), 2);
        };
    }

    @FuzzTest
    void restore(FuzzedDataProvider data) {
        int which = data.consumeInt(0, SAVED.length - 1);
        byte[] state;
        if (data.consumeBoolean()) {
            byte[] base = SAVED[which];
            state = java.util.Arrays.copyOf(base, data.consumeInt(0, base.length + 16));
            for (int n = data.consumeInt(0, 8); n > 0 && state.length > 0; n--)
                state[data.consumeInt(0, state.length - 1)] = data.consumeByte();
        } else {
            state = data.consumeRemainingAsBytes();
        }
        VmbusDevice device = fresh(which);
        try {
            new GuestChannel(MEMORY, device, 8).restoreInto(device, state);
        } catch (IllegalArgumentException refused) {
            // what a restore may say
        } finally {
            device.closed();
        }
    }
}
