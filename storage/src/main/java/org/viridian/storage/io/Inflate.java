package org.viridian.storage.io;

import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.viridian.storage.CorruptImageException;

/** Inflates a compressed cluster or grain into a block-sized buffer; a short result leaves zeros, as qemu does. */
public final class Inflate {
    private Inflate() {}

    /**
     * {@code raw}: headerless deflate (qcow2); otherwise zlib-wrapped (VMDK). {@code what} names the source in errors.
     */
    public static byte[] block(byte[] in, boolean raw, int blockBytes, String what) throws CorruptImageException {
        byte[] out = new byte[blockBytes];
        Inflater inf = new Inflater(raw);
        try {
            inf.setInput(in);
            int n = 0;
            while (n < out.length && !inf.finished()) {
                int k = inf.inflate(out, n, out.length - n);
                if (k == 0 && (inf.needsInput() || inf.needsDictionary())) break;
                n += k;
            }
        } catch (DataFormatException e) {
            throw new CorruptImageException(what + " does not inflate: " + e.getMessage());
        } finally {
            inf.end();
        }
        return out;
    }
}
