package org.viridian.devices.storvsp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.viridian.vmbus.protocol.ProtocolException;

/** vstor packets as Linux's storvsc lays them out (drivers/scsi/storvsc_drv.c), and defence against short ones. */
class VstorProtocolTest {
    static final byte[] CDB = {0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0};

    record Case(VstorPacket packet, VstorVersion version, int min) {}

    static Stream<Case> requests() {
        VmscsiRequest srb = new VmscsiRequest(
                52,
                0,
                0,
                1,
                0,
                0,
                3,
                CDB.length,
                20,
                1,
                0,
                4096,
                java.util.Arrays.copyOf(CDB, 20),
                new VmscsiRequest.Win8Extension(0, 1, 2, 0x40, 60, 0));
        return Stream.of(
                new Case(VstorPacket.request(VstorOperation.EXECUTE_SRB, srb), VstorVersion.WIN10, 64),
                new Case(
                        VstorPacket.request(VstorOperation.EXECUTE_SRB, srb.completed(1, -1, null)),
                        VstorVersion.WIN6,
                        48),
                new Case(
                        VstorPacket.request(
                                VstorOperation.QUERY_PROTOCOL_VERSION, ProtocolVersion.of(VstorVersion.WIN8_1)),
                        null,
                        16),
                new Case(VstorPacket.request(VstorOperation.CREATE_SUB_CHANNELS, new SubChannelCount(3)), null, 14),
                new Case(VstorPacket.request(VstorOperation.BEGIN_INITIALIZATION, VstorBody.NONE), null, 12),
                new Case(new VstorPacket(99, 1, 0, VstorBody.NONE), null, 12));
    }

    @ParameterizedTest
    @MethodSource("requests")
    void requestsRoundTrip(Case c) throws ProtocolException {
        byte[] bytes = c.packet().toBytes();
        assertThat(bytes).hasSize(VstorPacket.SIZE);
        VstorPacket back = VstorPacket.parse(bytes, c.version());
        assertThat(back.toBytes()).isEqualTo(bytes);
        assertThat(back.body().getClass()).isEqualTo(c.packet().body().getClass());
        assertThat(back.operationCode()).isEqualTo(c.packet().operationCode());
    }

    @ParameterizedTest
    @MethodSource("requests")
    void everyTruncationIsAProtocolError(Case c) throws ProtocolException {
        byte[] bytes = c.packet().toBytes();
        for (int n = 0; n < c.min(); n++) {
            int size = n;
            assertThatThrownBy(() -> VstorPacket.parse(ByteBuffer.wrap(bytes), size, c.version()))
                    .isInstanceOf(ProtocolException.class);
        }
        assertThat(VstorPacket.parse(ByteBuffer.wrap(bytes), c.min(), c.version())
                        .operationCode())
                .isEqualTo(c.packet().operationCode());
        assertThatThrownBy(() -> VstorPacket.parse(ByteBuffer.wrap(bytes, 0, 20), 64, c.version()))
                .as("a size past the bytes")
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void theSrbSitsAtLinuxsOffsets() throws ProtocolException {
        byte[] bytes = VstorPacket.request(
                        VstorOperation.EXECUTE_SRB, VmscsiRequest.of(5, CDB, VmscsiRequest.DATA_IN, 512))
                .toBytes();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(3);
        assertThat(b.getInt(4)).isEqualTo(VstorPacket.FLAG_REQUEST_COMPLETION);
        assertThat(b.getShort(12)).as("length").isEqualTo((short) 52);
        assertThat(b.get(12 + 7)).as("lun").isEqualTo((byte) 5);
        assertThat(b.get(12 + 8)).as("cdb_length").isEqualTo((byte) CDB.length);
        assertThat(b.get(12 + 10)).as("data_in").isEqualTo((byte) 1);
        assertThat(b.getInt(12 + 12)).as("data_transfer_length").isEqualTo(512);
        assertThat(b.get(12 + 16)).as("cdb[0]").isEqualTo((byte) 0x28);
        VmscsiRequest srb =
                (VmscsiRequest) VstorPacket.parse(bytes, VstorVersion.WIN8).body();
        assertThat(srb.cdb()).containsExactly(CDB);
        assertThat(srb.transferLength()).isEqualTo(512);
    }

    @Test
    void aCompletionCarriesTheOutcomeAndTheSense() throws ProtocolException {
        VmscsiRequest srb = VmscsiRequest.of(0, CDB, VmscsiRequest.DATA_IN, 512);
        byte[] sense = new byte[18];
        sense[2] = 5;
        VmscsiRequest done = srb.completed(VmscsiRequest.SRB_ERROR | VmscsiRequest.SRB_AUTOSENSE_VALID, 0, sense);
        ByteBuffer b = ByteBuffer.wrap(
                        VstorPacket.completion(VstorStatus.SUCCESS, done).toBytes())
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(VstorOperation.COMPLETE_IO.code());
        assertThat(b.get(12 + 2)).isEqualTo((byte) 0x84);
        assertThat(b.get(12 + 3)).as("CHECK CONDITION").isEqualTo((byte) 2);
        assertThat(b.get(12 + 9)).as("sense length").isEqualTo((byte) 18);
        assertThat(b.getInt(12 + 12)).isZero();
        assertThat(b.get(12 + 16 + 2)).isEqualTo((byte) 5);
        assertThat(b.get(12 + 16 + 19)).as("the CDB's bytes are gone").isZero();
        assertThat(done.sense()).containsExactly(sense);
        assertThat(srb.completed(1, -1, null).dataTransferLength())
                .as("-1 keeps the length")
                .isEqualTo(512);
    }

    @Test
    void anOutOfRangeCdbLengthIsKeptForTheVspToRefuse() throws ProtocolException {
        byte[] bytes = VstorPacket.request(VstorOperation.EXECUTE_SRB, VmscsiRequest.of(0, new byte[16], 2, 0))
                .toBytes();
        bytes[12 + 8] = 17;
        VmscsiRequest srb =
                (VmscsiRequest) VstorPacket.parse(bytes, VstorVersion.WIN10).body();
        assertThat(srb.cdbValid()).isFalse();
        assertThat(srb.cdbLength()).isEqualTo(17);
        assertThatThrownBy(srb::cdb).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void propertiesAndVersionsAreNamed() throws ProtocolException {
        byte[] bytes = VstorPacket.completion(
                        VstorStatus.SUCCESS, new ChannelProperties(4, ChannelProperties.MULTI_CHANNEL, 2 << 20))
                .toBytes();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getShort(12 + 4)).isEqualTo((short) 4);
        assertThat(b.getInt(12 + 8)).isEqualTo(1);
        assertThat(b.getInt(12 + 12)).isEqualTo(2 << 20);
        assertThat(ChannelProperties.parse(b.position(12), 24)).isEqualTo(new ChannelProperties(4, 1, 2 << 20));
        assertThatThrownBy(() -> ChannelProperties.parse(ByteBuffer.allocate(23), 23))
                .isInstanceOf(ProtocolException.class);
        assertThat(VstorVersion.of(0x0602)).contains(VstorVersion.WIN10);
        assertThat(VstorVersion.of(0x0703)).isEmpty();
        assertThat(VstorVersion.WIN8.srbSize()).isEqualTo(52);
        assertThat(VstorVersion.WIN7.srbSize()).isEqualTo(36);
        assertThat(new ProtocolVersion(0x0703, 0).version()).isEmpty();
        assertThat(VstorOperation.of(99)).isEmpty();
        assertThat(VstorStatus.REVISION_MISMATCH.code()).isEqualTo(0xC0000059);
    }
}
