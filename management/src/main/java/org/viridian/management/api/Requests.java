package org.viridian.management.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.javalin.http.Context;
import org.viridian.management.service.ServiceException;

/** Reading clients' input: JSON bodies (strictly), numeric query and path parameters. Anything bad is a 400. */
final class Requests {
    private final ObjectMapper json;

    Requests(ObjectMapper json) {
        this.json = json;
    }

    <T> T body(Context ctx, Class<T> type) {
        return parse(ctx.body(), type);
    }

    /** The body's text as a {@code type}, or a 400 ServiceException (apart from Context so it can be fuzzed alone). */
    <T> T parse(String body, Class<T> type) {
        if (body.isBlank()) throw new ServiceException(400, "invalid_argument", "a JSON request body is required");
        try {
            T value = json.readValue(body, type);
            if (value == null)
                throw new ServiceException(400, "invalid_argument", "the request body must be a JSON object");
            return value;
        } catch (JsonParseException e) {
            throw new ServiceException(400, "malformed_json", "malformed JSON: " + firstLine(e.getOriginalMessage()));
        } catch (MismatchedInputException e) {
            String path = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .reduce((a, b) -> a + "." + b)
                    .orElse("");
            if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("No content")) {
                throw new ServiceException(400, "malformed_json", "malformed JSON: the body ended early");
            }
            throw new ServiceException(
                    400, "invalid_argument", (path.isEmpty() ? "" : path + ": ") + firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw new ServiceException(400, "invalid_argument", firstLine(e.getOriginalMessage()));
        }
    }

    static long longQuery(Context ctx, String name, long dflt) {
        String v = ctx.queryParam(name);
        if (v == null || v.isEmpty()) return dflt;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ServiceException(400, "invalid_argument", "query parameter " + name + " must be a number");
        }
    }

    static int intPath(Context ctx, String name) {
        try {
            return Integer.parseInt(ctx.pathParam(name));
        } catch (NumberFormatException e) {
            throw new ServiceException(400, "invalid_argument", name + " must be a number");
        }
    }

    static String firstLine(String s) {
        if (s == null) return "invalid input";
        String l = s.lines().findFirst().orElse("");
        return l.length() > 300 ? l.substring(0, 300) + "…" : l;
    }
}
