package org.viridian.management.api;

import io.javalin.http.Context;
import io.javalin.http.Header;
import org.viridian.management.auth.Principal;
import org.viridian.management.auth.TokenStore;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;

/**
 * Who may do what. With authentication off (loopback, the default) every caller is the local administrator; with it on
 * every API request carries a bearer token ({@code Authorization: Bearer …}, or {@code ?access_token=} where browsers
 * cannot set headers: WebSocket, EventSource), and each VM a request touches is checked against the token's scope.
 */
final class Access {
    private static final String ATTR = "viridian.principal";
    private static final Principal LOCAL = new Principal.Admin("local");
    private final TokenStore tokens;
    private final boolean required;
    private final VmService vms;

    Access(TokenStore tokens, boolean required, VmService vms) {
        this.tokens = tokens;
        this.required = required;
        this.vms = vms;
    }

    boolean required() {
        return required;
    }

    /** Before every API request (and WebSocket upgrade): establishes the caller or answers 401. */
    void authenticate(Context ctx) {
        if (!required) {
            ctx.attribute(ATTR, LOCAL);
            return;
        }
        String token = null;
        String h = ctx.header(Header.AUTHORIZATION);
        if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7))
            token = h.substring(7).trim();
        if (token == null) token = ctx.queryParam("access_token");
        Principal p = tokens.authenticate(token).orElse(null);
        if (p == null) {
            ctx.header(Header.WWW_AUTHENTICATE, "Bearer realm=\"viridian\"");
            throw new ServiceException(
                    401,
                    "unauthorized",
                    token == null ? "a bearer token is required" : "the bearer token is not valid");
        }
        ctx.attribute(ATTR, p);
    }

    static Principal principal(Context ctx) {
        Principal p = ctx.attribute(ATTR);
        return p == null ? LOCAL : p;
    }

    void requireAdmin(Context ctx) {
        if (!principal(ctx).isAdmin()) throw new ServiceException(403, "forbidden", "this needs an admin token");
    }

    /** The VM named by the {vm} path parameter, if the caller may touch it. */
    VmView vm(Context ctx) {
        return vm(principal(ctx), ctx.pathParam("vm"));
    }

    VmView vm(Principal p, String ref) {
        VmView v = vms.get(ref);
        if (!p.mayAccess(v.config())) {
            throw new ServiceException(
                    403,
                    "forbidden",
                    "this token may not access VM '" + v.config().name() + "'");
        }
        return v;
    }
}
