package org.viridian.management.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Errors that Jetty answers itself, before any route runs (unparseable request lines, ambiguous or illegal URIs):
 * the API's JSON error shape instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        return ByteBuffer.wrap(body(status, reason));
    }

    @Override
    protected void generateAcceptableResponse(
            Request base, HttpServletRequest request, HttpServletResponse response, int code, String message)
            throws IOException {
        base.setHandled(true);
        response.setContentType("application/json");
        response.getOutputStream().write(body(code, message));
    }

    static byte[] body(int status, String reason) {
        String code = status == 404 ? "not_found" : status >= 500 ? "internal" : "invalid_argument";
        String msg = (reason == null ? "bad request" : reason)
                .replaceAll("\\p{Cntrl}", " ")
                .replace("\\", "\\\\")
                .replace("\"", "\\\"");
        return ("{\"error\":{\"status\":" + status + ",\"code\":\"" + code + "\",\"message\":\"" + msg
                        + "\",\"field\":null}}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
