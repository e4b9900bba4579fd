package org.viridian.storage.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.storage.ImageInfo;

/** JSON form of {@link ImageInfo}, with stable field names (qemu-img style: kebab-case). */
public final class InfoJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private InfoJson() {}

    public static String toJson(ImageInfo i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("filename", i.file());
        m.put("format", i.format().displayName());
        m.put("type", i.type().displayName());
        m.put("virtual-size", i.virtualSize());
        m.put("file-size", i.fileSize());
        m.put("allocated-size", i.allocatedBytes());
        if (i.blockSize() > 0) m.put("block-size", i.blockSize());
        if (i.parent() != null) m.put("parent", i.parent());
        m.put("details", i.details());
        try {
            return MAPPER.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
