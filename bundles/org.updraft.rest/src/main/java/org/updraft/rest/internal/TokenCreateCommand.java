package org.updraft.rest.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;

@Command(scope = "updraft", name = "token-create", description = "Makes an API token for the REST API and prints it, "
        + "the only time it is shown; the platform keeps only its SHA-256")
@Service
public class TokenCreateCommand implements Action {

    @Option(name = "--role", description = "viewer, operator or admin", required = true)
    String role;

    @Option(name = "--days", description = "Valid this many days from now (default: until revoked)")
    Integer days;

    @Argument(index = 0, name = "name", description = "The token's name, as the ledger names what it does "
            + "(token:NAME)", required = true)
    String name;

    @Reference(optional = true)
    ApiTokens tokens;

    @Override
    public Object execute() throws Exception {
        ApiTokens store = TokenCommands.require(tokens);
        Role r;
        String token;
        try {
            r = Role.parse(role);
            if (days != null && days < 1) {
                throw new IllegalArgumentException("--days must be at least 1: " + days);
            }
            token = store.create(name, r, days == null ? null
                    : java.time.Instant.now().plus(java.time.Duration.ofDays(days)));
        } catch (IllegalArgumentException e) {
            throw new CommandException(e.getMessage());
        }
        System.out.println("Token " + name + " (" + r.id() + (days == null ? "" : ", valid " + days + " days")
                + "), shown once; keep it secret:");
        System.out.println(token);
        return null;
    }
}
