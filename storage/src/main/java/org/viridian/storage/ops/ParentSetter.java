package org.viridian.storage.ops;

import java.io.IOException;
import java.nio.file.Path;
import org.viridian.storage.DiskImage;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.vhd.VhdImage;
import org.viridian.storage.vhdx.VhdxImage;

/** Rewrites a differencing image's parent locators, e.g. after the parent moved. */
public final class ParentSetter {
    private ParentSetter() {}

    public static void setParent(Path child, Path newParent, boolean force) throws IOException {
        try (DiskImage p = Images.open(newParent, true);
                DiskImage c = Images.open(child, null, new OpenOptions(false, false, 0, null))) {
            if (p.size() != c.size())
                throw new IOException(newParent + ": size " + p.size() + " differs from the child's " + c.size());
            switch (c) {
                case VhdImage v when p instanceof VhdImage pv -> v.setParent(newParent, pv, force);
                case VhdxImage x when p instanceof VhdxImage px -> x.setParent(newParent, px, force);
                default ->
                    throw new IOException(
                            child + ": parent and child must both be VHD or both VHDX differencing images");
            }
        }
    }
}
