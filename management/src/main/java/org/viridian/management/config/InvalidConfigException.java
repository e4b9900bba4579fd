package org.viridian.management.config;

/** A client's VM definition is invalid; {@code field} names the offending field (JSON path), or null. */
public final class InvalidConfigException extends IllegalArgumentException {
    private final String field;

    public InvalidConfigException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
