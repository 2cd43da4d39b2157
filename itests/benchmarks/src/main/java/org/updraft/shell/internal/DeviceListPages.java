package org.updraft.shell.internal;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.updraft.api.device.DeviceRegistry;

/**
 * For benchmark row 16b: {@code updraft:device-list} run page after page, as an operator pages through the fleet in
 * the shell ({@code --limit N}, then {@code --after} the id the command names), its table printed to a buffer
 * instead of the terminal. In the shell's package, as only the benchmarks' plain classpath allows, because the command
 * gets its registry as Karaf's shell injects it.
 */
public final class DeviceListPages {

    private static final Pattern NEXT = Pattern.compile("next page: --after (\\S+)");

    private DeviceListPages() {
    }

    /**
     * Lists every device, {@code pageSize} to a command; returns the bytes of table printed (so that the caller can
     * check the listing was whole).
     */
    public static long listAll(DeviceRegistry registry, int pageSize) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(1 << 20);
        PrintStream terminal = System.out;
        long printed = 0;
        String after = null;
        try (PrintStream out = new PrintStream(buffer, false, StandardCharsets.UTF_8)) {
            System.setOut(out);
            do {
                buffer.reset();
                DeviceListCommand command = new DeviceListCommand();
                command.registry = registry;
                command.limit = pageSize;
                command.after = after;
                command.run();
                out.flush();
                printed += buffer.size();
                Matcher next = NEXT.matcher(buffer.toString(StandardCharsets.UTF_8));
                after = next.find() ? next.group(1) : null;
            } while (after != null);
        } finally {
            System.setOut(terminal);
        }
        return printed;
    }
}
