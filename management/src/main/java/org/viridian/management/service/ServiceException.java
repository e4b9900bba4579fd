package org.viridian.management.service;

/**
 * A request the service refuses, with the HTTP status and the stable error code the API reports
 * (e.g. 404 not_found, 409 name_taken, 409 host_cannot_run_vms).
 */
public final class ServiceException extends RuntimeException {
    private final int status;
    private final String code;

    public ServiceException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public static ServiceException notFound(String what) {
        return new ServiceException(404, "not_found", what);
    }

    public static ServiceException conflict(String code, String message) {
        return new ServiceException(409, code, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
