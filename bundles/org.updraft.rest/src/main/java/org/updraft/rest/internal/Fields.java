package org.updraft.rest.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import javax.ws.rs.core.SecurityContext;

import com.fasterxml.jackson.databind.JsonNode;

/** Reading a request's JSON fields and query parameters: a field of the wrong type is refused by its name. */
final class Fields {

    private Fields() {
    }

    static Caller caller(SecurityContext security) {
        return (Caller) security.getUserPrincipal();
    }

    static String text(JsonNode body, String field, boolean required) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw ApiProblem.badRequest("invalid", "field '" + field + "' is required");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw ApiProblem.badRequest("invalid", "field '" + field + "' must be a string");
        }
        return n.asText();
    }

    static long number(JsonNode body, String field, long otherwise) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiProblem.badRequest("invalid", "field '" + field + "' must be an integer");
        }
        return n.asLong();
    }

    static double decimal(JsonNode body, String field, double otherwise) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isNumber()) {
            throw ApiProblem.badRequest("invalid", "field '" + field + "' must be a number");
        }
        return n.asDouble();
    }

    static boolean flag(JsonNode body, String field, boolean otherwise) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isBoolean()) {
            throw ApiProblem.badRequest("invalid", "field '" + field + "' must be true or false");
        }
        return n.asBoolean();
    }

    static Set<String> strings(JsonNode body, String field) {
        JsonNode n = body.get(field);
        Set<String> values = new LinkedHashSet<>();
        if (n == null || n.isNull()) {
            return values;
        }
        if (!n.isArray()) {
            throw ApiProblem.badRequest("invalid", "field '" + field + "' must be an array of strings");
        }
        for (JsonNode item : n) {
            if (!item.isTextual() || item.asText().isBlank()) {
                throw ApiProblem.badRequest("invalid", "field '" + field + "' must be an array of strings");
            }
            values.add(item.asText().strip());
        }
        return values;
    }

    static List<JsonNode> objects(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || !n.isArray()) {
            throw ApiProblem.badRequest("invalid", "field '" + field + "' must be an array of objects");
        }
        List<JsonNode> items = new ArrayList<>();
        for (JsonNode item : n) {
            if (!item.isObject()) {
                throw ApiProblem.badRequest("invalid", "field '" + field + "' must be an array of objects");
            }
            items.add(item);
        }
        return items;
    }

    /** Comma-separated tags of a query parameter. */
    static Set<String> tags(String query) {
        Set<String> tags = new LinkedHashSet<>();
        if (query != null) {
            for (String t : query.split(",")) {
                if (!t.isBlank()) {
                    tags.add(t.strip());
                }
            }
        }
        return tags;
    }

    static int limit(Integer requested, int otherwise, int max) {
        int n = requested == null ? otherwise : requested;
        if (n < 1 || n > max) {
            throw ApiProblem.badRequest("invalid", "limit must be between 1 and " + max + ": " + n);
        }
        return n;
    }
}
