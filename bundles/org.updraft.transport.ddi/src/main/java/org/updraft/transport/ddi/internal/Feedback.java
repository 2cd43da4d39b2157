package org.updraft.transport.ddi.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.updraft.api.device.DeviceState;
import org.updraft.core.json.JsonReader;

/**
 * A device's feedback on an action, as DDI clients send it: {@code status.execution} (closed, proceeding, canceled,
 * scheduled, rejected, resumed, downloaded, download), {@code status.result.finished} (success, failure, none) and
 * {@code status.details}. Other fields (id, time, progress, and the legacy ones clients still send) are ignored.
 *
 * @param execution where the action stands on the device
 * @param finished its result; {@code none} while it runs
 * @param details the device's messages, in order
 */
record Feedback(String execution, String finished, List<String> details) {

    static final List<String> EXECUTIONS = List.of("closed", "proceeding", "canceled", "scheduled", "rejected",
            "resumed", "downloaded", "download");
    static final List<String> RESULTS = List.of("success", "failure", "none");

    /**
     * Reads feedback from a request body.
     *
     * @throws IllegalArgumentException with a message for the device: not JSON, or a field missing or of the wrong
     *         kind
     */
    static Feedback parse(byte[] body) {
        Map<String, Object> root = JsonReader.object(JsonReader.parse(body), "the feedback");
        Map<String, Object> status = JsonReader.object(required(root, "status", "the feedback"), "status");
        String execution = text(required(status, "execution", "status"), "status.execution");
        if (!EXECUTIONS.contains(execution)) {
            throw new IllegalArgumentException("status.execution '" + execution + "' is none of " + EXECUTIONS);
        }
        String finished = "none";
        Object result = status.get("result");
        if (result != null) {
            Object f = JsonReader.object(result, "status.result").get("finished");
            if (f != null) {
                finished = text(f, "status.result.finished");
                if (!RESULTS.contains(finished)) {
                    throw new IllegalArgumentException("status.result.finished '" + finished + "' is none of "
                            + RESULTS);
                }
            }
        }
        List<String> details = new ArrayList<>();
        Object d = status.get("details");
        if (d != null) {
            if (!(d instanceof List<?> list)) {
                throw new IllegalArgumentException("status.details is not a JSON array");
            }
            for (Object item : list) {
                details.add(item == null ? "" : item.toString());
            }
        }
        return new Feedback(execution, finished, List.copyOf(details));
    }

    /**
     * The device state this feedback reports to the platform, or empty when it reports no new state (a log line
     * while the action runs, a resumed or scheduled action).
     *
     * @throws IllegalArgumentException for {@code closed} without a result: hawkBit's clients always say success
     *         or failure when they close an action
     */
    Optional<DeviceState> state() {
        return switch (execution) {
            case "closed" -> switch (finished) {
                case "success" -> Optional.of(DeviceState.INSTALLED);
                case "failure" -> Optional.of(DeviceState.FAILED);
                default -> throw new IllegalArgumentException("a closed action needs status.result.finished "
                        + "success or failure, not none");
            };
            case "proceeding", "download" -> "failure".equals(finished) ? Optional.of(DeviceState.FAILED)
                    : Optional.of(DeviceState.DOWNLOADING);
            case "downloaded" -> Optional.of(DeviceState.DOWNLOADED);
            case "rejected", "canceled" -> Optional.of(DeviceState.FAILED);
            default -> Optional.empty();
        };
    }

    /** Why the update failed, for the report (at most {@code max} characters); null for other states. */
    String reason(int max) {
        String why = switch (execution) {
            case "rejected" -> "ddi-rejected";
            case "canceled" -> "ddi-canceled";
            default -> "ddi-failure";
        };
        String detail = details.isEmpty() ? "" : ": " + String.join("; ", details);
        String text = why + detail;
        return text.length() <= max ? text : text.substring(0, max);
    }

    private static Object required(Map<String, Object> map, String key, String where) {
        Object v = map.get(key);
        if (v == null) {
            throw new IllegalArgumentException(where + " has no '" + key + "'");
        }
        return v;
    }

    private static String text(Object value, String what) {
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException(what + " is not a JSON string");
        }
        return s;
    }
}
