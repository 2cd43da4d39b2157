package org.updraft.core.update;

import java.util.regex.Pattern;

/** The rule for device ids, in one place: they appear in CoAP paths, ledger events and database keys. */
public final class DeviceIds {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

    private DeviceIds() {
    }

    public static boolean isValid(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /**
     * @throws IllegalArgumentException when {@code id} breaks the rule
     */
    public static String check(String id) {
        if (!isValid(id)) {
            throw new IllegalArgumentException("device id '" + id
                    + "' must be 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
        return id;
    }
}
