package org.viridian.management.vnc;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;

/**
 * The RFB server's client-message parser on arbitrary bytes (what any local process can send to a VM's VNC port
 * once it is through the handshake). Rule: each message parses, or the stream ends (EOFException), or it is refused
 * (RfbProtocolException); a pixel format that parses can be served. Nothing else may escape.
 */
class RfbClientMessageFuzzTest {
    @FuzzTest
    void clientMessages(FuzzedDataProvider data) throws Exception {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data.consumeRemainingAsBytes()));
        try {
            while (true) {
                ClientMessage m = ClientMessage.read(in);
                if (m instanceof ClientMessage.SetPixelFormat p && p.format().unservable() != null)
                    throw new AssertionError("an unservable pixel format passed: " + p.format());
                if (m instanceof ClientMessage.SetEncodings e && e.encodings().size() > ClientMessage.MAX_ENCODINGS)
                    throw new AssertionError(e.encodings().size() + " encodings passed");
            }
        } catch (EOFException | RfbProtocolException expected) {
            // the end of the input, or a message refused
        }
    }
}
