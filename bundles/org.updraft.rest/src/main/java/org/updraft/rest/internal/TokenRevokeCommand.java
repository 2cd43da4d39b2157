package org.updraft.rest.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;

@Command(scope = "updraft", name = "token-revoke", description = "Revokes a REST API token: requests with it are "
        + "refused from now on")
@Service
public class TokenRevokeCommand implements Action {

    @Argument(index = 0, name = "name", description = "The token's name", required = true)
    String name;

    @Reference(optional = true)
    ApiTokens tokens;

    @Override
    public Object execute() throws Exception {
        if (!TokenCommands.require(tokens).revoke(name)) {
            throw new CommandException("no API token named " + name);
        }
        System.out.println("Revoked API token " + name);
        return null;
    }
}
