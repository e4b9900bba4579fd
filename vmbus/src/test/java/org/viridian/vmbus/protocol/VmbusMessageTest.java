package org.viridian.vmbus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VmbusMessageTest {
    static Stream<VmbusMessage> messages() {
        UUID type = UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d"), inst = UUID.randomUUID();
        return Stream.of(
                new InitiateContact(0x50003, 1, 2, 0x1000, 0x2000),
                new VersionResponse(true, 0, 1),
                new RequestOffers(),
                new OfferChannel(type, inst, 3, 7, 0x10007),
                new OfferChannel(type, inst, 0, 8, 0x10008, 8),
                new AllOffersDelivered(),
                new RescindChannelOffer(7),
                new OpenChannelRequest(7, 9, 0xE1E10, 1, 20),
                new OpenChannelResult(7, 9, 0),
                new CloseChannel(7),
                new GpadlHeader(7, 0xE1E10, 24, 1, 8192, 0, new long[] {0x10, 0x11}),
                new GpadlBody(1, 0xE1E10, new long[] {0x12, 0x13, 0x14}),
                new GpadlCreated(7, 0xE1E10, 0),
                new GpadlTeardown(7, 0xE1E10),
                new GpadlTorndown(0xE1E10),
                new RelidReleased(7),
                new Unload(),
                new UnloadResponse());
    }

    @ParameterizedTest
    @MethodSource("messages")
    void roundTrips(VmbusMessage m) throws ProtocolException {
        byte[] bytes = m.toBytes();
        assertThat(bytes).hasSize(m.size());
        VmbusMessage back = VmbusMessage.parse(ByteBuffer.wrap(bytes), bytes.length);
        assertThat(back).isInstanceOf(m.getClass());
        assertThat(back.toBytes()).isEqualTo(bytes);
        assertThat(back.type()).isEqualTo(m.type());
    }

    @ParameterizedTest
    @MethodSource("messages")
    void everyTruncationIsAProtocolError(VmbusMessage m) {
        byte[] bytes = m.toBytes();
        int min = m instanceof OpenChannelRequest
                ? 28
                : m instanceof GpadlHeader ? GpadlHeader.FIXED : m instanceof GpadlBody ? 24 : bytes.length;
        for (int n = 0; n < min; n++) {
            int size = n;
            assertThatThrownBy(() ->
                            VmbusMessage.parse(ByteBuffer.wrap(bytes, 0, size).slice(), size))
                    .isInstanceOf(ProtocolException.class);
        }
    }

    @Test
    void aSizeBeyondTheBytesIsAProtocolError() {
        byte[] bytes = new RequestOffers().toBytes();
        assertThatThrownBy(() -> VmbusMessage.parse(ByteBuffer.wrap(bytes), 12)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void unknownTypesAndHostMessagesFromTheGuestAreProtocolErrors() {
        byte[] unknown = Wire.allocate(8).putInt(0, 99).array();
        assertThatThrownBy(() -> VmbusMessage.parse(ByteBuffer.wrap(unknown), 8))
                .isInstanceOf(ProtocolException.class);
        byte[] hostOnly = new AllOffersDelivered().toBytes();
        assertThatThrownBy(() -> VmbusMessage.parseFromGuest(ByteBuffer.wrap(hostOnly), 8))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void initiateContactKnowsItsVersionAndSint() throws ProtocolException {
        InitiateContact modern = new InitiateContact(VmbusVersion.V5_2.code(), 0, 5, 0, 0);
        assertThat(modern.version()).contains(VmbusVersion.V5_2);
        assertThat(modern.messageSint()).isEqualTo(5);
        InitiateContact old = new InitiateContact(VmbusVersion.WIN7.code(), 0, 0x1234000, 0, 0);
        assertThat(old.messageSint()).isEqualTo(Vmbus.DEFAULT_SINT);
        assertThat(new InitiateContact(0x60000, 0, 0, 0, 0).version()).isEmpty();
        assertThat(VmbusVersion.WIN10_V5.modern()).isTrue();
        assertThat(VmbusVersion.WIN10.modern()).isFalse();
    }

    @Test
    void gpadlMessagesCarryThePagesTheirBytesHold() throws ProtocolException {
        byte[] header = new GpadlHeader(1, 2, 8 + 8 * 30, 1, 30 * 4096, 0, new long[] {5, 6}).toBytes();
        GpadlHeader h = (GpadlHeader) VmbusMessage.parse(ByteBuffer.wrap(header), header.length);
        assertThat(h.announcedPages()).isEqualTo(30);
        assertThat(h.pfns()).containsExactly(5, 6);
        // A trailing partial page number is not a page.
        byte[] body = Arrays.copyOf(new GpadlBody(1, 2, new long[] {7}).toBytes(), 28);
        assertThat(((GpadlBody) VmbusMessage.parse(ByteBuffer.wrap(body), 28)).pfns())
                .containsExactly(7);
    }

    @Test
    void guidsUseWindowsByteOrder() {
        ByteBuffer b = Wire.allocate(16);
        Wire.putGuid(b, 0, UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d"));
        assertThat(b.getInt(0)).isEqualTo(0x57164f39);
        assertThat(b.get(8)).isEqualTo((byte) 0xab);
        assertThat(List.of(Wire.getGuid(b, 0)))
                .containsExactly(UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d"));
    }
}
