package org.updraft.rest.internal;

import java.security.Principal;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.security.auth.Subject;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

/**
 * HTTP Basic logins against a JAAS realm, Karaf's by default: the users of {@code etc/users.properties} that log in
 * over SSH. Their JAAS roles map to the API's roles by configuration ({@code roles.admin}, ...); a user with none
 * of them is known but may do nothing.
 */
final class JaasRealm {

    private final String realm;
    private final Set<String> admin;
    private final Set<String> operator;
    private final Set<String> viewer;

    JaasRealm(String realm, String admin, String operator, String viewer) {
        this.realm = realm;
        this.admin = roles(admin);
        this.operator = roles(operator);
        this.viewer = roles(viewer);
    }

    /** A logged-in user and the API role their JAAS roles give, or empty for a wrong name or password. */
    Optional<User> login(String name, char[] password) {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        // Karaf's JAAS configuration names its proxy login module, loaded through the context class loader
        Thread.currentThread().setContextClassLoader(JaasRealm.class.getClassLoader());
        try {
            LoginContext context = new LoginContext(realm, new Subject(), callbacks -> {
                for (var c : callbacks) {
                    if (c instanceof NameCallback n) {
                        n.setName(name);
                    } else if (c instanceof PasswordCallback p) {
                        p.setPassword(password);
                    } else {
                        throw new UnsupportedCallbackException(c);
                    }
                }
            });
            context.login();
            Set<String> names = new HashSet<>();
            for (Principal p : context.getSubject().getPrincipals()) {
                // Karaf's RolePrincipal (and GroupPrincipal's roles, which Karaf adds as RolePrincipals too)
                if (p.getClass().getSimpleName().equals("RolePrincipal")) {
                    names.add(p.getName());
                }
            }
            try {
                context.logout();
            } catch (LoginException e) {
                // nothing held
            }
            return Optional.of(new User(name, role(names)));
        } catch (LoginException | SecurityException e) {
            return Optional.empty();
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
            Arrays.fill(password, '\0');
        }
    }

    /** A user of the realm and the API role their JAAS roles give, or {@code null} for none. */
    record User(String name, Role role) {
    }

    Role role(Set<String> jaasRoles) {
        if (intersects(jaasRoles, admin)) {
            return Role.ADMIN;
        }
        if (intersects(jaasRoles, operator)) {
            return Role.OPERATOR;
        }
        if (intersects(jaasRoles, viewer)) {
            return Role.VIEWER;
        }
        return null;
    }

    private static boolean intersects(Set<String> a, Set<String> b) {
        return a.stream().anyMatch(b::contains);
    }

    private static Set<String> roles(String list) {
        Set<String> roles = new HashSet<>();
        if (list != null) {
            for (String r : list.split(",")) {
                if (!r.isBlank()) {
                    roles.add(r.strip());
                }
            }
        }
        return roles;
    }

    @Override
    public String toString() {
        return "JAAS realm " + realm.toLowerCase(Locale.ROOT);
    }
}
