package org.viridian.management.api;

/**
 * The one error shape of the API: {@code {"error": {"status": 409, "code": "name_taken", "message": "…", "field":
 * null}}}.
 * {@code code} is stable for programs; {@code message} is for people; {@code field} names the bad input field.
 */
public record ApiError(Body error) {
    public record Body(int status, String code, String message, String field) {}

    public static ApiError of(int status, String code, String message, String field) {
        return new ApiError(new Body(status, code, message, field));
    }
}
