package org.updraft.itests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;

/**
 * One shell command over Karaf's SSH server, the way bin/client runs it: an exec channel whose exit status is the
 * client's exit status (1 when the command threw), and what the command printed.
 */
final class Ssh {

    /** How a command ended: its exit status and its output, standard error included. */
    record Result(int status, String output) {
        @Override
        public String toString() {
            return "exit " + status + ", printed:\n" + output;
        }
    }

    private Ssh() {
    }

    static Result exec(String host, int port, String user, String password, String command, Duration timeout)
            throws Exception {
        SshClient client = SshClient.setUpDefaultClient();
        // the test container's host key is new on every run; it is on loopback
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        client.start();
        try (ClientSession session = client.connect(user, host, port).verify(timeout).getSession()) {
            session.addPasswordIdentity(password);
            session.auth().verify(timeout);
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            try (ChannelExec channel = session.createExecChannel(command)) {
                channel.setIn(new ByteArrayInputStream(new byte[0]));
                channel.setOut(output);
                channel.setErr(output);
                channel.open().verify(timeout);
                Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED),
                        timeout.toMillis());
                if (!events.contains(ClientChannelEvent.CLOSED)) {
                    throw new AssertionError("'" + command + "' did not end within " + timeout + "; printed:\n"
                            + output.toString(StandardCharsets.UTF_8));
                }
                Integer status = channel.getExitStatus();
                if (status == null) {
                    throw new AssertionError("'" + command + "' ended without an exit status");
                }
                // the console colours the error line: what a script's log shows is the text
                String text = output.toString(StandardCharsets.UTF_8).replaceAll("\u001B\\[[0-9;]*m", "");
                return new Result(status, text);
            }
        } finally {
            client.stop();
        }
    }
}
