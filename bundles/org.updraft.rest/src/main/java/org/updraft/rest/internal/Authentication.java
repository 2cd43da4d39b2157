package org.updraft.rest.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Supplier;

import javax.annotation.Priority;
import javax.ws.rs.Priorities;
import javax.ws.rs.container.ContainerRequestContext;
import javax.ws.rs.container.ContainerRequestFilter;
import javax.ws.rs.container.PreMatching;
import javax.ws.rs.core.HttpHeaders;
import javax.ws.rs.core.SecurityContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request names its caller, before anything else happens (even before its path is matched, so an unknown path
 * tells an anonymous caller nothing): HTTP Basic against the JAAS realm, or {@code Authorization: Bearer TOKEN} with an
 * API token. No anonymous access. Then each caller's rate limit.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
final class Authentication implements ContainerRequestFilter {

    private static final Logger LOG = LoggerFactory.getLogger(Authentication.class);

    private final Supplier<JaasRealm> realm;
    private final ApiTokens tokens;
    private final RateLimit limit;

    Authentication(Supplier<JaasRealm> realm, ApiTokens tokens, RateLimit limit) {
        this.realm = realm;
        this.tokens = tokens;
        this.limit = limit;
    }

    @Override
    public void filter(ContainerRequestContext request) throws IOException {
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        Caller caller;
        try {
            caller = caller(header);
        } catch (ApiProblem p) {
            request.abortWith(p.response());
            return;
        }
        if (!limit.admit((caller.token() ? "t:" : "u:") + caller.name())) {
            request.abortWith(new ApiProblem(429, "rate-limited", "more than " + limit.perSecond()
                    + " requests a second from " + caller.actor()).response());
            return;
        }
        boolean secure = request.getSecurityContext() != null && request.getSecurityContext().isSecure();
        request.setSecurityContext(new SecurityContext() {
            @Override
            public Principal getUserPrincipal() {
                return caller;
            }

            @Override
            public boolean isUserInRole(String role) {
                try {
                    return caller.role().covers(Role.parse(role));
                } catch (IllegalArgumentException e) {
                    return false;
                }
            }

            @Override
            public boolean isSecure() {
                return secure;
            }

            @Override
            public String getAuthenticationScheme() {
                return caller.token() ? "Bearer" : SecurityContext.BASIC_AUTH;
            }
        });
    }

    private Caller caller(String header) throws IOException {
        if (header == null || header.isBlank()) {
            throw new ApiProblem(401, "unauthenticated", "log in with HTTP Basic or an API token (Authorization: "
                    + "Bearer TOKEN)");
        }
        int space = header.indexOf(' ');
        String scheme = space < 0 ? header : header.substring(0, space);
        String value = space < 0 ? "" : header.substring(space + 1).strip();
        if (scheme.equalsIgnoreCase("Bearer")) {
            Optional<ApiTokens.Match> match = tokens.authenticate(value);
            if (match.isEmpty()) {
                // never the token itself in the log
                LOG.info("REST API: refused an unknown or revoked API token");
                throw new ApiProblem(401, "bad-token", "the API token is unknown or revoked");
            }
            if (match.get().expiredAt(Instant.now())) {
                LOG.info("REST API: refused expired API token {}", match.get().caller().name());
                throw new ApiProblem(401, "expired-token", "API token " + match.get().caller().name() + " expired at "
                        + match.get().expires());
            }
            return match.get().caller();
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            char[] decoded;
            try {
                CharBuffer text = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(Base64.getDecoder().decode(value)));
                decoded = new char[text.remaining()];
                text.get(decoded);
                if (text.hasArray()) {
                    Arrays.fill(text.array(), '\0');
                }
            } catch (IllegalArgumentException e) {
                throw new ApiProblem(401, "bad-credentials", "the Basic credentials are not base64");
            }
            int colon = indexOf(decoded, ':');
            if (colon <= 0) {
                Arrays.fill(decoded, '\0');
                throw new ApiProblem(401, "bad-credentials", "the Basic credentials are not user:password");
            }
            String user = new String(decoded, 0, colon);
            char[] password = Arrays.copyOfRange(decoded, colon + 1, decoded.length);
            Arrays.fill(decoded, '\0');
            // logins of one user name are limited as the user's requests are: guessing passwords is as slow
            if (!limit.admit("login:" + user)) {
                Arrays.fill(password, '\0');
                throw new ApiProblem(429, "rate-limited", "more than " + limit.perSecond()
                        + " logins a second as " + user);
            }
            Optional<JaasRealm.User> login = realm.get().login(user, password);
            if (login.isEmpty()) {
                LOG.info("REST API: refused a login of user {}", user.replaceAll("[^\\x20-\\x7e]", "?"));
                throw new ApiProblem(401, "bad-credentials", "wrong user name or password");
            }
            if (login.get().role() == null) {
                throw new ApiProblem(403, "no-role", "user " + user + " has none of the JAAS roles the API maps to "
                        + "viewer, operator or admin (org.updraft.rest roles.*)");
            }
            return new Caller(login.get().name(), login.get().role(), false);
        }
        throw new ApiProblem(401, "unauthenticated", "unsupported authentication scheme " + scheme
                + ": Basic or Bearer");
    }

    private static int indexOf(char[] text, char c) {
        for (int i = 0; i < text.length; i++) {
            if (text[i] == c) {
                return i;
            }
        }
        return -1;
    }
}
